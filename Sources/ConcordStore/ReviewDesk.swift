import ConcordDomain
import Foundation
import Logging
import PostgresNIO

/// The hub's view of each project's combined review status (联审进度), computed from the event
/// log, the departments' current grants and the opinions given (ReviewStatus has the rule).
public struct ReviewDesk: Sendable {
    /// One project with its review entries.
    public struct Project: Sendable {
        public let claim: Int64
        public let office: String
        public let leadRef: String
        public let investorName: String
        public let projectName: String?
        public let stage: String
        public let entries: [ReviewEntry]
    }

    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// Active departments with their grants, and every department's display name.
    func readers(on connection: PostgresConnection) async throws -> (readers: [ReviewStatus.Reader], names: [String: String]) {
        let rows = try await connection.query("""
            SELECT t.id, t.name, t.revoked_at IS NULL, coalesce(array_agg(g.pattern ORDER BY g.pattern) FILTER (WHERE g.pattern IS NOT NULL), '{}')
            FROM tenants t LEFT JOIN grants g ON g.tenant = t.id
            WHERE t.kind = 'department' GROUP BY t.id, t.name, t.revoked_at ORDER BY t.id
            """, logger: logger)
        var readers: [ReviewStatus.Reader] = []
        var names: [String: String] = [:]
        for try await (id, name, active, patterns) in rows.decode((String, String, Bool, [String]).self) {
            names[id] = name
            if active { readers.append(.init(id: id, name: name, patterns: patterns.compactMap(TopicPattern.init))) }
        }
        return (readers, names)
    }

    /// The review entries of one project.
    public func status(claim: Int64, on connection: PostgresConnection) async throws -> [ReviewEntry] {
        let (readers, names) = try await readers(on: connection)
        return try await status(claim: claim, readers: readers, names: names, on: connection)
    }

    func status(claim: Int64, readers: [ReviewStatus.Reader], names: [String: String],
                on connection: PostgresConnection) async throws -> [ReviewEntry] {
        var events: [ReviewStatus.Event] = []
        let eventRows = try await connection.query(
            "SELECT topic, county, recorded_at FROM events WHERE payload ->> 'claim' = \(String(claim)) ORDER BY seq", logger: logger)
        for try await (topic, county, at) in eventRows.decode((String, String?, Date).self) {
            events.append(.init(topic: topic, county: county, at: at))
        }
        var opinions: [ReviewStatus.Opinion] = []
        let opinionRows = try await connection.query(
            "SELECT department, verdict, given_at FROM opinions WHERE claim_id = \(claim)", logger: logger)
        for try await (department, verdict, at) in opinionRows.decode((String, String, Date).self) {
            opinions.append(.init(department: department, verdict: verdict, at: at))
        }
        return ReviewStatus.compute(readers: readers, events: events, opinions: opinions, names: names)
    }

    /// A changed review status the owning office has not been sent yet.
    public struct Change: Sendable {
        public let claim: Int64
        public let office: String
        public let leadRef: String
        public let entries: [ReviewEntry]
    }

    /// Recomputes one project's status inside the caller's transaction and returns it when it
    /// differs from the last one recorded as sent (recording it), so the caller can send it.
    public func refresh(office: String, leadRef: String, on connection: PostgresConnection) async throws -> Change? {
        let rows = try await connection.query(
            "SELECT id FROM claims WHERE office = \(office) AND lead_ref = \(leadRef)", logger: logger)
        var claim: Int64?
        for try await id in rows.decode(Int64.self) { claim = id }
        guard let claim else { return nil }
        let (readers, names) = try await readers(on: connection)
        return try await refresh(claim: claim, office: office, leadRef: leadRef, readers: readers, names: names, on: connection)
    }

    /// Recomputes every project's status (after grants changed) and returns those that changed.
    public func refreshAll(on connection: PostgresConnection) async throws -> [Change] {
        let (readers, names) = try await readers(on: connection)
        let rows = try await connection.query("""
            SELECT c.id, c.office, c.lead_ref FROM claims c
            WHERE EXISTS (SELECT 1 FROM events e WHERE e.payload ->> 'claim' = c.id::text)
               OR EXISTS (SELECT 1 FROM review_snapshots s WHERE s.claim_id = c.id)
            ORDER BY c.id
            """, logger: logger)
        var projects: [(Int64, String, String)] = []
        for try await row in rows.decode((Int64, String, String).self) { projects.append(row) }
        var changes: [Change] = []
        for (claim, office, leadRef) in projects {
            if let change = try await refresh(claim: claim, office: office, leadRef: leadRef, readers: readers, names: names, on: connection) {
                changes.append(change)
            }
        }
        return changes
    }

    func refresh(claim: Int64, office: String, leadRef: String, readers: [ReviewStatus.Reader], names: [String: String],
                 on connection: PostgresConnection) async throws -> Change? {
        let entries = try await status(claim: claim, readers: readers, names: names, on: connection)
        let changed: PostgresRowSequence
        if entries.isEmpty {
            changed = try await connection.query(
                "DELETE FROM review_snapshots WHERE claim_id = \(claim) RETURNING 1", logger: logger)
        } else {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .millisecondsSince1970
            let snapshot = String(decoding: try encoder.encode(entries), as: UTF8.self)
            changed = try await connection.query("""
                INSERT INTO review_snapshots (claim_id, snapshot) VALUES (\(claim), \(snapshot)::jsonb)
                ON CONFLICT (claim_id) DO UPDATE SET snapshot = EXCLUDED.snapshot, sent_at = now()
                    WHERE review_snapshots.snapshot IS DISTINCT FROM EXCLUDED.snapshot
                RETURNING 1
                """, logger: logger)
        }
        var any = false
        for try await _ in changed.decode(Int.self) { any = true }
        return any ? Change(claim: claim, office: office, leadRef: leadRef, entries: entries) : nil
    }

    /// Every project some department has been asked to review or has answered, for coordinators:
    /// those with pending reviews first, longest waiting first.
    public func projects(client: PostgresClient, now: Date) async throws -> [Project] {
        try await client.withConnection { connection in
            let (readers, names) = try await readers(on: connection)
            var events: [Int64: [ReviewStatus.Event]] = [:]
            let eventRows = try await connection.query("""
                SELECT (payload ->> 'claim')::bigint, topic, county, recorded_at FROM events
                WHERE payload ->> 'claim' ~ '^[0-9]{1,18}$' ORDER BY seq
                """, logger: logger)
            for try await (claim, topic, county, at) in eventRows.decode((Int64, String, String?, Date).self) {
                events[claim, default: []].append(.init(topic: topic, county: county, at: at))
            }
            var opinions: [Int64: [ReviewStatus.Opinion]] = [:]
            let opinionRows = try await connection.query("SELECT claim_id, department, verdict, given_at FROM opinions", logger: logger)
            for try await (claim, department, verdict, at) in opinionRows.decode((Int64, String, String, Date).self) {
                opinions[claim, default: []].append(.init(department: department, verdict: verdict, at: at))
            }
            let ids = Array(Set(events.keys).union(opinions.keys)).sorted()
            var projects: [Project] = []
            let claimRows = try await connection.query("""
                SELECT id, office, lead_ref, investor_name, project_name, stage FROM claims WHERE id = ANY(\(ids)) ORDER BY id
                """, logger: logger)
            for try await (id, office, leadRef, investor, project, stage) in claimRows.decode((Int64, String, String, String, String?, String).self) {
                let entries = ReviewStatus.compute(readers: readers, events: events[id] ?? [], opinions: opinions[id] ?? [], names: names)
                guard !entries.isEmpty else { continue }
                projects.append(Project(claim: id, office: office, leadRef: leadRef, investorName: investor,
                                        projectName: project, stage: stage, entries: entries))
            }
            func longestWait(_ p: Project) -> TimeInterval {
                p.entries.filter(\.isPending).map { $0.waited(now: now) }.max() ?? -1
            }
            return projects.sorted { (longestWait($0), -$0.claim) > (longestWait($1), -$1.claim) }
        }
    }
}
