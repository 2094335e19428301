import ConcordDomain
import Foundation
import Logging
import PostgresNIO

/// Reads the cockpit's facts from the hub's database.
public enum CockpitSource {
    /// Every claim with its enterprise and whether the enterprise is counted by it, so the cockpit
    /// counts each enterprise once, under the office holding it.
    ///
    /// The enterprise: a claim ruled a different project (`distinct`) is its own; any other claim is
    /// on the enterprise of the claim now holding its credit-code key, else its name key (when the
    /// credit codes do not differ), else of the claim it points at (`holder_claim`), else its own.
    /// Keys follow the holder through rulings and hand-overs, so a lost, transferred-out or waiting
    /// claim names the claim that holds the enterprise now.
    ///
    /// Which claim counts the enterprise, by tier, then the enterprise's own claim, then the first
    /// reported:
    /// 0. a holding claim: held or settled with no `holder_claim`, joint, taskforce, distinct (a
    ///    ruling moves the keys to the decided holder, so the joint or task-force holder comes first);
    /// 1. held or settled by an office that already holds the enterprise with another claim;
    /// 2. released without being ruled away: dropped (终止, outcome NULL, or dropped after a ruling in
    ///    its favour) or lapsed. It counts only when no claim of tier 0 or 1 shares a key with it:
    ///    the enterprise nobody took over is still counted once, with its last stage;
    /// 3. never: contested (waiting on another office's claim), released as lost, transferred_out or
    ///    rejected (counted under the claim that got it).
    static let claimsQuery: PostgresQuery = """
        WITH keyed AS (
            -- A claim is counted from when the hub received it (首报), not from the date its office wrote.
            SELECT k.id, k.office, k.received_at AS reported_at, k.stage, k.status, k.decision_outcome, k.code_key, k.name_key,
                   CASE WHEN k.status = 'distinct' THEN k.id
                        ELSE coalesce(hc.claim_id,
                                      CASE WHEN k.code_key IS NULL OR n.code_key IS NULL OR n.code_key = k.code_key
                                           THEN hn.claim_id END,
                                      k.holder_claim, k.id)
                   END AS enterprise,
                   CASE WHEN k.status IN ('joint', 'taskforce', 'distinct') THEN 0
                        WHEN k.status IN ('held', 'settled') AND k.holder_claim IS NULL THEN 0
                        WHEN k.status IN ('held', 'settled') THEN 1
                        WHEN k.status = 'released'
                             AND coalesce(k.decision_outcome, '') NOT IN ('lost', 'transferred_out', 'rejected') THEN 2
                        ELSE 3
                   END AS tier
            FROM claims k
            LEFT JOIN enterprise_holders hc ON hc.key = k.code_key
            LEFT JOIN enterprise_holders hn ON hn.key = k.name_key
            LEFT JOIN claims n ON n.id = hn.claim_id
        ), active_keys AS (
            SELECT code_key AS key FROM keyed WHERE tier < 2 AND code_key IS NOT NULL
            UNION
            SELECT name_key FROM keyed WHERE tier < 2 AND name_key IS NOT NULL
        ), ranked AS (
            SELECT keyed.*, row_number() OVER (PARTITION BY enterprise
                                               ORDER BY tier, (id = enterprise) DESC, reported_at, id) AS place
            FROM keyed
        )
        SELECT id, office, reported_at, stage, status, decision_outcome, enterprise,
               place = 1 AND tier < 3
               AND (tier < 2 OR NOT (coalesce(code_key IN (SELECT key FROM active_keys), false)
                                     OR coalesce(name_key IN (SELECT key FROM active_keys), false)))
        FROM ranked
        """

    public static func load(client: PostgresClient, logger: Logger) async throws -> CockpitInput {
        var reached: [Int64: [LeadStage: Date]] = [:]
        let stages = try await client.query("SELECT claim_id, stage, reached_at FROM claim_stages", logger: logger)
        for try await (id, stage, at) in stages.decode((Int64, String, Date).self) {
            if let stage = LeadStage(rawValue: stage) { reached[id, default: [:]][stage] = at }
        }
        var input = CockpitInput()
        let claims = try await client.query(claimsQuery, logger: logger)
        for try await (id, office, filed, stage, status, outcome, enterprise, counts)
            in claims.decode((Int64, String, Date, String, String, String?, Int64, Bool).self) {
            input.claims.append(.init(id: id, office: office, filedAt: filed, stage: LeadStage(rawValue: stage) ?? .lead,
                                      reached: reached[id] ?? [:], status: status, outcome: outcome,
                                      enterprise: enterprise, counts: counts))
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
            -- A dispatch override ruled in the filing's transaction was never a conflict (its
            -- transfer still counts under 流转入 / 流转出).
            WHERE NOT EXISTS (SELECT 1 FROM decisions d JOIN assignments a ON a.transfer_decision = d.id WHERE d.conflict_id = f.id)
            """, logger: logger)
        for try await (opened, decided, outcome, offices) in conflicts.decode((Date, Date?, String?, [String]).self) {
            input.conflicts.append(.init(offices: offices, openedAt: opened, decidedAt: decided, outcome: outcome))
        }
        let checks = try await client.query("SELECT actor, recorded_at FROM audit_chain WHERE action = 'check'", logger: logger)
        for try await (actor, at) in checks.decode((String, Date).self) { input.checks.append(.init(asker: actor, at: at)) }
        return input
    }
}
