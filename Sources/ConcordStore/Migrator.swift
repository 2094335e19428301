import Logging
import PostgresNIO

/// Applies migrations in order, each in its own transaction together with its record in
/// `concord_schema_migrations`. Safe to run twice (applied ones are skipped) and from two processes
/// at once (an advisory lock serialises them). Refuses to go on when an applied migration's file
/// changed, or when the database holds a migration this program does not know.
public struct Migrator: Sendable {
    public struct Report: Sendable, Equatable {
        public var applied: [Migration] = []
        public var alreadyApplied: [Migration] = []
    }

    public struct AppliedRecord: Sendable, Equatable {
        public let version: Int
        public let name: String
        public let checksum: String
    }

    /// Any constant: the key of the advisory lock that serialises migrators.
    static let lockKey: Int64 = 0x636F_6E63_6F72_6401

    public let migrations: [Migration]
    let logger: Logger

    public init(migrations: [Migration], logger: Logger) {
        self.migrations = migrations
        self.logger = logger
    }

    public func migrate(_ database: Database) async throws -> Report {
        let migrations = self.migrations
        let logger = self.logger
        return try await database.client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
            do {
                let report = try await Self.migrate(migrations, on: connection, logger: logger)
                try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                return report
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                throw error
            }
        }
    }

    /// What the database has recorded, in version order (empty before the first migration).
    public static func appliedRecords(_ database: Database, logger: Logger) async throws -> [AppliedRecord] {
        try await database.client.withConnection { connection in
            try await ensureTable(connection, logger: logger)
            return try await records(connection, logger: logger)
        }
    }

    private static func ensureTable(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS concord_schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                checksum   text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, logger: logger)
    }

    private static func records(_ connection: PostgresConnection, logger: Logger) async throws -> [AppliedRecord] {
        let rows = try await connection.query(
            "SELECT version, name, checksum FROM concord_schema_migrations ORDER BY version", logger: logger)
        var records: [AppliedRecord] = []
        for try await (version, name, checksum) in rows.decode((Int, String, String).self) {
            records.append(AppliedRecord(version: version, name: name, checksum: checksum))
        }
        return records
    }

    private static func checksum(_ sql: String, _ connection: PostgresConnection, logger: Logger) async throws -> String {
        let rows = try await connection.query(
            "SELECT encode(sha256(convert_to(\(sql), 'UTF8')), 'hex')", logger: logger)
        for try await value in rows.decode(String.self) { return value }
        throw StoreError(.migrationFailed, "无法计算迁移校验和")
    }

    private static func migrate(_ migrations: [Migration], on connection: PostgresConnection,
                                logger: Logger) async throws -> Report {
        try await ensureTable(connection, logger: logger)
        let recorded = try await records(connection, logger: logger)
        let known = Set(migrations.map(\.version))
        if let unknown = recorded.first(where: { !known.contains($0.version) }) {
            throw StoreError(.migrationUnknown,
                             "数据库已应用本程序不认识的迁移 \(String(format: "%04d", unknown.version))_\(unknown.name)，可能是更新版本的程序写入的；请升级本程序")
        }
        var report = Report()
        for migration in migrations {
            let sum = try await checksum(migration.sql, connection, logger: logger)
            if let existing = recorded.first(where: { $0.version == migration.version }) {
                guard existing.checksum == sum, existing.name == migration.name else {
                    throw StoreError(.migrationChanged,
                                     "已应用的迁移 \(migration.fileName) 的内容被改动过；已应用的迁移不得修改，请新增一个迁移文件",
                                     detail: "recorded \(existing.name) \(existing.checksum), file \(migration.name) \(sum)")
                }
                report.alreadyApplied.append(migration)
                continue
            }
            let statements = SQLScript.statements(in: migration.sql)
            do {
                try await connection.withTransaction(logger: logger) { connection in
                    for statement in statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query("""
                        INSERT INTO concord_schema_migrations (version, name, checksum)
                        VALUES (\(migration.version), \(migration.name), \(sum))
                        """, logger: logger)
                }
            } catch let error as PostgresTransactionError {
                let cause = error.closureError ?? error.commitError ?? error.beginError ?? error
                throw StoreError(.migrationFailed, "迁移 \(migration.fileName) 执行失败，已回滚，数据库未被改动",
                                 detail: describe(cause))
            }
            logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            report.applied.append(migration)
        }
        return report
    }

    static func describe(_ error: any Error) -> String {
        if let psql = error as? PSQLError, let message = psql.serverInfo?[.message] {
            let state = psql.serverInfo?[.sqlState] ?? "?"
            return "SQLSTATE \(state): \(message)"
        }
        return "\(error)"
    }
}
