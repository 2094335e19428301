import ConcordDomain
import Foundation
import Logging
import PostgresNIO

/// One event of the hub's log.
public struct FeedEvent: Sendable, Equatable {
    public let seq: Int64
    public let topic: String
    public let county: String?
    public let recordedAt: Date
    /// The payload JSON object, as stored.
    public let payload: String
}

/// The departments' feed: appended in the transaction of the change it reports, numbered from one
/// gap-free, commit-ordered sequence, read by position with each reader's grants applied.
public enum EventLog {
    /// New claims at or above this total investment (万元) are published as claim.filed.
    public static let claimThresholdWan = 10_000.0

    @discardableResult
    public static func append(topic: String, county: String?, payload: [String: String],
                              on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        let rows = try await connection.query(
            "SELECT event_log_append(\(topic), \(county), \(auditDetail(payload))::jsonb)", logger: logger)
        for try await seq in rows.decode(Int64.self) { return seq }
        throw StoreError(.migrationFailed, "事件日志未返回序号 (event_log_append returned nothing)")
    }

    /// Events after `seq` that `patterns` allow, in order, at most `limit`. Also returns the last
    /// sequence number examined, so a reader whose grants skip a long run still moves forward.
    public static func read(after seq: Int64, patterns: [TopicPattern], limit: Int, client: PostgresClient,
                            logger: Logger) async throws -> (events: [FeedEvent], examinedThrough: Int64) {
        var events: [FeedEvent] = []
        var cursor = seq
        while events.count < limit {
            let batch = try await client.query("""
                SELECT seq, topic, county, recorded_at, payload::text FROM events WHERE seq > \(cursor) ORDER BY seq LIMIT 1000
                """, logger: logger)
            var rows = 0
            for try await (s, topic, county, at, payload) in batch.decode((Int64, String, String?, Date, String).self) {
                rows += 1
                cursor = s
                if TopicPattern.allows(patterns, topic: topic, county: county) {
                    events.append(FeedEvent(seq: s, topic: topic, county: county, recordedAt: at, payload: payload))
                    if events.count == limit { break }
                }
            }
            if rows < 1000 { break }
        }
        return (events, cursor)
    }

    /// The highest sequence number written.
    public static func head(client: PostgresClient, logger: Logger) async throws -> Int64 {
        let rows = try await client.query("SELECT coalesce(max(seq), 0) FROM events", logger: logger)
        for try await value in rows.decode(Int64.self) { return value }
        return 0
    }
}

/// Topic patterns granted to departments.
public enum GrantStore {
    public static func grant(_ tenant: String, _ patterns: [TopicPattern], client: PostgresClient, logger: Logger) async throws {
        for pattern in patterns {
            do {
                try await client.query("""
                    INSERT INTO grants (tenant, pattern) VALUES (\(tenant), \(pattern.text)) ON CONFLICT DO NOTHING
                    """, logger: logger)
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23503" {
                throw StoreError(.notFound, "没有租户 \(tenant)")
            }
        }
    }

    @discardableResult
    public static func revoke(_ tenant: String, _ patterns: [TopicPattern], client: PostgresClient, logger: Logger) async throws -> Int {
        let texts = patterns.map(\.text)
        let rows = try await client.query("""
            WITH gone AS (DELETE FROM grants WHERE tenant = \(tenant) AND pattern = ANY(\(texts)) RETURNING 1)
            SELECT count(*)::int FROM gone
            """, logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    /// A department's grants; a county office may always read events about itself.
    public static func patterns(for tenant: String, kind: Tenant.Kind, client: PostgresClient, logger: Logger) async throws -> [TopicPattern] {
        try await client.withConnection { try await patterns(for: tenant, kind: kind, on: $0, logger: logger) }
    }

    static func patterns(for tenant: String, kind: Tenant.Kind, on connection: PostgresConnection, logger: Logger) async throws -> [TopicPattern] {
        if kind == .county { return TopicPattern("county.\(tenant).*").map { [$0] } ?? [] }
        let rows = try await connection.query("SELECT pattern FROM grants WHERE tenant = \(tenant) ORDER BY pattern", logger: logger)
        var patterns: [TopicPattern] = []
        for try await text in rows.decode(String.self) { if let pattern = TopicPattern(text) { patterns.append(pattern) } }
        return patterns
    }
}

/// Where each reader of the event feed stands (`concord status`, the subscriber-lag metric).
public struct FeedPosition: Sendable, Equatable {
    public let tenant: String
    /// The position the reader asked from in its latest fetch: it has processed everything up to it.
    public let readThrough: Int64
    public let fetchedAt: Date
    /// Events in the log after `readThrough` (granted to the reader or not: an upper bound).
    public let behind: Int64

    /// Records a fetch from `after`. One statement, outside any transaction: a lost write only
    /// makes the next fetch's position the one shown.
    public static func record(tenant: String, after: Int64, client: PostgresClient, logger: Logger) async throws {
        try await client.query("""
            INSERT INTO feed_readers (tenant, read_through, fetched_at) VALUES (\(tenant), \(after), now())
            ON CONFLICT (tenant) DO UPDATE SET read_through = EXCLUDED.read_through, fetched_at = EXCLUDED.fetched_at
            """, logger: logger)
    }

    public static func all(client: PostgresClient, logger: Logger) async throws -> [FeedPosition] {
        let rows = try await client.query("""
            SELECT r.tenant, r.read_through, r.fetched_at,
                   greatest(0, (SELECT coalesce(max(seq), 0) FROM events) - r.read_through)::int8
            FROM feed_readers r ORDER BY r.tenant
            """, logger: logger)
        var readers: [FeedPosition] = []
        for try await (tenant, through, at, behind) in rows.decode((String, Int64, Date, Int64).self) {
            readers.append(FeedPosition(tenant: tenant, readThrough: through, fetchedAt: at, behind: behind))
        }
        return readers
    }
}
