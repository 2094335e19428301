import Foundation
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle

/// Samples what the database knows every few seconds into gauges: per peer, the messages waiting
/// for an acknowledgement and the oldest one's age; at the hub, open conflicts, overdue assignments
/// the event log's head and how far behind it each feed reader is. Counters for messages, resends and checks are kept where they happen.
public struct DeliveryMetrics: Service {
    let client: PostgresClient
    let logger: Logger
    let hub: Bool
    let interval: Duration
    /// The pool's application_name and size, for the pool gauges.
    let pool: (applicationName: String, maximum: Int)

    public init(database: Database, logger: Logger, hub: Bool, interval: Duration = .seconds(5)) {
        self.client = database.client
        self.logger = logger
        self.hub = hub
        self.interval = interval
        self.pool = (database.configuration.applicationName, database.configuration.maximumConnections)
    }

    public func run() async throws {
        var known: Set<String> = []
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let peers = try await PeerDelivery.all(client: client, logger: logger)
                for peer in peers {
                    Gauge(label: "concord_outbox_waiting", dimensions: [("peer", peer.peer)]).record(peer.waiting)
                    Gauge(label: "concord_outbox_oldest_seconds", dimensions: [("peer", peer.peer)]).record(peer.oldestWaitingSeconds ?? 0)
                    Gauge(label: "concord_peer_applied_through", dimensions: [("peer", peer.peer)]).record(peer.appliedThrough)
                    known.insert(peer.peer)
                }
                for gone in known.subtracting(peers.map(\.peer)) {
                    Gauge(label: "concord_outbox_waiting", dimensions: [("peer", gone)]).record(0)
                }
                // The pool as PostgreSQL sees it: this daemon's connections (by application_name)
                // and those running a statement, less the one asking.
                let rows = try await client.query("""
                    SELECT count(*)::int8, (count(*) FILTER (WHERE state <> 'idle') - 1)::int8 FROM pg_stat_activity
                    WHERE datname = current_database() AND application_name = \(pool.applicationName)
                    """, logger: logger)
                for try await (open, busy) in rows.decode((Int64, Int64).self) {
                    Gauge(label: "concord_db_connections_open").record(open)
                    Gauge(label: "concord_db_connections_busy").record(max(0, busy))
                }
                Gauge(label: "concord_db_connections_max").record(pool.maximum)
                if hub {
                    Gauge(label: "concord_conflicts_open").record(try await count("SELECT count(*)::int8 FROM conflicts WHERE status = 'open'"))
                    Gauge(label: "concord_assignments_overdue").record(try await count(
                        "SELECT count(*)::int8 FROM assignments WHERE status = 'offered' AND respond_by < now()"))
                    Gauge(label: "concord_event_log_head").record(try await count("SELECT coalesce(max(seq), 0)::int8 FROM events"))
                    for reader in try await FeedPosition.all(client: client, logger: logger) {
                        Gauge(label: "concord_subscriber_lag_events", dimensions: [("tenant", reader.tenant)]).record(reader.behind)
                        Gauge(label: "concord_subscriber_last_fetch_seconds", dimensions: [("tenant", reader.tenant)])
                            .record(Date().timeIntervalSince(reader.fetchedAt))
                    }
                }
            } catch {
                logger.warning("could not sample delivery metrics", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            }
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }

    func count(_ sql: String) async throws -> Int64 {
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        for try await value in rows.decode(Int64.self) { return value }
        return 0
    }
}

/// The counters both daemons keep, by message type (labels are bounded: the protocol's types).
public enum WireMetrics {
    public static func received(_ type: String) { Counter(label: "concord_messages_received_total", dimensions: [("type", type)]).increment() }
    public static func sent(_ type: String, count: Int = 1) {
        Counter(label: "concord_messages_sent_total", dimensions: [("type", type)]).increment(by: count)
    }
    public static func resent(_ peer: String, count: Int) {
        guard count > 0 else { return }
        Counter(label: "concord_messages_resent_total", dimensions: [("peer", peer)]).increment(by: count)
    }
}
