import Testing
@testable import ConcordDomain

@Suite("Unified social credit codes (GB 32100-2015)")
struct CreditCodeTests {
    static let valid: [String] = (try? Fixtures.lines("uscc-valid.txt")) ?? []
    static let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")

    @Test("the fixture holds the reference codes")
    func fixtureIsThere() {
        #expect(Self.valid.count >= 380)
    }

    @Test("every reference code is valid and canonical")
    func referenceCodesAreValid() {
        for code in Self.valid {
            let result = CreditCode.parse(code)
            #expect(result == .valid(CreditCode(canonical: code)), "\(code)")
        }
    }

    @Test("every other check character makes a reference code fail the check, and only the check")
    func everyCheckSubstitutionIsCaught() {
        var failures = 0
        for code in Self.valid {
            let body = code.dropLast()
            for character in Self.alphabet where character != code.last {
                let mutated = body + String(character)
                guard case .checkCharacterMismatch(let parsed, let expected) = CreditCode.parse(String(mutated)) else {
                    failures += 1
                    continue
                }
                #expect(expected == code.last)
                #expect(parsed.value == String(mutated))
                #expect(CreditCode.parse(String(mutated)).problem?.code == "USCC_CHECK")
            }
        }
        #expect(failures == 0)
    }

    @Test("input is accepted in lower case, with spaces, hyphens and full-width characters")
    func lenientInput() {
        let code = "91110000600037341L"
        let expected = CreditCode.ParseResult.valid(CreditCode(canonical: code))
        #expect(CreditCode.parse("91110000600037341l") == expected)
        #expect(CreditCode.parse("9111 0000 6000 3734 1L") == expected)
        #expect(CreditCode.parse("911100-006000-37341L") == expected)
        #expect(CreditCode.parse("９１１１００００６０００３７３４１Ｌ") == expected)
        #expect(CreditCode.parse(" 91110000600037341L\t") == expected)
    }

    @Test("the letters I, O, Z, S and V are refused with their position")
    func forbiddenLetters() {
        for letter in ["I", "O", "Z", "S", "V"] {
            let code = "9111000060003734" + letter + "L"
            #expect(CreditCode.parse(code) == .invalid(.badCharacter(Character(letter), position: 17)), "\(letter)")
            #expect(CreditCode.parse(code).problem?.code == "USCC_CHARACTER")
        }
        #expect(CreditCode.parse("9111000060003734中L").problem?.code == "USCC_CHARACTER")
    }

    @Test("short and long codes are refused as wrong length")
    func wrongLength() {
        #expect(CreditCode.parse("91110000600037341") == .invalid(.wrongLength(17)))
        #expect(CreditCode.parse("91110000600037341LL") == .invalid(.wrongLength(19)))
        #expect(CreditCode.parse("") == .invalid(.wrongLength(0)))
        #expect(CreditCode.parse("91110000600037341").problem?.code == "USCC_LENGTH")
    }

    @Test("unknown registration authorities, categories and regions are named")
    func structure() {
        #expect(CreditCode.parse("B1110000600037341L").problem?.code == "USCC_AUTHORITY")
        #expect(CreditCode.parse("94110000600037341L") == .invalid(.unknownCategory(authority: "9", category: "4")))
        #expect(CreditCode.parse("911A0000600037341L").problem?.code == "USCC_REGION")
        #expect(CreditCode.parse("91990000600037341L") == .invalid(.badRegion("990000")))
    }

    @Test("a valid code exposes its parts")
    func parts() throws {
        let code = try #require(CreditCode.parse("91110000600037341L").validCode)
        #expect(code.registrationAuthority == "9")
        #expect(code.category == "1")
        #expect(code.regionCode == "110000")
        #expect(code.organizationCode == "600037341")
        #expect(code.checkCharacter == "L")
    }

    @Test("every problem has a stable code and a Chinese explanation")
    func explanations() {
        let problems: [CreditCode.Problem] = [
            .wrongLength(3), .badCharacter("I", position: 2), .unknownAuthority("B"),
            .unknownCategory(authority: "9", category: "4"), .badRegion("990000"),
            .badCheckCharacter(expected: "L", found: "X"),
        ]
        #expect(Set(problems.map(\.code)).count == problems.count)
        for problem in problems { #expect(problem.explanation.unicodeScalars.contains { $0.value >= 0x4E00 }) }
    }
}
