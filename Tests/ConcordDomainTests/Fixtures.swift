import Foundation

/// The test fixtures copied into this target (Tests/ConcordDomainTests/Fixtures).
enum Fixtures {
    static func lines(_ name: String) throws -> [String] {
        guard let url = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil) else {
            throw CocoaError(.fileNoSuchFile)
        }
        return try String(contentsOf: url, encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: true)
            .map(String.init)
            .filter { !$0.hasPrefix("#") }
    }
}
