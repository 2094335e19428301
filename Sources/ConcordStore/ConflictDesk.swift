import ConcordDomain
import Foundation
import Logging
import PostgresNIO

/// A conflict as a coordinator sees it: every claim side by side, the current decision.
public struct ConflictView: Sendable {
    public struct Party: Sendable {
        public let claimID: Int64
        public let office: String
        public let leadRef: String
        public let investorName: String
        public let creditCode: String?
        public let projectName: String?
        public let industry: String?
        public let investmentWan: Double?
        public let stage: LeadStage
        /// 首报: when the hub received the filing (decides first report and protection).
        public let receivedAt: Date
        /// The date the office put on its filing (区县填报日期): shown, decides nothing.
        public let countyReportedAt: Date
        public let lastProgressAt: Date?
        public let status: String
        public let isHolder: Bool
        /// When the hub saw the claim reach each stage, in order.
        public internal(set) var stageDates: [(stage: LeadStage, at: Date)]

        public var rules: ConflictParty {
            ConflictParty(claimID: claimID, office: office, receivedAt: receivedAt, lastProgressAt: lastProgressAt,
                          stage: stage, investmentWan: investmentWan)
        }
    }

    public struct Decision: Sendable {
        public let id: Int64
        public let kind: String
        public let summary: String
        public let reason: String
        public let coordinator: String
        public let decidedAt: Date
        public let supersedes: Int64?
    }

    public let id: Int64
    public let status: String
    public let openedAt: Date
    public let holderClaim: Int64
    public let parties: [Party]
    /// Every decision, oldest first; the last one is in force.
    public let decisions: [Decision]
    public let currentDecision: Int64?

    /// Set when two parties file the same registered name under different valid credit codes
    /// (`NameCodeRule`): the conflict is of that kind, and this says so with the codes.
    public var nameCodeMismatch: String? {
        for (i, a) in parties.enumerated() {
            for b in parties.dropFirst(i + 1)
            where NameCodeRule.conflicts(a.investorName, codeA: a.creditCode, b.investorName, codeB: b.creditCode) {
                let codes = parties.filter { NameCodeRule.registeredForm($0.investorName) == NameCodeRule.registeredForm(a.investorName) }
                    .compactMap(\.creditCode)
                return NameCodeRule.explanation(name: a.investorName, codes: Array(Set(codes)).sorted())
            }
        }
        return nil
    }
}

/// The coordinators' desk: list and show conflicts, record decisions. Every method runs in the
/// caller's transaction where it changes state, so the decision, the claims it changes, its audit
/// row and the notices to the offices commit together.
public struct ConflictDesk: Sendable {
    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func list(openOnly: Bool, county: String?, client: PostgresClient) async throws -> [ConflictView] {
        let rows = try await client.query("""
            SELECT DISTINCT f.id FROM conflicts f
            JOIN conflict_parties p ON p.conflict_id = f.id JOIN claims c ON c.id = p.claim_id
            WHERE (\(!openOnly) OR f.status = 'open') AND (\(county)::text IS NULL OR c.office = \(county))
            ORDER BY f.id
            """, logger: logger)
        var ids: [Int64] = []
        for try await id in rows.decode(Int64.self) { ids.append(id) }
        var views: [ConflictView] = []
        for id in ids {
            if let view = try await client.withConnection({ try await show(id, on: $0) }) { views.append(view) }
        }
        return views
    }

    public func show(_ id: Int64, on connection: PostgresConnection) async throws -> ConflictView? {
        var header: (String, Date, Int64, Int64?)?
        let conflict = try await connection.query(
            "SELECT status, opened_at, holder_claim, current_decision FROM conflicts WHERE id = \(id)", logger: logger)
        for try await row in conflict.decode((String, Date, Int64, Int64?).self) { header = row }
        guard let (status, openedAt, holder, current) = header else { return nil }
        var parties: [ConflictView.Party] = []
        let partyRows = try await connection.query("""
            SELECT c.id, c.office, c.lead_ref, c.investor_name, c.credit_code, c.project_name, c.industry,
                   c.investment_wan::float8, c.stage, c.received_at, c.last_progress_at, c.status, c.reported_at
            FROM conflict_parties p JOIN claims c ON c.id = p.claim_id
            WHERE p.conflict_id = \(id) ORDER BY c.received_at, c.id
            """, logger: logger)
        for try await row in partyRows.decode((Int64, String, String, String, String?, String?, String?, Double?, String, Date, Date?, String, Date).self) {
            parties.append(ConflictView.Party(
                claimID: row.0, office: row.1, leadRef: row.2, investorName: row.3, creditCode: row.4, projectName: row.5,
                industry: row.6, investmentWan: row.7, stage: LeadStage(rawValue: row.8) ?? .lead, receivedAt: row.9, countyReportedAt: row.12,
                lastProgressAt: row.10, status: row.11, isHolder: row.0 == holder, stageDates: []))
        }
        var dates: [Int64: [(stage: LeadStage, at: Date)]] = [:]
        let stageRows = try await connection.query(
            "SELECT claim_id, stage, reached_at FROM claim_stages WHERE claim_id = ANY(\(parties.map(\.claimID))) ORDER BY reached_at",
            logger: logger)
        for try await (claim, stage, at) in stageRows.decode((Int64, String, Date).self) {
            if let stage = LeadStage(rawValue: stage) { dates[claim, default: []].append((stage, at)) }
        }
        for index in parties.indices { parties[index].stageDates = dates[parties[index].claimID] ?? [] }
        var decisions: [ConflictView.Decision] = []
        let decisionRows = try await connection.query("""
            SELECT id, kind, detail ->> 'summary', reason, coordinator, decided_at, supersedes
            FROM decisions WHERE conflict_id = \(id) ORDER BY id
            """, logger: logger)
        for try await row in decisionRows.decode((Int64, String, String, String, String, Date, Int64?).self) {
            decisions.append(ConflictView.Decision(id: row.0, kind: row.1, summary: row.2, reason: row.3, coordinator: row.4,
                                                   decidedAt: row.5, supersedes: row.6))
        }
        return ConflictView(id: id, status: status, openedAt: openedAt, holderClaim: holder, parties: parties,
                            decisions: decisions, currentDecision: current)
    }

    /// Records a decision by a coordinator and applies it to every claim of the conflict. Returns the
    /// decision id and what each office must be told.
    public func decide(conflictID: Int64, decision: ArbitrationDecision, reason: String, coordinator: String,
                       supersedes: Int64?, policy: ProtectionPolicy, now: Date,
                       on connection: PostgresConnection) async throws -> (Int64, [ClaimNotice]) {
        guard try await TenantStore.activeKind(coordinator, on: connection, logger: logger) == .coordinator else {
            throw ArbitrationRefusal(.notCoordinator(coordinator))
        }
        // Lock the conflict: two coordinators deciding at once are decided one after the other.
        let locked = try await connection.query("SELECT id FROM conflicts WHERE id = \(conflictID) FOR UPDATE", logger: logger)
        var exists = false
        for try await _ in locked.decode(Int64.self) { exists = true }
        guard exists, let view = try await show(conflictID, on: connection) else {
            throw StoreError(.notFound, "没有编号为 \(conflictID) 的撞单")
        }
        if let error = ArbitrationRules.validate(decision, parties: view.parties.map(\.rules), reason: reason,
                                                 currentDecision: view.currentDecision, supersedes: supersedes, policy: policy) {
            throw ArbitrationRefusal(error)
        }
        let plan = outcomes(of: decision, view: view)
        let detail = decisionDetail(decision)
        var decisionID: Int64 = 0
        let inserted = try await connection.query("""
            INSERT INTO decisions (conflict_id, kind, detail, reason, coordinator, decided_at, supersedes)
            VALUES (\(conflictID), \(decision.kind), \(detail)::jsonb, \(reason), \(coordinator), \(now), \(supersedes))
            RETURNING id
            """, logger: logger)
        for try await id in inserted.decode(Int64.self) { decisionID = id }

        for party in view.parties {
            guard let (status, outcome) = plan.claims[party.claimID] else { continue }
            try await connection.query("""
                UPDATE claims SET status = \(status), decision_outcome = \(outcome),
                    holder_claim = \(status == "held" && party.claimID != plan.holder ? plan.holder : nil)
                WHERE id = \(party.claimID)
                """, logger: logger)
        }
        // The enterprise's keys follow the decided holder.
        let partyIDs = view.parties.map(\.claimID)
        try await connection.query(
            "UPDATE enterprise_holders SET claim_id = \(plan.holder) WHERE claim_id = ANY(\(partyIDs))", logger: logger)
        try await connection.query("""
            UPDATE conflicts SET status = \(plan.closes ? "decided" : "open"),
                current_decision = \(plan.closes ? decisionID : nil), holder_claim = \(plan.holder),
                closed_at = \(plan.closes ? now : nil)
            WHERE id = \(conflictID)
            """, logger: logger)
        if !plan.closes {
            for party in view.parties where plan.claims[party.claimID]?.0 == "released" {
                try await connection.query(
                    "DELETE FROM conflict_parties WHERE conflict_id = \(conflictID) AND claim_id = \(party.claimID)", logger: logger)
            }
        }
        try await AuditChain.append(.init(
            actor: coordinator, action: supersedes == nil ? "decision" : "decision.supersede", subject: "conflict:\(conflictID)",
            detailJSON: auditDetail(["decision": "\(decisionID)", "kind": decision.kind, "summary": decision.summary,
                                     "reason": reason, "supersedes": supersedes.map(String.init) ?? ""])),
            on: connection, logger: logger)

        try await EventLog.append(topic: "conflict.decided", county: view.parties.first { $0.claimID == plan.holder }?.office, payload: [
            "conflict": "\(conflictID)", "decision": "\(decisionID)", "kind": decision.kind, "summary": decision.summary,
            "offices": view.parties.map(\.office).joined(separator: ","),
        ], on: connection, logger: logger)
        let holderOffice = view.parties.first { $0.claimID == plan.holder }?.office
        let holderSince = view.parties.first { $0.claimID == plan.holder }?.receivedAt
        var notices: [ClaimNotice] = []
        for party in view.parties {
            guard let (status, outcome) = plan.claims[party.claimID], let noticeStatus = ClaimNotice.Status(rawValue: status) else { continue }
            var notice = ClaimNotice(office: party.office, leadRef: party.leadRef, status: noticeStatus,
                                     holderOffice: holderOffice, holderSince: holderSince, conflictID: conflictID)
            notice.decision = DecisionNotice(id: decisionID, kind: decision.kind, summary: decision.summary, reason: reason, outcome: outcome)
            notices.append(notice)
        }
        return (decisionID, notices)
    }

    struct Plan {
        var holder: Int64
        var claims: [Int64: (String, String)] = [:]
        var closes = true
    }

    /// What a decision makes of every claim of the conflict (applied afresh, so a superseding
    /// decision replaces the effects of the one before).
    func outcomes(of decision: ArbitrationDecision, view: ConflictView) -> Plan {
        let parties = view.parties
        func first(of office: String) -> Int64? { parties.first { $0.office == office }?.claimID }
        var plan = Plan(holder: view.holderClaim)
        func assign(winner office: String, _ winning: (String, String), others: (String, String), sameOffice: (String, String)) {
            plan.holder = first(of: office) ?? view.holderClaim
            for party in parties {
                if party.claimID == plan.holder { plan.claims[party.claimID] = winning }
                else if party.office == office { plan.claims[party.claimID] = sameOffice }
                else { plan.claims[party.claimID] = others }
            }
        }
        switch decision {
        case .award(let office):
            assign(winner: office, ("held", "won"), others: ("released", "lost"), sameOffice: ("held", "won"))
        case .transfer(let from, let to, _, _, _):
            assign(winner: to, ("held", "transferred_in"), others: ("released", "lost"), sameOffice: ("held", "transferred_in"))
            for party in parties where party.office == from { plan.claims[party.claimID] = ("released", "transferred_out") }
        case .joint(let offices, _):
            plan.holder = first(of: offices[0]) ?? view.holderClaim
            for party in parties {
                plan.claims[party.claimID] = offices.contains(party.office) ? ("joint", "joint") : ("released", "lost")
            }
        case .distinct:
            for party in parties {
                plan.claims[party.claimID] = party.claimID == view.holderClaim ? ("held", "upheld") : ("distinct", "distinct")
            }
        case .taskforce:
            for party in parties { plan.claims[party.claimID] = ("taskforce", "taskforce") }
        case .reject(let claim):
            plan.claims[claim] = ("released", "rejected")
            let remaining = parties.filter { $0.claimID != claim }
            if claim == view.holderClaim, let heir = remaining.first { plan.holder = heir.claimID }
            if remaining.count <= 1 {
                for party in remaining { plan.claims[party.claimID] = ("held", "upheld") }
            } else {
                plan.closes = false
            }
        }
        return plan
    }

    func decisionDetail(_ decision: ArbitrationDecision) -> String {
        var fields = ["summary": decision.summary, "name": decision.chineseName]
        switch decision {
        case .award(let office): fields["office"] = office
        case .transfer(let from, let to, let a, let b, let years):
            fields["from"] = from; fields["to"] = to; fields["split"] = "\(a):\(b)"; fields["years"] = "\(years)"
        case .joint(let offices, let shares):
            fields["offices"] = offices.joined(separator: ","); fields["split"] = shares.map(String.init).joined(separator: ":")
        case .reject(let claim): fields["claim"] = "\(claim)"
        case .distinct, .taskforce: break
        }
        return auditDetail(fields)
    }
}

/// A refused decision, carrying the rule that refused it.
public struct ArbitrationRefusal: Error, Sendable, CustomStringConvertible {
    public let error: ArbitrationError
    public init(_ error: ArbitrationError) { self.error = error }
    public var description: String { "[\(error.code)] \(error.explanation)" }
}
