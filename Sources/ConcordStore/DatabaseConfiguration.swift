import Foundation
import PostgresNIO

/// Where the store's PostgreSQL is and how long start-up may take to reach it.
public struct DatabaseConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    /// The longest start-up may take to connect and authenticate before it fails with a clear error.
    public var startupDeadline: Duration
    /// Connections the pool may open.
    public var maximumConnections: Int
    /// PostgreSQL's application_name for the pool's connections: the daemons set theirs
    /// (`concord-hub`, `concord-node`), so pg_stat_activity and the pool metrics tell them apart.
    public var applicationName = "concord"

    public init(host: String = "127.0.0.1", port: Int = 5432, user: String = "postgres", password: String? = nil,
                database: String, startupDeadline: Duration = .seconds(10), maximumConnections: Int = 10) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.startupDeadline = startupDeadline
        self.maximumConnections = maximumConnections
    }

    /// Reads `CONCORD_DATABASE_URL` (`postgres://user[:password]@host[:port]/database`) or else the
    /// libpq variables `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DatabaseConfiguration {
        if let url = environment["CONCORD_DATABASE_URL"], !url.isEmpty {
            return try parse(url: url)
        }
        let user = environment["PGUSER"] ?? environment["USER"] ?? "postgres"
        var portNumber = 5432
        if let port = environment["PGPORT"] {
            guard let value = Int(port), (1...65535).contains(value) else {
                throw StoreError(.badConfiguration, "PGPORT 不是有效端口号：\(port)")
            }
            portNumber = value
        }
        return DatabaseConfiguration(
            host: environment["PGHOST"] ?? "127.0.0.1",
            port: portNumber,
            user: user,
            password: environment["PGPASSWORD"],
            database: environment["PGDATABASE"] ?? user
        )
    }

    public static func parse(url text: String) throws -> DatabaseConfiguration {
        guard let components = URLComponents(string: text),
              components.scheme == "postgres" || components.scheme == "postgresql",
              let host = components.host, !host.isEmpty else {
            throw StoreError(.badConfiguration, "数据库地址格式应为 postgres://用户[:密码]@主机[:端口]/数据库")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else {
            throw StoreError(.badConfiguration, "数据库地址缺少数据库名（…/数据库）")
        }
        return DatabaseConfiguration(
            host: host,
            port: components.port ?? 5432,
            user: components.user ?? "postgres",
            password: components.password,
            database: database
        )
    }

    /// A description safe for logs: never the password.
    public var redacted: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    var connectionConfiguration: PostgresConnection.Configuration {
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: .disable)
        configuration.options.connectTimeout = .nanoseconds(Int64(startupDeadline.components.seconds) * 1_000_000_000
            + startupDeadline.components.attoseconds / 1_000_000_000)
        return configuration
    }

    var clientConfiguration: PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: .disable)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.additionalStartupParameters = [("application_name", applicationName)]
        return configuration
    }
}
