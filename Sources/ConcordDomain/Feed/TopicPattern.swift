/// Topics of the hub's event log and the patterns departments are granted.
///
/// A topic is dot-separated words: `stage.signed`, `conflict.decided`, `dispatch.offered`. An event
/// about a county is also addressable as `county.<code>.<topic>` (e.g. `county.360402.stage.signed`).
/// In a pattern, `*` stands for exactly one word, except as the last word, where it stands for one
/// or more: `stage.*` matches `stage.signed`; `county.360402.*` matches everything about 360402.
public struct TopicPattern: Sendable, Hashable, CustomStringConvertible {
    public let text: String
    let words: [Substring]

    public init?(_ text: String) {
        let words = text.split(separator: ".", omittingEmptySubsequences: false)
        guard !text.isEmpty, text.count <= 200,
              words.allSatisfy({ !$0.isEmpty && ($0 == "*" || $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) }) else {
            return nil
        }
        self.text = text
        self.words = words
    }

    public var description: String { text }

    public func matches(_ topic: String) -> Bool {
        let parts = topic.split(separator: ".", omittingEmptySubsequences: false)
        for (index, word) in words.enumerated() {
            let isLast = index == words.count - 1
            if word == "*" && isLast { return parts.count > index }
            guard index < parts.count else { return false }
            if word != "*" && word != parts[index] { return false }
        }
        return parts.count == words.count
    }

    /// Whether a reader granted `patterns` may see an event with `topic` about `county`.
    public static func allows(_ patterns: [TopicPattern], topic: String, county: String?) -> Bool {
        let addressed = county.map { "county.\($0).\(topic)" }
        return patterns.contains { $0.matches(topic) || (addressed.map($0.matches) ?? false) }
    }
}
