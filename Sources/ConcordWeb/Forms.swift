import Foundation

/// The fields of a submitted form: `application/x-www-form-urlencoded` or `multipart/form-data`.
public struct FormData: Sendable, Equatable {
    public struct File: Sendable, Equatable {
        public let filename: String
        public let bytes: [UInt8]
    }

    public private(set) var fields: [String: [String]] = [:]
    public private(set) var files: [String: File] = [:]

    public init(fields: [String: [String]] = [:], files: [String: File] = [:]) {
        self.fields = fields
        self.files = files
    }

    /// The first value of `name`, trimmed; nil when absent or blank.
    public subscript(_ name: String) -> String? {
        guard let value = fields[name]?.first?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    /// Every value of `name` (checkboxes, repeated fields), trimmed, blanks dropped.
    public func all(_ name: String) -> [String] {
        (fields[name] ?? []).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    mutating func append(_ name: String, _ value: String) { fields[name, default: []].append(value) }

    /// Parses an `application/x-www-form-urlencoded` body (also a query string). Malformed
    /// percent escapes are kept as written rather than dropping the field.
    public static func urlEncoded(_ text: String) -> FormData {
        var form = FormData()
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            let name = decode(parts[0])
            guard !name.isEmpty else { continue }
            form.append(name, parts.count > 1 ? decode(parts[1]) : "")
        }
        return form
    }

    /// The boundary of a `multipart/form-data` content type, if it is one.
    public static func boundary(ofContentType contentType: String) -> String? {
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.first?.lowercased() == "multipart/form-data" else { return nil }
        for part in parts.dropFirst() where part.lowercased().hasPrefix("boundary=") {
            var value = String(part.dropFirst("boundary=".count))
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value.isEmpty || value.count > 200 ? nil : value
        }
        return nil
    }

    /// Parses a `multipart/form-data` body (RFC 7578): `--boundary CRLF part (CRLF --boundary CRLF
    /// part)* CRLF --boundary--`. Returns nil when the body does not follow the format (a missing
    /// closing delimiter included), so the caller can refuse it with a clear message.
    public static func multipart(_ body: [UInt8], boundary: String) -> FormData? {
        let first = Array("--\(boundary)".utf8)
        let next = Array("\r\n--\(boundary)".utf8)
        guard body.count >= first.count, Array(body[0..<first.count]) == first else { return nil }
        var form = FormData()
        var position = first.count
        while true {
            // After a delimiter: "--" closes the body, CRLF starts a part.
            guard position + 2 <= body.count else { return nil }
            if body[position] == 45, body[position + 1] == 45 { return form }
            guard body[position] == 13, body[position + 1] == 10 else { return nil }
            position += 2
            guard let end = find(next, in: body, from: position) else { return nil }
            let part = Array(body[position..<end])
            guard let split = find([13, 10, 13, 10], in: part, from: 0) else { return nil }
            let headerText = String(decoding: part[0..<split], as: UTF8.self)
            let content = Array(part[(split + 4)...])
            var name: String?
            var filename: String?
            for line in headerText.components(separatedBy: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
                let parameters = dispositionParameters(String(line.dropFirst("content-disposition:".count)))
                (name, filename) = (parameters["name"], parameters["filename"])
            }
            guard let name else { return nil }
            if let filename {
                if !filename.isEmpty || !content.isEmpty { form.files[name] = File(filename: filename, bytes: content) }
            } else {
                form.append(name, String(decoding: content, as: UTF8.self))
            }
            position = end + next.count
        }
    }

    /// The parameters of a Content-Disposition value (`form-data; name="a"; filename="b;c.csv"`),
    /// quoted strings read with their backslash escapes, so a `;` inside quotes does not split.
    static func dispositionParameters(_ value: String) -> [String: String] {
        var parameters: [String: String] = [:]
        var scalars = Array(value.unicodeScalars)[...]
        func skipSpaces() { while let c = scalars.first, c == " " || c == "\t" { scalars.removeFirst() } }
        while !scalars.isEmpty {
            skipSpaces()
            var key = ""
            while let c = scalars.first, c != "=", c != ";" { key.unicodeScalars.append(c); scalars.removeFirst() }
            var parsed = ""
            if scalars.first == "=" {
                scalars.removeFirst()
                if scalars.first == "\"" {
                    scalars.removeFirst()
                    while let c = scalars.popFirst(), c != "\"" {
                        if c == "\\", let escaped = scalars.popFirst() { parsed.unicodeScalars.append(escaped) } else { parsed.unicodeScalars.append(c) }
                    }
                    while let c = scalars.first, c != ";" { _ = c; scalars.removeFirst() }
                } else {
                    while let c = scalars.first, c != ";" { parsed.unicodeScalars.append(c); scalars.removeFirst() }
                    parsed = parsed.trimmingCharacters(in: .whitespaces)
                }
            }
            if scalars.first == ";" { scalars.removeFirst() }
            let trimmed = key.trimmingCharacters(in: .whitespaces).lowercased()
            if !trimmed.isEmpty, parameters[trimmed] == nil { parameters[trimmed] = parsed }
        }
        return parameters
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        var i = start
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == needle[0] {
                var j = 1
                while j < needle.count, haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}

/// Escaping for text placed in HTML or SVG by hand (templates escape by themselves).
public enum HTMLText {
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
