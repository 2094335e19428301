/// Splits a SQL script into statements. PostgresNIO speaks only the extended query protocol, which
/// takes one statement at a time, so migrations are run statement by statement.
///
/// Understands the lexical forms that may hide a `;`: '…' strings (with '' escapes), E'…' strings
/// (with backslash escapes), "…" identifiers, -- line comments, nested /* */ comments and
/// $tag$…$tag$ dollar quoting (function bodies).
public enum SQLScript {
    public static func statements(in script: String) -> [String] {
        let chars = Array(script.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var hasCode = false
        var i = 0

        func append(_ range: Range<Int>) {
            current.append(contentsOf: chars[range])
        }
        func flush() {
            let text = String(current).trimmingWhitespace()
            if hasCode && !text.isEmpty { statements.append(text) }
            current = String.UnicodeScalarView()
            hasCode = false
        }

        while i < chars.count {
            let c = chars[i]
            let next: Unicode.Scalar? = i + 1 < chars.count ? chars[i + 1] : nil
            switch c {
            case "-" where next == "-":
                var j = i
                while j < chars.count && chars[j] != "\n" { j += 1 }
                append(i..<j)
                i = j
            case "/" where next == "*":
                var depth = 0
                var j = i
                while j < chars.count {
                    if chars[j] == "/" && j + 1 < chars.count && chars[j + 1] == "*" { depth += 1; j += 2; continue }
                    if chars[j] == "*" && j + 1 < chars.count && chars[j + 1] == "/" {
                        depth -= 1; j += 2
                        if depth == 0 { break }
                        continue
                    }
                    j += 1
                }
                append(i..<min(j, chars.count))
                i = j
            case "'":
                let escapes = i > 0 && (chars[i - 1] == "E" || chars[i - 1] == "e")
                    && (i < 2 || !isIdentifier(chars[i - 2]))
                let j = endOfQuoted(chars, from: i, quote: "'", backslashEscapes: escapes)
                append(i..<j)
                hasCode = true
                i = j
            case "\"":
                let j = endOfQuoted(chars, from: i, quote: "\"", backslashEscapes: false)
                append(i..<j)
                hasCode = true
                i = j
            case "$":
                if let tagEnd = dollarTagEnd(chars, from: i), i == 0 || !isIdentifier(chars[i - 1]) {
                    let tag = Array(chars[i..<tagEnd])
                    var j = tagEnd
                    while j < chars.count {
                        if chars[j] == "$" && j + tag.count <= chars.count && Array(chars[j..<(j + tag.count)]) == tag {
                            j += tag.count
                            break
                        }
                        j += 1
                    }
                    append(i..<min(j, chars.count))
                    hasCode = true
                    i = min(j, chars.count)
                } else {
                    current.append(c)
                    hasCode = true
                    i += 1
                }
            case ";":
                flush()
                i += 1
            default:
                current.append(c)
                if !c.properties.isWhitespace { hasCode = true }
                i += 1
            }
        }
        flush()
        return statements
    }

    private static func isIdentifier(_ c: Unicode.Scalar) -> Bool {
        c == "_" || c.properties.isAlphabetic || ("0"..."9").contains(c)
    }

    /// Index just past the closing quote (or the end of input when unterminated).
    private static func endOfQuoted(_ chars: [Unicode.Scalar], from start: Int, quote: Unicode.Scalar,
                                    backslashEscapes: Bool) -> Int {
        var j = start + 1
        while j < chars.count {
            if backslashEscapes && chars[j] == "\\" { j += 2; continue }
            if chars[j] == quote {
                if j + 1 < chars.count && chars[j + 1] == quote { j += 2; continue }
                return j + 1
            }
            j += 1
        }
        return chars.count
    }

    /// For `$tag$` or `$$` starting at `start`, the index just past the opening delimiter.
    private static func dollarTagEnd(_ chars: [Unicode.Scalar], from start: Int) -> Int? {
        var j = start + 1
        while j < chars.count {
            let c = chars[j]
            if c == "$" { return j + 1 }
            let allowed = c == "_" || c.properties.isAlphabetic || (j > start + 1 && ("0"..."9").contains(c))
            if !allowed { return nil }
            j += 1
        }
        return nil
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
