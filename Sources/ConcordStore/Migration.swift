import Foundation

/// One numbered SQL migration from `schemas/NNNN_name.sql`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// The file name this migration was read from.
    public var fileName: String { String(format: "%04d_%@.sql", version, name) }

    /// Reads every `NNNN_name.sql` in `directory`, in version order. Other files are ignored; a
    /// `.sql` file with a malformed name or a repeated version number is an error.
    public static func load(from directory: URL) throws -> [Migration] {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw StoreError(.migrationsMissing, "找不到迁移目录 \(directory.path)", detail: "\(error)")
        }
        var migrations: [Migration] = []
        for file in files.sorted() where file.hasSuffix(".sql") {
            let stem = file.dropLast(4)
            let parts = stem.split(separator: "_", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 4, let version = Int(parts[0]), version > 0,
                  parts[1].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw StoreError(.migrationBadName, "迁移文件名应为 NNNN_名称.sql（四位序号）：\(file)")
            }
            if migrations.contains(where: { $0.version == version }) {
                throw StoreError(.migrationBadName, "迁移序号重复：\(file)")
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            migrations.append(Migration(version: version, name: String(parts[1]), sql: sql))
        }
        if migrations.isEmpty {
            throw StoreError(.migrationsMissing, "迁移目录 \(directory.path) 中没有 .sql 文件")
        }
        return migrations.sorted { $0.version < $1.version }
    }
}
