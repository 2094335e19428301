/// 统一社会信用代码 (unified social credit code), GB 32100-2015.
///
/// 18 characters from `0123456789ABCDEFGHJKLMNPQRTUWXY` (no I, O, Z, S, V):
/// position 1 registration authority, 2 category, 3–8 GB/T 2260 region, 9–17 organisation code,
/// 18 check character.
public struct CreditCode: Hashable, Sendable, CustomStringConvertible {
    /// The canonical form: 18 upper-case characters.
    public let value: String

    public var registrationAuthority: Character { value.first! }
    public var category: Character { value[value.index(after: value.startIndex)] }
    /// Positions 3–8: the GB/T 2260 code of the registering region (e.g. 360402).
    public var regionCode: String { String(value.dropFirst(2).prefix(6)) }
    /// Positions 9–17: the organisation code (GB 11714) without the check character.
    public var organizationCode: String { String(value.dropFirst(8).prefix(9)) }
    public var checkCharacter: Character { value.last! }

    public var description: String { value }

    init(canonical: String) {
        self.value = canonical
    }

    /// What `parse` found wrong. Every case has a stable code and a Chinese explanation.
    public enum Problem: Equatable, Sendable {
        case wrongLength(Int)
        case badCharacter(Character, position: Int)
        case unknownAuthority(Character)
        case unknownCategory(authority: Character, category: Character)
        case badRegion(String)
        case badCheckCharacter(expected: Character, found: Character)

        public var code: String {
            switch self {
            case .wrongLength: return "USCC_LENGTH"
            case .badCharacter: return "USCC_CHARACTER"
            case .unknownAuthority: return "USCC_AUTHORITY"
            case .unknownCategory: return "USCC_CATEGORY"
            case .badRegion: return "USCC_REGION"
            case .badCheckCharacter: return "USCC_CHECK"
            }
        }

        public var explanation: String {
            switch self {
            case .wrongLength(let count):
                return "长度应为 18 位，实际为 \(count) 位"
            case .badCharacter(let character, let position):
                if "IOZSV".contains(character) {
                    return "第 \(position) 位的字符 \(character) 不允许出现（代码中不使用 I、O、Z、S、V）"
                }
                return "第 \(position) 位的字符 \(character) 不允许出现（只能是数字和除 I、O、Z、S、V 外的大写字母）"
            case .unknownAuthority(let authority):
                return "第 1 位登记管理部门代码 \(authority) 不存在"
            case .unknownCategory(let authority, let category):
                return "第 2 位机构类别代码 \(category) 不属于登记管理部门 \(authority)"
            case .badRegion(let region):
                return "第 3–8 位行政区划码 \(region) 无效"
            case .badCheckCharacter(let expected, let found):
                return "第 18 位校验码应为 \(expected)，实际为 \(found)（可能录入有误；早期试点代码也可能如此，将按企业名称匹配）"
            }
        }
    }

    /// The outcome of parsing: a code that passes every check, a code whose only fault is its
    /// check character (kept: real early pilot codes fail the check, so the record is matched by
    /// name), or a rejected input.
    public enum ParseResult: Equatable, Sendable {
        case valid(CreditCode)
        case checkCharacterMismatch(CreditCode, expected: Character)
        case invalid(Problem)

        /// The code, whether valid or only with a wrong check character.
        public var code: CreditCode? {
            switch self {
            case .valid(let code), .checkCharacterMismatch(let code, _): return code
            case .invalid: return nil
            }
        }

        /// Only a fully valid code identifies an enterprise by itself.
        public var validCode: CreditCode? {
            if case .valid(let code) = self { return code }
            return nil
        }

        public var problem: Problem? {
            switch self {
            case .valid: return nil
            case .checkCharacterMismatch(let code, let expected):
                return .badCheckCharacter(expected: expected, found: code.checkCharacter)
            case .invalid(let problem): return problem
            }
        }
    }

    static let alphabet: [UInt8] = Array("0123456789ABCDEFGHJKLMNPQRTUWXY".utf8)
    /// 3^(i) mod 31 for positions 1–17.
    static let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    /// value of each ASCII byte in the alphabet, or -1.
    static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = Int8(index) }
        return table
    }()

    /// Registration authorities and their category codes (GB 32100-2015, appendix A).
    static let categories: [UInt8: Set<UInt8>] = {
        func set(_ s: String) -> Set<UInt8> { Set(s.utf8) }
        return [
            UInt8(ascii: "1"): set("1239"),    // 机构编制: 机关, 事业单位, 群众团体, 其他
            UInt8(ascii: "2"): set("19"),      // 外交
            UInt8(ascii: "3"): set("123459"),  // 司法行政: 律师事务所, 公证处, 基层法律服务所, 司法鉴定, 仲裁委员会, 其他
            UInt8(ascii: "4"): set("19"),      // 文化
            UInt8(ascii: "5"): set("1239"),    // 民政: 社会团体, 民办非企业单位, 基金会, 其他
            UInt8(ascii: "6"): set("129"),     // 旅游
            UInt8(ascii: "7"): set("129"),     // 宗教
            UInt8(ascii: "8"): set("19"),      // 工会
            UInt8(ascii: "9"): set("123"),     // 市场监管 (工商): 企业, 个体工商户, 农民专业合作社
            UInt8(ascii: "A"): set("19"),      // 中央军委改革和编制办公室
            UInt8(ascii: "N"): set("12349"),   // 农业农村: 组级/村级/乡镇级集体经济组织, 其他
            UInt8(ascii: "Y"): set("1"),       // 其他
        ]
    }()

    /// GB/T 2260 province-level prefixes, plus 10 for codes issued centrally.
    static let provincePrefixes: Set<String> = [
        "10", "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
        "71", "81", "82",
    ]

    /// Parses a code as an officer may type it: lower case, spaces and hyphens are accepted.
    public static func parse(_ input: String) -> ParseResult {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(18)
        var position = 0
        for scalar in input.unicodeScalars {
            // Full-width forms (from Chinese input methods) count as their ASCII letters and digits.
            var v = scalar.value
            if v >= 0xFF01 && v <= 0xFF5E { v -= 0xFEE0 }
            if v == 0x20 || v == 0x2D || v == 0x3000 || v == 0x09 { continue }
            position += 1
            guard v < 128 else {
                return .invalid(.badCharacter(Character(scalar), position: position))
            }
            var byte = UInt8(v)
            if byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") { byte -= 32 }
            bytes.append(byte)
        }
        guard bytes.count == 18 else { return .invalid(.wrongLength(bytes.count)) }
        for (index, byte) in bytes.enumerated() where values[Int(byte)] < 0 {
            return .invalid(.badCharacter(Character(Unicode.Scalar(byte)), position: index + 1))
        }
        guard let allowed = categories[bytes[0]] else {
            return .invalid(.unknownAuthority(Character(Unicode.Scalar(bytes[0]))))
        }
        guard allowed.contains(bytes[1]) else {
            return .invalid(.unknownCategory(authority: Character(Unicode.Scalar(bytes[0])),
                                             category: Character(Unicode.Scalar(bytes[1]))))
        }
        let region = String(decoding: bytes[2..<8], as: UTF8.self)
        guard bytes[2..<8].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              provincePrefixes.contains(String(region.prefix(2))) else {
            return .invalid(.badRegion(region))
        }
        let code = CreditCode(canonical: String(decoding: bytes, as: UTF8.self))
        let expected = checkCharacter(for: bytes[0..<17])
        if expected != bytes[17] {
            return .checkCharacterMismatch(code, expected: Character(Unicode.Scalar(expected)))
        }
        return .valid(code)
    }

    /// The check character for the first 17 characters (already validated).
    static func checkCharacter(for body: ArraySlice<UInt8>) -> UInt8 {
        var sum = 0
        for (offset, byte) in body.enumerated() {
            sum += Int(values[Int(byte)]) * weights[offset]
        }
        return alphabet[(31 - sum % 31) % 31]
    }
}
