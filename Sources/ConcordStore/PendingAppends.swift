import Logging
import PostgresNIO

/// Events and audit rows a transaction will append, collected so that they are written together
/// at its end, in two round trips. The event log's and the audit chain's counters are the rows
/// every writer of the hub takes; taken last, their locks are held only from there to the commit,
/// so transactions of different offices overlap everywhere else.
///
/// Used inside one transaction by one task; `flush` writes what was collected, in order, and
/// empties it.
public final class PendingAppends {
    private var audit: [AuditChain.Entry] = []
    private var events: [(topic: String, county: String?, payload: String)] = []

    public init() {}

    public var isEmpty: Bool { audit.isEmpty && events.isEmpty }

    public func append(_ entry: AuditChain.Entry) {
        audit.append(entry)
    }

    public func event(topic: String, county: String?, payload: [String: String]) {
        events.append((topic, county, auditDetail(payload)))
    }

    /// Takes back the `conflict.opened` event(s) and audit row collected for a conflict that is
    /// ruled in the same transaction (a dispatch override: no conflict is ever open).
    public func withdrawConflictOpened(_ conflictID: Int64) {
        let mark = "\"conflict\":\"\(conflictID)\""
        events.removeAll { $0.topic == "conflict.opened" && $0.payload.contains(mark) }
        audit.removeAll { $0.action == "conflict.opened" && $0.detailJSON.contains(mark) }
    }

    /// Appends the events, then the audit rows, inside the caller's transaction.
    public func flush(on connection: PostgresConnection, logger: Logger) async throws {
        if !events.isEmpty {
            let (topics, counties, payloads) = (events.map(\.topic), events.map { $0.county ?? "" }, events.map(\.payload))
            try await connection.query(
                "SELECT event_log_append_many(\(topics)::text[], \(counties)::text[], \(payloads)::text[])", logger: logger)
            events.removeAll()
        }
        if !audit.isEmpty {
            let (actors, actions) = (audit.map(\.actor), audit.map(\.action))
            let (subjects, details) = (audit.map(\.subject), audit.map(\.detailJSON))
            try await connection.query(
                "SELECT audit_chain_append_many(\(actors)::text[], \(actions)::text[], \(subjects)::text[], \(details)::text[])",
                logger: logger)
            audit.removeAll()
        }
    }
}
