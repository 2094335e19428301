import Foundation
import Logging
import ConcordTestSupport
import PostgresNIO
@testable import ConcordStore

extension TestDatabase {
    /// A fresh database with the repository's migrations applied, and a running pool on it.
    static func withMigratedDatabase<T: Sendable>(_ body: @escaping @Sendable (Database) async throws -> T) async throws -> T {
        let migrations = try Migration.load(from: schemasDirectory)
        return try await withFreshDatabase { configuration in
            var configuration = configuration
            configuration.maximumConnections = 20
            return try await Database.withDatabase(configuration, logger: logger) { db in
                _ = try await Migrator(migrations: migrations, logger: logger).migrate(db)
                return try await body(db)
            }
        }
    }
}

/// A transaction held open on its own connection until the test says to commit or roll back.
final class OpenTransaction: Sendable {
    private let commands: AsyncStream<Command>.Continuation
    private let task: Task<Void, any Error>

    enum Command: Sendable {
        case run(PostgresQuery, CheckedContinuation<[Int64], any Error>)
        case finish(commit: Bool, CheckedContinuation<Void, any Error>)
    }

    init(_ db: Database) {
        let (stream, continuation) = AsyncStream.makeStream(of: Command.self)
        self.commands = continuation
        self.task = Task {
            try await db.client.withConnection { connection in
                let logger = TestDatabase.logger
                try await connection.query("BEGIN", logger: logger)
                for await command in stream {
                    switch command {
                    case .run(let sql, let reply):
                        do {
                            var values: [Int64] = []
                            let rows = try await connection.query(sql, logger: logger)
                            for try await value in rows.decode(Int64.self) { values.append(value) }
                            reply.resume(returning: values)
                        } catch {
                            reply.resume(throwing: error)
                        }
                    case .finish(let commit, let reply):
                        do {
                            try await connection.query(commit ? "COMMIT" : "ROLLBACK", logger: logger)
                            reply.resume()
                        } catch {
                            reply.resume(throwing: error)
                        }
                        return
                    }
                }
            }
        }
    }

    /// Runs a statement returning one bigint column.
    func run(_ sql: String) async throws -> [Int64] {
        try await run(PostgresQuery(unsafeSQL: sql))
    }

    func run(_ query: PostgresQuery) async throws -> [Int64] {
        try await withCheckedThrowingContinuation { commands.yield(.run(query, $0)) }
    }

    func finish(commit: Bool) async throws {
        try await withCheckedThrowingContinuation { commands.yield(.finish(commit: commit, $0)) }
        commands.finish()
        try await task.value
    }
}

/// Reads the seq column of a table as a reader polling "seq > last" would.
func committedSequences(_ db: Database, table: String, after last: Int64) async throws -> [Int64] {
    let rows = try await db.client.query(PostgresQuery(unsafeSQL: "SELECT seq FROM \(table) WHERE seq > \(last) ORDER BY seq"),
                                         logger: TestDatabase.logger)
    var values: [Int64] = []
    for try await value in rows.decode(Int64.self) { values.append(value) }
    return values
}
