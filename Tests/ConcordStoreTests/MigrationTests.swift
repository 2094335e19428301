import Foundation
import ConcordTestSupport
import Testing
@testable import ConcordStore

@Suite("Migrations against a real PostgreSQL")
struct MigrationTests {
    let logger = TestDatabase.logger

    func writeMigrations(_ files: [String: String]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-mig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, sql) in files {
            try sql.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return directory
    }

    @Test("the repository's migrations apply to an empty database and re-apply as a no-op")
    func applyAndReapply() async throws {
        let migrations = try Migration.load(from: TestDatabase.schemasDirectory)
        #expect(!migrations.isEmpty)
        let logger = self.logger
        try await TestDatabase.withFreshDatabase { configuration in
            try await Database.withDatabase(configuration, logger: logger) { db in
                let first = try await Migrator(migrations: migrations, logger: logger).migrate(db)
                #expect(first.applied.map(\.version) == migrations.map(\.version))
                #expect(first.alreadyApplied.isEmpty)
                let tables = try await db.client.query(
                    "SELECT count(*)::int FROM information_schema.tables WHERE table_name = 'tenants'", logger: logger)
                for try await count in tables.decode(Int.self) { #expect(count == 1) }

                let second = try await Migrator(migrations: migrations, logger: logger).migrate(db)
                #expect(second.applied.isEmpty)
                #expect(second.alreadyApplied.map(\.version) == migrations.map(\.version))
                let records = try await Migrator.appliedRecords(db, logger: logger)
                #expect(records.map(\.version) == migrations.map(\.version))
            }
        }
    }

    @Test("a changed, already-applied migration is refused and nothing after it runs")
    func changedMigrationIsRefused() async throws {
        let directory = try writeMigrations([
            "0001_first.sql": "CREATE TABLE one (x int);",
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        let logger = self.logger
        try await TestDatabase.withFreshDatabase { configuration in
            try await Database.withDatabase(configuration, logger: logger) { db in
                _ = try await Migrator(migrations: try Migration.load(from: directory), logger: logger).migrate(db)
                try "CREATE TABLE one (x bigint);".write(
                    to: directory.appendingPathComponent("0001_first.sql"), atomically: true, encoding: .utf8)
                try "CREATE TABLE two (x int);".write(
                    to: directory.appendingPathComponent("0002_second.sql"), atomically: true, encoding: .utf8)
                let error = await #expect(throws: StoreError.self) {
                    try await Migrator(migrations: try Migration.load(from: directory), logger: logger).migrate(db)
                }
                #expect(error?.code == .migrationChanged)
                let rows = try await db.client.query("SELECT to_regclass('two') IS NULL", logger: logger)
                for try await absent in rows.decode(Bool.self) { #expect(absent) }
            }
        }
    }

    @Test("a failing migration rolls back whole and is not recorded")
    func failingMigrationRollsBack() async throws {
        let directory = try writeMigrations([
            "0001_good.sql": "CREATE TABLE good (x int);",
            "0002_bad.sql": "CREATE TABLE half (x int);\nINSERT INTO missing_table VALUES (1);",
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        let logger = self.logger
        try await TestDatabase.withFreshDatabase { configuration in
            try await Database.withDatabase(configuration, logger: logger) { db in
                let error = await #expect(throws: StoreError.self) {
                    try await Migrator(migrations: try Migration.load(from: directory), logger: logger).migrate(db)
                }
                #expect(error?.code == .migrationFailed)
                #expect(error?.detail?.contains("42P01") == true)
                let records = try await Migrator.appliedRecords(db, logger: logger)
                #expect(records.map(\.version) == [1])
                let rows = try await db.client.query("SELECT to_regclass('half') IS NULL", logger: logger)
                for try await absent in rows.decode(Bool.self) { #expect(absent) }
            }
        }
    }

    @Test("a database holding a migration this program does not know is refused")
    func unknownAppliedMigrationIsRefused() async throws {
        let newer = try writeMigrations(["0001_a.sql": "SELECT 1;", "0002_b.sql": "SELECT 2;"])
        let older = try writeMigrations(["0001_a.sql": "SELECT 1;"])
        defer {
            try? FileManager.default.removeItem(at: newer)
            try? FileManager.default.removeItem(at: older)
        }
        let logger = self.logger
        try await TestDatabase.withFreshDatabase { configuration in
            try await Database.withDatabase(configuration, logger: logger) { db in
                _ = try await Migrator(migrations: try Migration.load(from: newer), logger: logger).migrate(db)
                let error = await #expect(throws: StoreError.self) {
                    try await Migrator(migrations: try Migration.load(from: older), logger: logger).migrate(db)
                }
                #expect(error?.code == .migrationUnknown)
            }
        }
    }

    @Test("two migrators racing apply each migration exactly once")
    func concurrentMigrators() async throws {
        let directory = try writeMigrations([
            "0001_a.sql": "CREATE TABLE a (x int);",
            "0002_b.sql": "CREATE TABLE b (x int); SELECT pg_sleep(0.2);",
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        let migrations = try Migration.load(from: directory)
        let logger = self.logger
        try await TestDatabase.withFreshDatabase { configuration in
            let reports = try await withThrowingTaskGroup(of: Migrator.Report.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        try await Database.withDatabase(configuration, logger: logger) { db in
                            try await Migrator(migrations: migrations, logger: logger).migrate(db)
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(reports.map(\.applied.count).sorted() == [0, 2])
        }
    }

    @Test("malformed migration file names are rejected with a clear error")
    func badFileName() throws {
        let directory = try writeMigrations(["1_first.sql": "SELECT 1;"])
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = #expect(throws: StoreError.self) { try Migration.load(from: directory) }
        #expect(error?.code == .migrationBadName)
    }
}
