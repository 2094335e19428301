import ConcordConfig
import ConcordDomain
import ConcordProtocol
import Foundation

/// What every parser that takes bytes from the network or a file must do with any input: never
/// crash, never hang, and keep its round-trip promises. Each check returns nil, or a description of
/// the broken promise. The libFuzzer targets in Fuzz/ call these and abort on a description; the
/// tests replay every saved finding (Fuzz/regressions/) and generated input through them.
public enum FuzzChecks {
    public static let targets: [String: @Sendable ([UInt8]) -> String?] = [
        "envelope": envelope, "config": config, "csv": csv, "names": names, "topics": topics,
    ]

    /// A wire message: the bytes as the JSON frame, and split into frames at every 0xFF byte.
    public static func envelope(_ bytes: [UInt8]) -> String? {
        let framings: [[[UInt8]]] = [
            [Array(Wire.signature.utf8), bytes],
            bytes.split(separator: 0xFF, omittingEmptySubsequences: false).map(Array.init),
        ]
        for frames in framings {
            switch Envelope.decode(frames) {
            case .failure(let failure):
                if let id = failure.id, id.utf8.count > Limits.maxIDLength * 4 { return "an error echoes an id of \(id.utf8.count) bytes" }
            case .success(let decoded):
                // Whatever is accepted encodes to a message that decodes to the same thing.
                let again = decoded.frames()
                guard again.count == 2, again[1].count <= Limits.maxEnvelopeBytes * 2 else {
                    return "an accepted \(decoded.payload.type.rawValue) re-encodes to \(again.map(\.count)) bytes"
                }
                switch Envelope.decode(again) {
                case .failure(let failure):
                    return "an accepted \(decoded.payload.type.rawValue) does not decode after encoding: \(failure.error)"
                case .success(let second):
                    if second.payload != decoded.payload || second.id != decoded.id || second.seq != decoded.seq || second.re != decoded.re {
                        return "\(decoded.payload.type.rawValue) changes in an encode/decode round trip"
                    }
                }
            }
        }
        return nil
    }

    /// A config file: parsing never crashes; what parses renders to text that parses to the same values.
    public static func config(_ bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let file = try? ConfigFile.parse(text) else { return nil }
        let rendered = ConfigFile.render(file.values.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        guard let again = try? ConfigFile.parse(rendered) else { return "a parsed config does not parse after render: \(rendered.debugDescription)" }
        if again.values != file.values { return "a config changes in a parse/render round trip: \(rendered.debugDescription)" }
        return nil
    }

    /// A CSV import: rows render to text that reads back to the same rows.
    public static func csv(_ bytes: [UInt8]) -> String? {
        let rows = CSVText.rows(String(decoding: bytes, as: UTF8.self))
        if rows.contains(where: \.isEmpty) { return "a row with no field" }
        let again = CSVText.rows(CSVText.render(rows))
        if again != rows { return "CSV rows change in a render/parse round trip: \(rows) → \(again)" }
        return nil
    }

    /// Names and codes as officers type them: parsing never crashes, matching is symmetric, a name
    /// is the same enterprise as itself, and a credit code's verdict does not depend on case or spaces.
    public static func names(_ bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        let halves = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let a = CompanyName(halves[0]), b = CompanyName(halves.count > 1 ? halves[1] : "")
        _ = EnterpriseKey(name: a, code: CreditCode.parse(halves[0]))
        let forward = EnterpriseMatch.compare(a, b), backward = EnterpriseMatch.compare(b, a)
        if forward.verdict != backward.verdict || abs(forward.score - backward.score) > 1e-9 {
            return "matching is not symmetric: \(forward.verdict) \(forward.score) vs \(backward.verdict) \(backward.score)"
        }
        if EnterpriseKey(name: a, code: nil).nameKey != nil, EnterpriseMatch.compare(a, a).verdict != .same {
            return "a name is not the same enterprise as itself"
        }
        let code = CreditCode.parse(halves[0])
        let respaced = CreditCode.parse(" " + halves[0].lowercased() + " ")
        if (code.problem == nil) != (respaced.problem == nil) { return "a credit code's verdict depends on case or spaces" }
        return nil
    }

    /// Topic patterns: a valid pattern without wildcards matches exactly itself.
    public static func topics(_ bytes: [UInt8]) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let pattern = TopicPattern(text) else { return nil }
        if !text.contains("*") && !pattern.matches(text) { return "a literal pattern does not match itself" }
        if !text.contains("*") && pattern.matches(text + ".x") { return "a literal pattern matches a longer topic" }
        return nil
    }
}
