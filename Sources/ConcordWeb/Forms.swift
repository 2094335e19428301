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

    /// Parses a `multipart/form-data` body (RFC 7578). Returns nil when the body does not follow
    /// the format, so the caller can refuse it with a clear message.
    public static func multipart(_ body: [UInt8], boundary: String) -> FormData? {
        let delimiter = Array("--\(boundary)".utf8)
        var form = FormData()
        var positions: [Int] = []
        var index = 0
        while let found = find(delimiter, in: body, from: index) {
            positions.append(found)
            index = found + delimiter.count
        }
        guard positions.count >= 2 else { return nil }
        for (start, end) in zip(positions, positions.dropFirst()) {
            var partStart = start + delimiter.count
            // Skip the CRLF after the delimiter line.
            guard partStart + 2 <= body.count, body[partStart] == 13, body[partStart + 1] == 10 else { return nil }
            partStart += 2
            // The part ends with CRLF before the next delimiter.
            let partEnd = end - 2
            guard partEnd >= partStart, body[partEnd] == 13, body[partEnd + 1] == 10 else { return nil }
            let part = Array(body[partStart..<partEnd])
            guard let split = find([13, 10, 13, 10], in: part, from: 0) else { return nil }
            let headerText = String(decoding: part[0..<split], as: UTF8.self)
            let content = Array(part[(split + 4)...])
            var name: String?
            var filename: String?
            for line in headerText.components(separatedBy: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
                name = parameter("name", in: line)
                filename = parameter("filename", in: line)
            }
            guard let name else { return nil }
            if let filename {
                if !filename.isEmpty || !content.isEmpty { form.files[name] = File(filename: filename, bytes: content) }
            } else {
                form.append(name, String(decoding: content, as: UTF8.self))
            }
        }
        return form
    }

    static func parameter(_ key: String, in line: String) -> String? {
        for piece in line.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard piece.hasPrefix("\(key)=") else { continue }
            var value = String(piece.dropFirst(key.count + 1))
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
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
