import Foundation
import Logging
import PostgresNIO

/// A department subscriber's cursor in the department's own PostgreSQL (`concord subscribe` with
/// `database_url` configured): the last sequence number processed, one row per (tenant, name),
/// each write its own committed transaction. The table is the subscriber's only one, created on
/// first use, named so it cannot clash with the department's own tables.
public struct SubscriberCursor: Sendable {
    public let tenant: String
    public let name: String
    let client: PostgresClient
    let logger: Logger

    public init(tenant: String, name: String, client: PostgresClient, logger: Logger) {
        (self.tenant, self.name, self.client, self.logger) = (tenant, name, client, logger)
    }

    public func prepare() async throws {
        try await client.query("""
            CREATE TABLE IF NOT EXISTS concord_subscriber_cursors (
                tenant     text NOT NULL,
                name       text NOT NULL,
                position   bigint NOT NULL CHECK (position >= 0),
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (tenant, name)
            )
            """, logger: logger)
    }

    public func read() async throws -> Int64? {
        let rows = try await client.query(
            "SELECT position FROM concord_subscriber_cursors WHERE tenant = \(tenant) AND name = \(name)", logger: logger)
        for try await position in rows.decode(Int64.self) { return position }
        return nil
    }

    public func write(_ position: Int64) async throws {
        try await client.query("""
            INSERT INTO concord_subscriber_cursors (tenant, name, position) VALUES (\(tenant), \(name), \(position))
            ON CONFLICT (tenant, name) DO UPDATE SET position = EXCLUDED.position, updated_at = now()
            """, logger: logger)
    }
}
