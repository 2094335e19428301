import Foundation
import Logging

/// Log lines as JSON, one object a line, for journald and log shippers: `time`, `level`, `logger`,
/// `message`, `source` and the metadata under `meta` (tenant, message id, sequence numbers…).
/// The metadata is nested so that a log line never looks like one of the feed's event lines,
/// which carry `seq` at the top.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    let label: String
    let write: @Sendable (String) -> Void

    public init(label: String, write: @escaping @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data(line.utf8))
    }) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let own = event.metadata { merged.merge(own) { $1 } }
        write(Self.line(time: Date(), level: event.level, label: label, message: event.message.description,
                        source: event.source, metadata: merged))
    }

    /// One line (with its newline). Pure, for the tests.
    public static func line(time: Date, level: Logger.Level, label: String, message: String, source: String,
                            metadata: Logger.Metadata) -> String {
        var fields = [
            "\"time\":\(quote(isoTime(time)))", "\"level\":\(quote(level.rawValue))", "\"logger\":\(quote(label))",
            "\"message\":\(quote(message))", "\"source\":\(quote(source))",
        ]
        if !metadata.isEmpty { fields.append("\"meta\":" + value(.dictionary(metadata))) }
        return "{" + fields.joined(separator: ",") + "}\n"
    }

    static func value(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): return quote(text)
        case .stringConvertible(let convertible): return quote(convertible.description)
        case .array(let values): return "[" + values.map(Self.value).joined(separator: ",") + "]"
        case .dictionary(let entries):
            return "{" + entries.sorted { $0.key < $1.key }.map { quote($0.key) + ":" + Self.value($0.value) }.joined(separator: ",") + "}"
        }
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    static func isoTime(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
