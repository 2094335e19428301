import Foundation
import Logging
import Testing
import ConcordStore

/// A fresh, empty database on the throwaway cluster that scripts/test starts, dropped afterwards.
enum TestDatabase {
    static let logger: Logger = {
        var logger = Logger(label: "concord.test")
        logger.logLevel = .warning
        return logger
    }()

    /// The cluster scripts/test started (PGHOST, PGPORT, PGUSER).
    static func server() throws -> DatabaseConfiguration {
        let environment = ProcessInfo.processInfo.environment
        guard environment["PGPORT"] != nil else {
            Issue.record("PGPORT is not set: run the store tests through scripts/test, which starts their PostgreSQL")
            throw StoreError(.badConfiguration, "PGPORT not set")
        }
        var configuration = try DatabaseConfiguration.fromEnvironment(environment)
        configuration.database = "postgres"
        configuration.startupDeadline = .seconds(10)
        return configuration
    }

    static func withFreshDatabase<T: Sendable>(_ body: @escaping @Sendable (DatabaseConfiguration) async throws -> T) async throws -> T {
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
    static var schemasDirectory: URL {
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
