import Foundation
import ZeroMQ

/// CURVE key files: `NAME.key` holds the secret key (mode 0600), `NAME.pub` the public key; each is
/// one line of 40 Z85 characters.
enum KeyFiles {
    static func write(_ pair: CurveKeyPair, name: String, directory: URL) throws -> (secret: URL, public: URL) {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let secretURL = directory.appendingPathComponent("\(name).key")
        let publicURL = directory.appendingPathComponent("\(name).pub")
        for url in [secretURL, publicURL] where FileManager.default.fileExists(atPath: url.path) {
            throw CLIError("KEY_EXISTS", "密钥文件已存在，不会覆盖：\(url.path)（如需轮换密钥，请先移走旧文件）")
        }
        // Create the secret file with mode 0600 before any byte is written into it.
        guard FileManager.default.createFile(atPath: secretURL.path, contents: nil,
                                             attributes: [.posixPermissions: 0o600]) else {
            throw CLIError("KEY_WRITE_FAILED", "无法创建私钥文件 \(secretURL.path)")
        }
        let handle = try FileHandle(forWritingTo: secretURL)
        try handle.write(contentsOf: Data((pair.secretKey + "\n").utf8))
        try handle.synchronize()
        try handle.close()
        try (pair.publicKey + "\n").write(to: publicURL, atomically: true, encoding: .utf8)
        return (secretURL, publicURL)
    }

    /// Reads a secret key file, refusing one that others may read (as ssh does).
    static func readSecret(_ path: String) throws -> CurveKeyPair {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw CLIError("KEY_NOT_FOUND", "找不到私钥文件：\(path)")
        }
        if let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0 {
            throw CLIError("KEY_FILE_PERMISSIONS",
                           "私钥文件 \(path) 的权限过宽（\(String(mode, radix: 8))），其他用户可以读取；请执行 chmod 600 \(path)")
        }
        let text = try readKeyText(path)
        guard let pair = try? CurveKeyPair(secretKey: text) else {
            throw CLIError("KEY_INVALID", "私钥文件 \(path) 的内容不是 40 位 Z85 密钥")
        }
        return pair
    }

    /// A public key given inline (40 Z85 characters) or as the path of a `.pub` file.
    /// An existing file wins: a 40-character path can itself look like Z85 text.
    static func readPublic(_ keyOrPath: String) throws -> String {
        if !FileManager.default.fileExists(atPath: keyOrPath) && Z85.isKey(keyOrPath) { return keyOrPath }
        guard FileManager.default.fileExists(atPath: keyOrPath) else {
            throw CLIError("KEY_INVALID", "既不是 40 位 Z85 公钥，也不是存在的公钥文件：\(keyOrPath)")
        }
        let text = try readKeyText(keyOrPath)
        guard Z85.isKey(text) else { throw CLIError("KEY_INVALID", "公钥文件 \(keyOrPath) 的内容不是 40 位 Z85 公钥") }
        return text
    }

    private static func readKeyText(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("KEY_NOT_FOUND", "无法读取密钥文件：\(path)")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
