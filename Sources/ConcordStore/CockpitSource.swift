import ConcordDomain
import Foundation
import Logging
import PostgresNIO

/// Reads the cockpit's facts from the hub's database.
public enum CockpitSource {
    public static func load(client: PostgresClient, logger: Logger) async throws -> CockpitInput {
        var reached: [Int64: [LeadStage: Date]] = [:]
        let stages = try await client.query("SELECT claim_id, stage, reached_at FROM claim_stages", logger: logger)
        for try await (id, stage, at) in stages.decode((Int64, String, Date).self) {
            if let stage = LeadStage(rawValue: stage) { reached[id, default: [:]][stage] = at }
        }
        var input = CockpitInput()
        let claims = try await client.query("SELECT id, office, reported_at, stage FROM claims", logger: logger)
        for try await (id, office, filed, stage) in claims.decode((Int64, String, Date, String).self) {
            input.claims.append(.init(office: office, filedAt: filed, stage: LeadStage(rawValue: stage) ?? .lead, reached: reached[id] ?? [:]))
        }
        let assignments = try await client.query("SELECT county, assigned_at, respond_by, responded_at FROM assignments", logger: logger)
        for try await (county, assigned, respondBy, responded) in assignments.decode((String, Date, Date, Date?).self) {
            input.assignments.append(.init(county: county, assignedAt: assigned, respondBy: respondBy, respondedAt: responded))
        }
        let conflicts = try await client.query("""
            SELECT f.opened_at,
                   (SELECT min(decided_at) FROM decisions d WHERE d.conflict_id = f.id),
                   (SELECT kind FROM decisions d WHERE d.id = f.current_decision),
                   array(SELECT DISTINCT c.office FROM conflict_parties p JOIN claims c ON c.id = p.claim_id WHERE p.conflict_id = f.id)
            FROM conflicts f
            """, logger: logger)
        for try await (opened, decided, outcome, offices) in conflicts.decode((Date, Date?, String?, [String]).self) {
            input.conflicts.append(.init(offices: offices, openedAt: opened, decidedAt: decided, outcome: outcome))
        }
        let checks = try await client.query("SELECT actor, recorded_at FROM audit_chain WHERE action = 'check'", logger: logger)
        for try await (actor, at) in checks.decode((String, Date).self) { input.checks.append(.init(asker: actor, at: at)) }
        return input
    }
}
