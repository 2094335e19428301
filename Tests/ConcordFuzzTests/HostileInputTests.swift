import ConcordConfig
import ConcordDomain
import ConcordFuzzChecks
import ConcordProtocol
import Foundation
import PropertyBased
import Testing

/// Every parser that takes bytes from the network or a file, against the fuzzers' findings and
/// against generated malformed, truncated, oversized and deeply nested input.
@Suite("Hostile input to the parsers")
struct HostileInputTests {
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func files(_ folder: String) -> [(String, [UInt8])] {
        let url = root.appendingPathComponent(folder)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        return names.compactMap { name in
            (try? Data(contentsOf: url.appendingPathComponent(name))).map { ("\(folder)/\(name)", [UInt8]($0)) }
        }
    }

    @Test("every saved fuzz finding and every seed input keeps its parser's promises", arguments: FuzzChecks.targets.keys.sorted())
    func savedInputs(target: String) {
        let check = FuzzChecks.targets[target]!
        let inputs = Self.files("Fuzz/corpus/\(target)") + Self.files("Fuzz/regressions/\(target)")
        #expect(!Self.files("Fuzz/corpus/\(target)").isEmpty, "no seed inputs for \(target)")
        for (name, bytes) in inputs {
            let violation = check(bytes)
            #expect(violation == nil, "\(name): \(violation ?? "")")
        }
    }

    static let jsonPieces = ["{", "}", "[", "]", "\"", ":", ",", "\\", "\\u0000", "\\ud800", "\\uDFFF", "null", "true", "1e999", "-0",
                             "\"type\"", "\"claim.file\"", "\"body\"", "\"id\"", "\"seq\"", "\"re\"", "中", " ", "\u{0}", "\u{FEFF}",
                             "9223372036854775808", "-9223372036854775809", "0.5", "\"\u{202E}\"", "👨‍👩‍👧"]

    @Test("truncated and spliced messages get an error or a faithful decode, never a crash")
    func envelopes() async {
        let examples = Self.files("schemas/examples").map(\.1)
        await propertyCheck(count: 400, input: Gen.int(in: 0...(examples.count - 1)), Gen.int(in: 0...4_000),
                            Gen.element(of: Self.jsonPieces).array(of: 0...30)) { index, cut, pieces in
            let example = examples[index]
            let kept = Array(example.prefix(cut % (example.count + 1)))
            let spliced = kept + Array(pieces.compactMap { $0 }.joined().utf8) + example.dropFirst(kept.count)
            #expect(FuzzChecks.envelope(kept) == nil)
            #expect(FuzzChecks.envelope(spliced) == nil)
        }
    }

    @Test("deep nesting and oversized frames are refused with an error code")
    func nestingAndSize() {
        for depth in [10, 1_000, 50_000, 120_000] {
            let nested = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            let text = #"{"type":"heartbeat","id":"n1","body":{"x":"# + nested + "}}"
            let result = Envelope.decode([Array(Wire.signature.utf8), Array(text.utf8)])
            if case .success = result, depth > 10 { Issue.record("accepted a body nested \(depth) deep") }
            #expect(FuzzChecks.envelope(Array(text.utf8)) == nil)
        }
        let big = #"{"type":"check","id":"b1","body":{"name":""# + String(repeating: "名", count: 100_000) + #""}}"#
        guard case .failure(let failure) = Envelope.decode([Array(Wire.signature.utf8), Array(big.utf8)]) else {
            Issue.record("a 300 KB envelope was accepted")
            return
        }
        #expect(failure.error.code == .tooLarge)
    }

    static let configPieces = ["key", "=", "\"", "\\", "\\\"", "\\n", "#", "\n", "\r\n", "\r", " ", "\t", "1", "-5", "true",
                               "[t]", "é", "中", "\u{0}", "\u{301}", "99999999999999999999", "_"]

    @Test("generated config files parse or fail with a line and key, and round-trip when they parse")
    func configs() async {
        await propertyCheck(count: 400, input: Gen.element(of: Self.configPieces).array(of: 0...60)) { pieces in
            let text = pieces.compactMap { $0 }.joined()
            #expect(FuzzChecks.config(Array(text.utf8)) == nil, "\(text.debugDescription)")
        }
    }

    @Test("a config written on Windows (CR LF line ends) reads the same as one written on Linux")
    func crlfConfig() throws {
        let unix = try ConfigFile.parse("role = \"hub\"\nchecks_per_minute = 120\nflag = true\n")
        let windows = try ConfigFile.parse("role = \"hub\"\r\nchecks_per_minute = 120\r\nflag = true\r\n")
        #expect(windows.values == unix.values)
    }

    static let csvPieces = [",", "\"", "\"\"", "\n", "\r", "\r\n", "a", "中", " ", "\u{301}", "\u{0}", "1,200", "investor_name"]

    @Test("generated CSV text reads back to the same rows after writing")
    func csvRoundTrip() async {
        await propertyCheck(count: 500, input: Gen.element(of: Self.csvPieces).array(of: 0...80)) { pieces in
            let text = pieces.compactMap { $0 }.joined()
            #expect(FuzzChecks.csv(Array(text.utf8)) == nil, "\(text.debugDescription)")
        }
    }

    static let namePieces = ["九江", "江西省", "恒通", "物流", "科技", "有限公司", "有限责任公司", "（", "）", "(", ")", "分公司", "集团",
                             "股份", "A", "b", "1", " ", "\n", "·", "\u{301}", "\u{0}", "😀", "Ω", "ＡＢＣ", "91110000600037341L", "-"]

    @Test("generated names: matching is symmetric and a name matches itself")
    func names() async {
        await propertyCheck(count: 400, input: Gen.element(of: Self.namePieces).array(of: 0...24)) { pieces in
            let text = pieces.compactMap { $0 }.joined()
            #expect(FuzzChecks.names(Array(text.utf8)) == nil, "\(text.debugDescription)")
        }
    }

    @Test("random bytes keep every parser's promises")
    func randomBytes() async {
        await propertyCheck(count: 300, input: Gen<UInt8>.value(in: 0...255).array(of: 0...512)) { bytes in
            for (target, check) in FuzzChecks.targets.sorted(by: { $0.key < $1.key }) {
                #expect(check(bytes) == nil, "\(target)")
            }
        }
    }
}
