import Foundation

/// Where a console listens: `host:port`; loopback unless the operator says otherwise.
public struct ConsoleAddress: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `127.0.0.1:8700` or `[::1]:8700`; `off` (or nothing) means no console.
    public static func parse(_ text: String?) throws -> ConsoleAddress? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty, text != "off" else { return nil }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65_535).contains(port) else {
            throw ConsoleAddressError(text: text)
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ConsoleAddressError(text: text) }
        return ConsoleAddress(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    public var url: String { "http://\(description)/" }
}

public struct ConsoleAddressError: Error, Sendable, CustomStringConvertible {
    public let text: String
    public var description: String { "控制台地址应为 主机:端口（如 127.0.0.1:8700），或 off：\(text)" }
}


extension ConfigFile {
    /// The `console_bind` key: the console's address, or nil when absent or `off`.
    public func consoleAddress() throws -> ConsoleAddress? { try address("console_bind") }

    /// A `host:port` key (`console_bind`, `metrics_bind`), or nil when absent or `off`.
    public func address(_ key: String) throws -> ConsoleAddress? {
        do {
            return try ConsoleAddress.parse(try optionalString(key))
        } catch let error as ConsoleAddressError {
            throw Error(line: nil, key: key, message: error.description)
        }
    }
}
