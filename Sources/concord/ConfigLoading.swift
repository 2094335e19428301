import ConcordConfig
import Foundation

enum ConfigLoading {
    /// Reads a config file, refusing one other users can read (it holds a secret key), and applies
    /// CONCORD_* environment overrides.
    static func load(_ path: String) throws -> ConfigFile {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("CONFIG_NOT_FOUND", "找不到配置文件：\(path)")
        }
        if let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0 {
            throw CLIError("CONFIG_PERMISSIONS", "配置文件 \(path) 含私钥，但权限过宽（\(String(mode, radix: 8))）；请执行 chmod 600 \(path)")
        }
        do {
            let environment = try siblingEnvironment(of: path).merging(ProcessInfo.processInfo.environment) { $1 }
            return try ConfigFile.parse(String(decoding: data, as: UTF8.self), environment: environment)
        } catch let error as ConfigFile.Error {
            throw CLIError(error.code, "\(path)：\(error.description)")
        }
    }

    /// `hub.env` beside `hub.toml`: the CONCORD_* lines scripts/install writes there (the database
    /// password kept out of the config), so that every command given `--config` finds them as the
    /// service does. The process's own environment wins over the file.
    static func siblingEnvironment(of path: String) throws -> [String: String] {
        let url = URL(fileURLWithPath: path)
        let envPath = url.deletingPathExtension().appendingPathExtension("env").path
        guard envPath != path, let attributes = try? FileManager.default.attributesOfItem(atPath: envPath),
              let data = FileManager.default.contents(atPath: envPath) else { return [:] }
        if let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0 {
            throw CLIError("CONFIG_PERMISSIONS", "\(envPath) 含数据库密码，但权限过宽（\(String(mode, radix: 8))）；请执行 chmod 600 \(envPath)")
        }
        var values: [String: String] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            guard text.hasPrefix("CONCORD_"), let equals = text.firstIndex(of: "=") else { continue }
            values[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        return values
    }

    /// Writes a file with mode 0600 before any byte goes in; never overwrites.
    static func writeSecret(_ text: String, to path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw CLIError("FILE_EXISTS", "文件已存在，不会覆盖：\(path)")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CLIError("FILE_WRITE_FAILED", "无法创建文件 \(path)")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.write(contentsOf: Data(text.utf8))
        try handle.synchronize()
        try handle.close()
    }

    /// Turns config errors into the CLI's shape.
    static func checked<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ConfigFile.Error {
            throw CLIError(error.code, error.description)
        }
    }
}
