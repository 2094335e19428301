import ArgumentParser
import ConcordHub
import ConcordNode
import ConcordStore
import Foundation

struct DBCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "数据库：连通检查、迁移、迁移状态 (database check, migrate, status).",
        discussion: """
            连接参数来自 --config 指定的协同中心或区县节点配置，或环境变量 CONCORD_DATABASE_URL，或 PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE。
            密码请放在环境变量中，不要写在命令行上（命令行对本机其他用户可见）。
            """,
        subcommands: [Check.self, Migrate.self, Status.self]
    )

    struct Connection: ParsableArguments {
        @Option(help: "启动时连接数据库的最长等待秒数 (start-up deadline, seconds).")
        var timeout: Int = 10
        @Option(help: "协同中心或区县节点的配置文件，用其中的数据库 (a hub or node config; default: CONCORD_DATABASE_URL / PG* variables).")
        var config: String?

        func configuration() throws -> DatabaseConfiguration {
            guard timeout > 0 else { throw CLIError("BAD_ARGUMENT", "--timeout 必须大于 0") }
            var configuration: DatabaseConfiguration
            if let config {
                let file = try ConfigLoading.load(config)
                configuration = try ConfigLoading.checked {
                    switch try? file.string("role") {
                    case "hub": try HubConfiguration.load(file).database
                    case "node": try NodeConfiguration.load(file).database
                    default: throw CLIError("BAD_ARGUMENT", "\(config) 不是协同中心或区县节点的配置（role 应为 hub 或 node）")
                    }
                }
            } else {
                configuration = try DatabaseConfiguration.fromEnvironment()
            }
            configuration.startupDeadline = .seconds(timeout)
            configuration.maximumConnections = 2
            return configuration
        }
    }

    struct Schemas: ParsableArguments {
        @Option(help: "迁移文件目录 (migrations folder; default: $CONCORD_SCHEMAS, <prefix>/share/concord/schemas, ./schemas).")
        var schemas: String?

        func directory() throws -> URL {
            if let schemas { return URL(fileURLWithPath: schemas) }
            if let fromEnvironment = ProcessInfo.processInfo.environment["CONCORD_SCHEMAS"] {
                return URL(fileURLWithPath: fromEnvironment)
            }
            let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            let installed = executable.deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("share/concord/schemas")
            if FileManager.default.fileExists(atPath: installed.path) { return installed }
            return URL(fileURLWithPath: "schemas")
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "检查能否在时限内连上数据库 (check the database is reachable).",
            discussion: "例: CONCORD_DATABASE_URL=postgres://concord@127.0.0.1:5432/concord_hub concord db check --timeout 5"
        )
        @OptionGroup var connection: Connection

        func run() async throws {
            try await reportingErrors {
                let configuration = try connection.configuration()
                let logger = CLILogging.logger("concord.db")
                let version = try await Database.withDatabase(configuration, logger: logger) { db in
                    let rows = try await db.client.query("SHOW server_version", logger: logger)
                    for try await version in rows.decode(String.self) { return version }
                    return "?"
                }
                print("数据库连接正常：\(configuration.redacted)（PostgreSQL \(version)）")
            }
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "按序应用迁移，可重复执行 (apply schemas/NNNN_*.sql in order; safe to re-run).",
            discussion: """
                每个迁移在一个事务中执行并登记；已应用的跳过；已应用的文件若被改动则拒绝执行。

                例: concord db migrate --config /etc/concord/hub.toml
                    concord db migrate --schemas ./schemas        （数据库取自 CONCORD_DATABASE_URL 或 PG* 变量）
                """
        )
        @OptionGroup var connection: Connection
        @OptionGroup var schemas: Schemas

        func run() async throws {
            try await reportingErrors {
                let configuration = try connection.configuration()
                let migrations = try Migration.load(from: try schemas.directory())
                let logger = CLILogging.logger("concord.db")
                let report = try await Database.withDatabase(configuration, logger: logger) { db in
                    try await Migrator(migrations: migrations, logger: logger).migrate(db)
                }
                for migration in report.applied { print("已应用 (applied)  \(migration.fileName)") }
                print("迁移完成：新应用 \(report.applied.count) 个，此前已应用 \(report.alreadyApplied.count) 个（\(configuration.redacted)）")
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "列出已应用和待应用的迁移 (list applied and pending migrations).",
            discussion: "例: concord db status"
        )
        @OptionGroup var connection: Connection
        @OptionGroup var schemas: Schemas

        func run() async throws {
            try await reportingErrors {
                let configuration = try connection.configuration()
                let migrations = try Migration.load(from: try schemas.directory())
                let logger = CLILogging.logger("concord.db")
                let records = try await Database.withDatabase(configuration, logger: logger) { db in
                    try await Migrator.appliedRecords(db, logger: logger)
                }
                let applied = Set(records.map(\.version))
                for migration in migrations {
                    print("\(applied.contains(migration.version) ? "已应用 (applied)" : "待应用 (pending)")  \(migration.fileName)")
                }
                for record in records where !migrations.contains(where: { $0.version == record.version }) {
                    print("未知 (unknown)    \(String(format: "%04d", record.version))_\(record.name)：本程序不认识，可能来自更新的版本")
                }
            }
        }
    }
}
