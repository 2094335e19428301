/// A trie over Unicode scalar values for longest-match lookups of dictionary words at a position,
/// forwards (prefixes) or backwards (suffixes). Built once; lookups allocate nothing.
struct ScalarTrie: Sendable {
    private var children: [[UInt32: Int32]] = [[:]]
    /// For each node, the payload of the word ending there, or -1.
    private var payloads: [Int32] = [-1]

    /// `reversed` tries store words back to front, for matching suffixes.
    let reversed: Bool

    init(reversed: Bool = false) {
        self.reversed = reversed
    }

    mutating func insert(_ word: [UInt32], payload: Int32) {
        var node = 0
        let sequence = reversed ? Array(word.reversed()) : word
        for scalar in sequence {
            if let next = children[node][scalar] {
                node = Int(next)
            } else {
                children.append([:])
                payloads.append(-1)
                let next = Int32(children.count - 1)
                children[node][scalar] = next
                node = Int(next)
            }
        }
        if payloads[node] < 0 { payloads[node] = payload }
    }

    mutating func insert(_ word: String, payload: Int32 = 0) {
        insert(word.unicodeScalars.map(\.value), payload: payload)
    }

    /// The longest word starting at `start` (forward trie) or ending just before `end` (reversed
    /// trie, pass the end index as `start`), limited to `limit` scalars. Returns (length, payload).
    func longestMatch(in text: [UInt32], at start: Int, limit: Int = .max) -> (length: Int, payload: Int32)? {
        var node = 0
        var best: (Int, Int32)?
        var length = 0
        if reversed {
            var index = start - 1
            while index >= 0 && length < limit, let next = children[node][text[index]] {
                node = Int(next)
                length += 1
                if payloads[node] >= 0 { best = (length, payloads[node]) }
                index -= 1
            }
        } else {
            var index = start
            while index < text.count && length < limit, let next = children[node][text[index]] {
                node = Int(next)
                length += 1
                if payloads[node] >= 0 { best = (length, payloads[node]) }
                index += 1
            }
        }
        return best
    }

    /// Every match length starting at `start` (forward) or ending at `start` (reversed), longest first.
    func allMatches(in text: [UInt32], at start: Int, limit: Int = .max) -> [(length: Int, payload: Int32)] {
        var node = 0
        var found: [(Int, Int32)] = []
        var length = 0
        var index = reversed ? start - 1 : start
        while (reversed ? index >= 0 : index < text.count) && length < limit, let next = children[node][text[index]] {
            node = Int(next)
            length += 1
            if payloads[node] >= 0 { found.append((length, payloads[node])) }
            index += reversed ? -1 : 1
        }
        return found.reversed()
    }

    /// True when `word` is exactly a stored word.
    func contains(_ word: ArraySlice<UInt32>) -> Bool {
        guard !word.isEmpty else { return false }
        var node = 0
        let count = word.count
        for offset in 0..<count {
            let scalar = reversed ? word[word.endIndex - 1 - offset] : word[word.startIndex + offset]
            guard let next = children[node][scalar] else { return false }
            node = Int(next)
        }
        return payloads[node] >= 0
    }
}
