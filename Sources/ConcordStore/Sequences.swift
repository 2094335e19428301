import Logging
import PostgresNIO

/// Gap-free, commit-ordered sequence numbers, one stream per name (an outbox per peer, the event
/// log, the audit chain).
///
/// `next` must run inside the writing transaction. It increments the stream's row in
/// `sequence_counters` and so holds that row's lock until the transaction ends: a second writer of
/// the same stream waits, numbers commit in the order they were given, and a rollback gives its
/// number back. A reader polling `seq > last_seen` therefore never skips a row.
public enum Sequences {
    public static func next(_ stream: String, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        let rows = try await connection.query(nextQuery(stream), logger: logger)
        for try await value in rows.decode(Int64.self) { return value }
        throw StoreError(.migrationFailed, "序列 \(stream) 未返回新值")
    }

    static func nextQuery(_ stream: String) -> PostgresQuery {
        """
        INSERT INTO sequence_counters (stream, last) VALUES (\(stream), 1)
        ON CONFLICT (stream) DO UPDATE SET last = sequence_counters.last + 1
        RETURNING last
        """
    }

    /// The last number committed on a stream (0 when none).
    public static func last(_ stream: String, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        let rows = try await connection.query("SELECT last FROM sequence_counters WHERE stream = \(stream)", logger: logger)
        for try await value in rows.decode(Int64.self) { return value }
        return 0
    }
}
