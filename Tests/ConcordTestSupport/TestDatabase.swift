import Foundation
import Logging
import Testing
import ConcordStore

/// A fresh, empty database on the throwaway cluster that scripts/test starts, dropped afterwards.
/// Shared by the test targets that need PostgreSQL.
public enum TestDatabase {
    public static let logger: Logger = {
        var logger = Logger(label: "concord.test")
        logger.logLevel = .warning
        return logger
    }()

    /// The cluster scripts/test started (PGHOST, PGPORT, PGUSER).
    public static func server() throws -> DatabaseConfiguration {
        let environment = ProcessInfo.processInfo.environment
        guard environment["PGPORT"] != nil else {
            Issue.record("PGPORT is not set: run the store tests through scripts/test, which starts their PostgreSQL")
            throw StoreError(.badConfiguration, "PGPORT not set")
        }
        var configuration = try DatabaseConfiguration.fromEnvironment(environment)
        configuration.database = "postgres"
        // Generous: it only guards against a missing server, and CREATE DATABASE for many tests at
        // once on a loaded 2-core machine took over 10 s in a clean-clone CI run.
        configuration.startupDeadline = .seconds(60)
        return configuration
    }

    public static func withFreshDatabase<T: Sendable>(_ body: @escaping @Sendable (DatabaseConfiguration) async throws -> T) async throws -> T {
        let admin = try server()
        let name = "test_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        try await Database.withDatabase(admin, logger: logger) { db in
            _ = try await db.client.query(PostgresQueryLiteral.create(name), logger: logger)
        } as Void
        var configuration = admin
        configuration.database = name
        do {
            let result = try await body(configuration)
            try await drop(name, admin)
            return result
        } catch {
            try? await drop(name, admin)
            throw error
        }
    }

    private static func drop(_ name: String, _ admin: DatabaseConfiguration) async throws {
        try await Database.withDatabase(admin, logger: logger) { db in
            _ = try await db.client.query(PostgresQueryLiteral.drop(name), logger: logger)
        } as Void
    }

    /// The repository's own schemas/ folder.
    public static var schemasDirectory: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("schemas")
    }
}

import PostgresNIO

enum PostgresQueryLiteral {
    /// Names come from UUIDs above, never from input.
    static func create(_ name: String) -> PostgresQuery { PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)") }
    static func drop(_ name: String) -> PostgresQuery { PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
}

#if canImport(Glibc)
import Glibc
#endif

/// A TCP socket bound to an ephemeral loopback port. The caller closes `fd`.
public func loopbackSocket() -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}

/// A loopback port nobody listens on now.
public func freePort() -> Int {
    let (fd, port) = loopbackSocket()
    close(fd)
    return port
}
