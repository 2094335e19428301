import Foundation
import Testing
@testable import ConcordProtocol

/// schemas/examples/ holds one message per type; scripts/check-schemas validates them against the
/// JSON Schemas. Here the code must accept each and encode it back to the same bytes.
@Suite("Protocol examples")
struct SchemaExampleTests {
    static var examples: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("schemas/examples")
    }

    @Test("every message type has an example that decodes and re-encodes byte for byte")
    func examplesRoundTrip() throws {
        for type in MessageType.allCases {
            let url = Self.examples.appendingPathComponent("\(type.rawValue).json")
            let text = try String(contentsOf: url, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let envelope = try Envelope.decode([Array(Wire.signature.utf8), Array(text.utf8)]).get()
            #expect(envelope.payload.type == type)
            let encoded = String(decoding: envelope.frames()[1], as: UTF8.self)
            #expect(encoded == text, "\(type.rawValue)")
        }
    }
}
