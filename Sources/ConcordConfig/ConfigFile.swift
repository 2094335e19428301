/// Concord's configuration files: a flat subset of TOML.
///
/// ```toml
/// # 濂溪区 node
/// role = "node"
/// tenant = "360402"
/// hub_endpoint = "tcp://10.0.0.5:7700"
/// heartbeat_seconds = 5
/// ```
///
/// One `key = value` a line; values are "strings" (with \" \\ \n \t escapes), integers or
/// true/false; `#` starts a comment. Tables, arrays and multi-line strings are not used by Concord
/// and are refused with the line number. `CONCORD_<KEY>` environment variables override keys.
public struct ConfigFile: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case string(String)
        case integer(Int)
        case bool(Bool)
    }

    public struct Error: Swift.Error, Equatable, Sendable, CustomStringConvertible {
        public let line: Int?
        public let key: String?
        public let message: String

        public init(line: Int?, key: String?, message: String) {
            self.line = line
            self.key = key
            self.message = message
        }

        public var code: String { "CONFIG_INVALID" }

        public var description: String {
            var where_ = ""
            if let line { where_ += "第 \(line) 行" }
            if let key { where_ += where_.isEmpty ? "配置项 \(key)" : "，配置项 \(key)" }
            return where_.isEmpty ? message : "\(where_)：\(message)"
        }
    }

    public private(set) var values: [String: Value] = [:]
    /// Where each key was set: "line N" or "CONCORD_X".
    public private(set) var origins: [String: String] = [:]

    public init(values: [String: Value] = [:]) {
        self.values = values
    }

    public static func parse(_ text: String, environment: [String: String] = [:]) throws -> ConfigFile {
        var file = ConfigFile()
        // A CR LF pair is one Character in Swift: split on it too, so files saved on Windows read the same.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (index, rawLine) in lines.enumerated() {
            let number = index + 1
            let line = stripComment(String(rawLine)).trimmingSpaces()
            if line.isEmpty { continue }
            if line.hasPrefix("[") {
                throw Error(line: number, key: nil, message: "不支持 [表]：每行写一个 键 = 值")
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw Error(line: number, key: nil, message: "应为 键 = 值")
            }
            let key = String(line[..<equals]).trimmingSpaces()
            guard !key.isEmpty, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw Error(line: number, key: key, message: "键只能包含字母、数字和下划线")
            }
            if file.values[key] != nil {
                throw Error(line: number, key: key, message: "重复的配置项")
            }
            let valueText = String(line[line.index(after: equals)...]).trimmingSpaces()
            file.values[key] = try parseValue(valueText, line: number, key: key)
            file.origins[key] = "第 \(number) 行"
        }
        for (name, value) in environment where name.hasPrefix("CONCORD_") {
            let key = String(name.dropFirst("CONCORD_".count)).lowercased()
            guard !key.isEmpty else { continue }
            file.values[key] = .string(value)
            file.origins[key] = name
        }
        return file
    }

    // Quotes, escapes and comments are read per Unicode scalar, not per Character: a quote or a
    // backslash followed by a combining mark is still a quote or a backslash (found by fuzzing).
    static func stripComment(_ line: String) -> String {
        var inString = false
        var escaped = false
        var kept = String.UnicodeScalarView()
        for scalar in line.unicodeScalars {
            if escaped {
                escaped = false
            } else if scalar == "\\" && inString {
                escaped = true
            } else if scalar == "\"" {
                inString.toggle()
            } else if scalar == "#" && !inString {
                break
            }
            kept.append(scalar)
        }
        return String(kept)
    }

    static func parseValue(_ text: String, line: Int, key: String) throws -> Value {
        let scalars = Array(text.unicodeScalars)
        if scalars.first == "\"" {
            var result = String.UnicodeScalarView()
            var escaped = false
            var closed = false
            for scalar in scalars.dropFirst() {
                if closed { throw Error(line: line, key: key, message: "字符串的结尾引号之后不能再有内容") }
                if escaped {
                    switch scalar {
                    case "n": result.append("\n")
                    case "t": result.append("\t")
                    case "\\": result.append("\\")
                    case "\"": result.append("\"")
                    default: throw Error(line: line, key: key, message: "不支持的转义 \\\(scalar)")
                    }
                    escaped = false
                } else if scalar == "\\" {
                    escaped = true
                } else if scalar == "\"" {
                    closed = true
                } else {
                    result.append(scalar)
                }
            }
            guard closed else { throw Error(line: line, key: key, message: "字符串缺少结尾的引号") }
            return .string(String(result))
        }
        if text == "true" { return .bool(true) }
        if text == "false" { return .bool(false) }
        if let number = Int(text.replacingUnderscores()) { return .integer(number) }
        throw Error(line: line, key: key, message: "值应为 \"字符串\"、整数或 true/false：\(text)")
    }

    // MARK: typed access with errors that name the key

    public func string(_ key: String) throws -> String {
        guard let value = values[key] else { throw Error(line: nil, key: key, message: "缺少必填项") }
        switch value {
        case .string(let text):
            guard !text.isEmpty else { throw Error(line: nil, key: key, message: "不能为空（来自\(origins[key] ?? "?")）") }
            return text
        case .integer(let number): return String(number)
        case .bool: throw Error(line: nil, key: key, message: "应为字符串（来自\(origins[key] ?? "?")）")
        }
    }

    public func optionalString(_ key: String) throws -> String? {
        values[key] == nil ? nil : try string(key)
    }

    public func integer(_ key: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        guard let value = values[key] else { return fallback }
        let number: Int
        switch value {
        case .integer(let n): number = n
        case .string(let text):
            guard let n = Int(text) else { throw Error(line: nil, key: key, message: "应为整数（来自\(origins[key] ?? "?")）") }
            number = n
        case .bool: throw Error(line: nil, key: key, message: "应为整数（来自\(origins[key] ?? "?")）")
        }
        guard range.contains(number) else {
            throw Error(line: nil, key: key, message: "应在 \(range.lowerBound)…\(range.upperBound) 之间，实际为 \(number)")
        }
        return number
    }

    /// Refuses keys the role does not know (a typo must not be silently ignored).
    public func checkKnown(_ known: Set<String>) throws {
        if let unknown = values.keys.sorted().first(where: { !known.contains($0) }) {
            throw Error(line: nil, key: unknown, message: "未知的配置项（来自\(origins[unknown] ?? "?")）；可用：\(known.sorted().joined(separator: ", "))")
        }
    }

    /// Renders key = value lines (for files Concord writes).
    public static func render(_ pairs: [(String, Value)], header: [String] = []) -> String {
        var lines = header.map { "# " + $0 }
        for (key, value) in pairs {
            switch value {
            case .string(let text):
                var escaped = ""
                for scalar in text.unicodeScalars {
                    switch scalar {
                    case "\\": escaped += "\\\\"
                    case "\"": escaped += "\\\""
                    case "\n": escaped += "\\n"
                    case "\t": escaped += "\\t"
                    default: escaped.unicodeScalars.append(scalar)
                    }
                }
                lines.append("\(key) = \"\(escaped)\"")
            case .integer(let number): lines.append("\(key) = \(number)")
            case .bool(let flag): lines.append("\(key) = \(flag)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    func trimmingSpaces() -> String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" || first == "\r" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" || last == "\r" { text = text.dropLast() }
        return String(text)
    }

    func replacingUnderscores() -> String { filter { $0 != "_" } }

    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

extension Substring {
    func range(of target: String) -> Range<Substring.Index>? {
        var index = startIndex
        while index < endIndex {
            if self[index...].hasPrefix(target) {
                return index..<self.index(index, offsetBy: target.count)
            }
            index = self.index(after: index)
        }
        return nil
    }
}
