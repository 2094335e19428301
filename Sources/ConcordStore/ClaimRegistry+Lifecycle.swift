import ConcordDomain
import Foundation
import Logging
import PostgresNIO

/// What an office must be told after a registry change (becomes a claim.status message).
public struct ClaimNotice: Sendable, Equatable {
    public typealias Status = ClaimState

    public let office: String
    public let leadRef: String
    public let status: Status
    public var holderOffice: String?
    public var holderSince: Date?
    public var conflictID: Int64?
    public var contestedBy: [String]?
    public var possibleDuplicates: [ClaimOutcome.PossibleDuplicate] = []
    public var decision: DecisionNotice?
}

/// A city decision as one office is told about it.
public struct DecisionNotice: Sendable, Equatable {
    public let id: Int64
    public let kind: String
    public let summary: String
    public let reason: String
    /// What it means for this office's claim: won, lost, transferred_in, transferred_out, joint,
    /// distinct, taskforce, rejected, upheld.
    public let outcome: String
}

/// The answer to "is anyone pursuing this enterprise?".
public struct CheckAnswer: Sendable, Equatable {
    public enum Verdict: String, Sendable { case free, pursued, possiblyPursued = "possibly_pursued" }
    public let verdict: Verdict
    public let since: Date?
    public let ownOffice: Bool
    public let reasons: [String]
}

extension ClaimRegistry {
    /// The notices a filing causes: to the filer, and to the holder when its claim is contested.
    public func notices(for filing: ClaimFiling, outcome: ClaimOutcome, on connection: PostgresConnection) async throws -> [ClaimNotice] {
        var notices: [ClaimNotice] = []
        switch outcome.status {
        case .held:
            notices.append(ClaimNotice(office: filing.office, leadRef: filing.leadRef, status: .held,
                                       possibleDuplicates: outcome.possibleDuplicates))
        case .heldByOwnOffice:
            notices.append(ClaimNotice(office: filing.office, leadRef: filing.leadRef, status: .heldByOwnOffice,
                                       holderOffice: filing.office, possibleDuplicates: outcome.possibleDuplicates))
        case .contested(let holderOffice, let holderClaim, let since, let conflictID, _):
            notices.append(ClaimNotice(office: filing.office, leadRef: filing.leadRef, status: .contested,
                                       holderOffice: holderOffice, holderSince: since, conflictID: conflictID,
                                       possibleDuplicates: outcome.possibleDuplicates))
            if let known = outcome.holderNotice {
                notices.append(known)
            } else {
                notices.append(try await holderNotice(holderClaim: holderClaim, conflictID: conflictID, on: connection))
            }
        }
        return notices
    }

    /// Tells a holder who contests its claim.
    func holderNotice(holderClaim: Int64, conflictID: Int64, on connection: PostgresConnection) async throws -> ClaimNotice {
        var office = "", leadRef = "", since = Date()
        let holder = try await connection.query(
            "SELECT office, lead_ref, received_at FROM claims WHERE id = \(holderClaim)", logger: logger)
        for try await row in holder.decode((String, String, Date).self) { (office, leadRef, since) = row }
        var contestedBy: [String] = []
        let parties = try await connection.query("""
            SELECT DISTINCT c.office FROM conflict_parties p JOIN claims c ON c.id = p.claim_id
            WHERE p.conflict_id = \(conflictID) AND c.id <> \(holderClaim) ORDER BY c.office
            """, logger: logger)
        for try await other in parties.decode(String.self) { contestedBy.append(other) }
        return ClaimNotice(office: office, leadRef: leadRef, status: .held, holderOffice: office, holderSince: since,
                           conflictID: conflictID, contestedBy: contestedBy)
    }

    /// Why the hub refused an office's stage change.
    public enum StageRefusal: Error, Sendable, Equatable {
        /// No claim of this office has this lead_ref (another office's lead, or none at all: the
        /// two are not told apart, so an office cannot probe for others' leads).
        case notThisOffice
        /// The lifecycle rule (LeadLifecycle) refuses it.
        case rule(LeadStage.TransitionError)
    }

    /// A stage change as the hub took it: applied (with the notices it causes; none for an exact
    /// repeat or an unchanged stage) or refused, audited and published nowhere.
    public enum StageChange: Sendable {
        case applied([ClaimNotice])
        case refused(StageRefusal)
    }

    /// Records a stage change reported by an office, if the lifecycle rule (LeadLifecycle) allows
    /// it for the claim's stage and state at the hub. 投产 settles the claim; 终止 releases it, and
    /// the earliest contesting claim (first report) takes the enterprise over. A refusal is audited.
    public func changeStage(office: String, leadRef: String, to stage: LeadStage, changedAt: Date? = nil,
                            on connection: PostgresConnection) async throws -> StageChange {
        var found: (id: Int64, status: String, stage: String)?
        let rows = try await connection.query(
            "SELECT id, status, stage FROM claims WHERE office = \(office) AND lead_ref = \(leadRef) FOR UPDATE", logger: logger)
        for try await row in rows.decode((Int64, String, String).self) { found = row }
        guard let claim = found else {
            logger.notice("refused a stage change for a lead this office has no claim for", metadata: ["office": "\(office)", "lead": "\(leadRef)"])
            try await AuditChain.append(.init(actor: office, action: "stage.refused", subject: "lead:\(leadRef)",
                                              detailJSON: auditDetail(["stage": stage.rawValue, "code": "NOT_THIS_OFFICE"])),
                                        on: connection, logger: logger)
            return .refused(.notThisOffice)
        }
        if claim.stage == stage.rawValue { return .applied([]) }
        if let changedAt {
            // The very change already applied (same stage, same time): an office restored from a
            // backup sends again what may have been applied before. Applying it again would move
            // the claim back to an older stage and log the step twice.
            let seen = try await connection.query("""
                SELECT 1 FROM claim_stages WHERE claim_id = \(claim.id) AND stage = \(stage.rawValue) AND reached_at = \(changedAt)
                """, logger: logger)
            for try await _ in seen.decode(Int.self) { return .applied([]) }
        }
        let current = LeadStage(rawValue: claim.stage) ?? .lead
        if case .failure(let error) = LeadLifecycle.check(from: current, to: stage, claim: ClaimState(rawValue: claim.status)) {
            try await AuditChain.append(.init(actor: office, action: "stage.refused", subject: "claim:\(claim.id)",
                                              detailJSON: auditDetail(["lead": leadRef, "stage": stage.rawValue, "code": error.code])),
                                        on: connection, logger: logger)
            return .refused(.rule(error))
        }
        let newStatus: String
        switch stage.claimEffect {
        case .active: newStatus = claim.status
        case .settled: newStatus = claim.status == "held" ? "settled" : claim.status
        case .released: newStatus = "released"
        }
        var project: (String, String?, String?, Double?)?
        // Progress renews protection from the hub's receipt of it, and only a forward move does.
        let renews = LeadLifecycle.renewsProtection(from: current, to: stage)
        let updated = try await connection.query("""
            UPDATE claims SET stage = \(stage.rawValue), status = \(newStatus),
                              last_progress_at = CASE WHEN \(renews) THEN now() ELSE last_progress_at END
            WHERE id = \(claim.id)
            RETURNING investor_name, project_name, industry, investment_wan::float8
            """, logger: logger)
        for try await row in updated.decode((String, String?, String?, Double?).self) { project = row }
        try await connection.query("""
            INSERT INTO claim_stages (claim_id, stage, reached_at) VALUES (\(claim.id), \(stage.rawValue), \(changedAt ?? Date()))
            ON CONFLICT DO NOTHING
            """, logger: logger)
        try await EventLog.append(topic: "stage.\(stage.rawValue)", county: office, payload: [
            "claim": "\(claim.id)", "stage": stage.rawValue, "investor_name": project?.0 ?? "", "project_name": project?.1 ?? "",
            "industry": project?.2 ?? "", "investment_wan": "\(project?.3 ?? 0)",
        ], on: connection, logger: logger)
        try await AuditChain.append(.init(actor: office, action: "stage", subject: "claim:\(claim.id)",
                                          detailJSON: auditDetail(["lead": leadRef, "stage": stage.rawValue])),
                                    on: connection, logger: logger)
        var notices: [ClaimNotice] = []
        if newStatus == "settled" {
            notices.append(ClaimNotice(office: office, leadRef: leadRef, status: .settled))
        }
        if newStatus == "released" {
            notices.append(ClaimNotice(office: office, leadRef: leadRef, status: .released))
            if claim.status == "held" || claim.status == "settled" {
                notices += try await handOver(from: claim.id, on: connection)
            } else {
                try await connection.query(
                    "DELETE FROM conflict_parties WHERE claim_id = \(claim.id) AND conflict_id IN (SELECT id FROM conflicts WHERE status = 'open')",
                    logger: logger)
            }
        }
        return .applied(notices)
    }

    /// A holder released the enterprise: the earliest contesting claim becomes the holder, takes its
    /// keys, and the others contest it in a new conflict (if any remain).
    func handOver(from released: Int64, movedUpAt: Date? = nil, on connection: PostgresConnection) async throws -> [ClaimNotice] {
        var keys: [String] = []
        let keyRows = try await connection.query("SELECT key FROM enterprise_holders WHERE claim_id = \(released)", logger: logger)
        for try await key in keyRows.decode(String.self) { keys.append(key) }
        for key in keys.sorted() {
            try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(key), 0))", logger: logger)
        }
        var waiting: [(id: Int64, office: String, leadRef: String)] = []
        let waitingRows = try await connection.query("""
            SELECT id, office, lead_ref FROM claims
            WHERE holder_claim = \(released) AND status = 'contested'
            ORDER BY received_at, id
            """, logger: logger)
        for try await row in waitingRows.decode((Int64, String, String).self) { waiting.append(row) }
        var oldConflict: Int64?
        let conflictRows = try await connection.query(
            "SELECT id FROM conflicts WHERE holder_claim = \(released) AND status = 'open'", logger: logger)
        for try await id in conflictRows.decode(Int64.self) { oldConflict = id }
        if let oldConflict {
            try await connection.query(
                "UPDATE conflicts SET status = 'withdrawn', closed_at = now() WHERE id = \(oldConflict)", logger: logger)
        }
        try await connection.query("DELETE FROM enterprise_holders WHERE claim_id = \(released)", logger: logger)
        // The office's own other leads on the same enterprise stop pointing at the released claim.
        try await connection.query(
            "UPDATE claims SET holder_claim = NULL WHERE holder_claim = \(released) AND status = 'held'", logger: logger)
        guard let heir = waiting.first else { return [] }

        try await connection.query(
            // Moving up counts as progress: the heir's protection window starts now.
            "UPDATE claims SET status = 'held', holder_claim = NULL, last_progress_at = coalesce(\(movedUpAt), now()) WHERE id = \(heir.id)",
            logger: logger)
        for key in keys {
            try await connection.query(
                "INSERT INTO enterprise_holders (key, claim_id) VALUES (\(key), \(heir.id)) ON CONFLICT (key) DO NOTHING", logger: logger)
        }
        var notices = [ClaimNotice(office: heir.office, leadRef: heir.leadRef, status: .held)]
        let others = waiting.dropFirst()
        if !others.isEmpty {
            var heirSince = Date()
            let since = try await connection.query("SELECT received_at FROM claims WHERE id = \(heir.id)", logger: logger)
            for try await date in since.decode(Date.self) { heirSince = date }
            var conflictID: Int64 = 0
            for other in others {
                try await connection.query(
                    "UPDATE claims SET holder_claim = \(heir.id) WHERE id = \(other.id)", logger: logger)
                let (id, _) = try await joinConflict(holder: heir.id, challenger: other.id, on: connection)
                conflictID = id
                notices.append(ClaimNotice(office: other.office, leadRef: other.leadRef, status: .contested,
                                           holderOffice: heir.office, holderSince: heirSince, conflictID: id))
            }
            notices[0].conflictID = conflictID
            notices[0].contestedBy = Array(Set(others.map(\.office))).sorted()
            try await AuditChain.append(.init(actor: "hub", action: "conflict.opened", subject: "claim:\(heir.id)",
                                              detailJSON: auditDetail(["conflict": "\(conflictID)", "after_release_of": "\(released)"])),
                                        on: connection, logger: logger)
        }
        try await AuditChain.append(.init(actor: "hub", action: "handover", subject: "claim:\(heir.id)",
                                          detailJSON: auditDetail(["from": "\(released)", "to": "\(heir.id)"])),
                                    on: connection, logger: logger)
        return notices
    }

    /// Answers a check from the registry and records who asked about what in the audit chain.
    /// Never names the pursuing office.
    public func check(name text: String, code: String?, asker: String, on connection: PostgresConnection) async throws -> CheckAnswer {
        let name = CompanyName(text)
        let parsed = code.map(CreditCode.parse)
        let key = EnterpriseKey(name: name, code: parsed)
        var answer = CheckAnswer(verdict: .free, since: nil, ownOffice: false, reasons: [])
        let holders = try await connection.query("""
            SELECT c.office, h.since, h.key, c.code_key, c.credit_code, c.investor_name
            FROM enterprise_holders h JOIN claims c ON c.id = h.claim_id
            WHERE h.key = ANY(\(key.all)) ORDER BY h.since LIMIT 5
            """, logger: logger)
        for try await (office, since, heldKey, holderCodeKey, holderCode, investor)
            in holders.decode((String, Date, String, String?, String?, String).self) {
            let sameCode = heldKey == key.codeKey || key.codeKey == nil || holderCodeKey == nil || holderCodeKey == key.codeKey
            if !sameCode, answer.verdict == .free, NameCodeRule.conflicts(text, codeA: code, investor, codeB: holderCode) {
                // The held name under another code: not free (a filing would open a case for the city).
                answer = CheckAnswer(verdict: .possiblyPursued, since: since, ownOffice: office == asker,
                                     reasons: ["同名企业已有区县报备，但信用代码不同：报备后由市级核实"])
                continue
            }
            guard sameCode, answer.verdict == .free || answer.verdict == .possiblyPursued else { continue }
            let match = EnterpriseMatch.compare(name, CompanyName(investor), codeA: parsed, codeB: holderCode.map(CreditCode.parse))
            // Another office's claim: the kinds of agreement, not its brand, words, region or code.
            answer = CheckAnswer(verdict: .pursued, since: since, ownOffice: office == asker,
                                 reasons: office == asker ? match.reasons : EnterpriseMatch.withoutOtherSide(match.reasons))
        }
        if answer.verdict == .free {
            let similar = try await similarClaims(to: name, code: parsed, office: "", excluding: nil, on: connection)
            if let best = similar.first {
                answer = CheckAnswer(verdict: best.verdict == .same ? .pursued : .possiblyPursued, since: best.since,
                                     ownOffice: best.office == asker,
                                     reasons: best.office == asker ? best.reasons : EnterpriseMatch.withoutOtherSide(best.reasons))
            }
        }
        try await AuditChain.append(.init(actor: asker, action: "check", subject: key.all.first ?? text,
                                          detailJSON: auditDetail(["name": text, "code": code ?? "", "verdict": answer.verdict.rawValue])),
                                    on: connection, logger: logger)
        return answer
    }
}

extension ClaimRegistry {
    /// 首报首谈 windows: every held claim with no progress for the policy's window lapses. Its office
    /// is told, its keys go to the earliest waiting contesting claim (which is told it now holds),
    /// and the lapse is audited. `now` comes from the caller's clock, so tests can move time.
    public func lapseExpired(policy: ProtectionPolicy, now: Date, on connection: PostgresConnection) async throws -> [ClaimNotice] {
        let cutoff = now.addingTimeInterval(-TimeInterval(policy.windowDays) * 86_400)
        var expired: [(id: Int64, office: String, leadRef: String)] = []
        let rows = try await connection.query("""
            SELECT id, office, lead_ref FROM claims
            WHERE status = 'held' AND holder_claim IS NULL AND greatest(received_at, coalesce(last_progress_at, received_at)) < \(cutoff)
            ORDER BY id FOR UPDATE
            """, logger: logger)
        for try await row in rows.decode((Int64, String, String).self) { expired.append(row) }
        var notices: [ClaimNotice] = []
        for claim in expired {
            try await connection.query(
                "UPDATE claims SET status = 'released', decision_outcome = 'lapsed' WHERE id = \(claim.id)", logger: logger)
            notices.append(ClaimNotice(office: claim.office, leadRef: claim.leadRef, status: .lapsed))
            notices += try await handOver(from: claim.id, movedUpAt: now, on: connection)
            try await AuditChain.append(.init(actor: "hub", action: "claim.lapsed", subject: "claim:\(claim.id)",
                                              detailJSON: auditDetail(["office": claim.office, "window_days": "\(policy.windowDays)"])),
                                        on: connection, logger: logger)
        }
        return notices
    }
}
