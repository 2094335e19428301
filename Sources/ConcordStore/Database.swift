import Logging
import PostgresNIO
import ServiceLifecycle

/// The store's connection pool: a `PostgresClient` that runs as a swift-service-lifecycle `Service`.
///
/// Open it with `Database.connect`, which first proves, within a deadline, that the server is
/// reachable and accepts the credentials: a bare `PostgresClient` would retry a wrong host or
/// password for ever.
public final class Database: Service, Sendable {
    public let client: PostgresClient
    public let configuration: DatabaseConfiguration
    let logger: Logger

    private init(configuration: DatabaseConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.client = PostgresClient(configuration: configuration.clientConfiguration, backgroundLogger: logger)
    }

    /// Checks the server within `configuration.startupDeadline` and returns a pool ready to `run()`.
    public static func connect(_ configuration: DatabaseConfiguration, logger: Logger) async throws -> Database {
        try await checkReachable(configuration, logger: logger)
        return Database(configuration: configuration, logger: logger)
    }

    /// Runs the pool until the task is cancelled or the service group shuts down.
    public func run() async throws {
        await client.run()
    }

    /// Opens one connection, authenticates and runs `SELECT 1`, all before the deadline.
    static func checkReachable(_ configuration: DatabaseConfiguration, logger: Logger) async throws {
        let deadline = configuration.startupDeadline
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let connection: PostgresConnection
                do {
                    connection = try await PostgresConnection.connect(
                        configuration: configuration.connectionConfiguration, id: 0, logger: logger)
                } catch {
                    throw classify(error, configuration)
                }
                do {
                    try await connection.query("SELECT 1", logger: logger)
                    try await connection.close()
                } catch {
                    try? await connection.close()
                    throw classify(error, configuration)
                }
            }
            group.addTask {
                try await Task.sleep(for: deadline)
                throw StoreError(.startupTimedOut,
                                 "在 \(deadline) 内未能连上数据库 \(configuration.redacted)，请检查地址、端口和网络",
                                 detail: "deadline \(deadline)")
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// Turns a driver error into a `StoreError` that says what to fix.
    static func classify(_ error: any Error, _ configuration: DatabaseConfiguration) -> StoreError {
        if let error = error as? StoreError { return error }
        let target = configuration.redacted
        if let psql = error as? PSQLError {
            if psql.code == .server, let state = psql.serverInfo?[.sqlState] {
                let serverMessage = psql.serverInfo?[.message] ?? ""
                switch state {
                case "28P01", "28000":
                    return StoreError(.authenticationFailed, "数据库拒绝了用户 \(configuration.user) 的登录，请检查用户名和密码（\(target)）",
                                      detail: "SQLSTATE \(state): \(serverMessage)")
                case "3D000":
                    return StoreError(.databaseNotFound, "数据库 \(configuration.database) 不存在（\(target)）",
                                      detail: "SQLSTATE \(state): \(serverMessage)")
                default:
                    return StoreError(.unreachable, "数据库返回错误（\(target)）", detail: "SQLSTATE \(state): \(serverMessage)")
                }
            }
            if psql.code == .authMechanismRequiresPassword {
                return StoreError(.authenticationFailed, "数据库要求密码，但配置中没有提供（\(target)）")
            }
            let underlying = psql.underlying.map { "\($0)" } ?? "\(psql.code)"
            return StoreError(.unreachable, "无法连接数据库 \(target)，请检查主机和端口，以及 PostgreSQL 是否在运行", detail: underlying)
        }
        return StoreError(.unreachable, "无法连接数据库 \(target)，请检查主机和端口，以及 PostgreSQL 是否在运行", detail: "\(error)")
    }
}

extension Database {
    /// Runs `body` against a running pool managed by a `ServiceGroup`, then shuts the pool down
    /// gracefully. For one-shot commands; daemons put `Database` in their own group.
    @discardableResult
    public static func withDatabase<Result: Sendable>(
        _ configuration: DatabaseConfiguration,
        logger: Logger,
        _ body: @escaping @Sendable (Database) async throws -> Result
    ) async throws -> Result {
        let database = try await connect(configuration, logger: logger)
        let job = OneShot { try await body(database) }
        let group = ServiceGroup(configuration: .init(
            services: [
                .init(service: database),
                .init(service: job, successTerminationBehavior: .gracefullyShutdownGroup,
                      failureTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await group.run()
        } catch {
            // Prefer the job's own error to the group's report of it.
            _ = try job.result()
            throw error
        }
        return try job.result()
    }
}
