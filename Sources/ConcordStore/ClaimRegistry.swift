import ConcordDomain
import Foundation
import Logging
import PostgresNIO

/// What an office reports to the hub about a lead (the 报备 fields the hub needs to register a claim).
public struct ClaimFiling: Sendable, Equatable {
    public var office: String
    public var leadRef: String
    public var investorName: String
    public var creditCode: String?
    public var projectName: String?
    public var industry: String?
    public var investmentWan: Double?
    public var stage: LeadStage
    public var reportedAt: Date

    public init(office: String, leadRef: String, investorName: String, creditCode: String? = nil,
                projectName: String? = nil, industry: String? = nil, investmentWan: Double? = nil,
                stage: LeadStage = .lead, reportedAt: Date) {
        self.office = office
        self.leadRef = leadRef
        self.investorName = investorName
        self.creditCode = creditCode
        self.projectName = projectName
        self.industry = industry
        self.investmentWan = investmentWan
        self.stage = stage
        self.reportedAt = reportedAt
    }
}

/// The hub's answer to a filing.
public struct ClaimOutcome: Sendable, Equatable {
    public enum Status: Sendable, Equatable {
        /// This office now holds the enterprise.
        case held
        /// The office already holds the enterprise through another of its leads.
        case heldByOwnOffice(holderClaim: Int64)
        /// Another office holds it; a conflict is open (`newConflict` when this filing opened it).
        case contested(holderOffice: String, holderClaim: Int64, holderSince: Date, conflictID: Int64, newConflict: Bool)
    }

    /// Another office's active claim that may be the same enterprise: for a coordinator, blocks nobody.
    public struct PossibleDuplicate: Sendable, Equatable {
        public let claimID: Int64
        public let office: String
        public let investorName: String
        public let score: Double
        public let reasons: [String]
    }

    public let claimID: Int64
    public let status: Status
    public let possibleDuplicates: [PossibleDuplicate]
    /// True when this filing was already registered (a redelivered message): nothing changed.
    public let repeated: Bool
    /// For a contested filing: what the holder is told (who contests it), read while registering.
    let holderNotice: ClaimNotice?

    init(claimID: Int64, status: Status, possibleDuplicates: [PossibleDuplicate], repeated: Bool, holderNotice: ClaimNotice? = nil) {
        self.claimID = claimID
        self.status = status
        self.possibleDuplicates = possibleDuplicates
        self.repeated = repeated
        self.holderNotice = holderNotice
    }
}

/// The registry of claims at the hub. Every method runs inside the caller's transaction, so the
/// registry change, its audit row and the messages it causes commit together.
public struct ClaimRegistry: Sendable {
    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// Registers a filing. Exactly one office holds an enterprise however filings race: the keys are
    /// locked (sorted, transaction-scoped advisory locks) before the holders are read.
    ///
    /// Two round trips: `claim_lookup` locks and returns the existing claim, the holders and the
    /// fuzzy candidates; the identity core decides here; `claim_register` writes the claim, the
    /// holder keys and the conflict (schemas/0012_claim_functions.sql).
    ///
    /// The filing's events and audit rows go to `appends` when given (the caller flushes them before
    /// its transaction ends), else they are written before this returns.
    public func file(_ filing: ClaimFiling, on connection: PostgresConnection, appends: PendingAppends? = nil) async throws -> ClaimOutcome {
        let pending = appends ?? PendingAppends()
        let name = CompanyName(filing.investorName)
        let parsedCode = filing.creditCode.map(CreditCode.parse)
        let key = EnterpriseKey(name: name, code: parsedCode)
        let keys = key.all.sorted()
        let lockKeys = Self.lockKeys(name: name, key: key)
        let rows = try await connection.query("""
            SELECT kind, id, office, investor_name, credit_code, since, held_key, code_key, status, holder_claim
            FROM claim_lookup(\(filing.office), \(filing.leadRef), \(keys), \(lockKeys), \(name.brand),
                              \(Self.pieces(of: name.brand)), \(name.searchText))
            """, logger: logger)
        var holder: Holder?
        /// The holder has the filing's full name under another valid code (`NameCodeRule`).
        var codeMismatch = false
        var candidates: [(id: Int64, office: String, investor: String, code: String?, since: Date)] = []
        for try await (kind, id, office, investor, code, since, heldKey, codeKey, status, holderClaim)
            in rows.decode((String, Int64, String, String, String?, Date, String?, String?, String?, Int64?).self) {
            switch kind {
            case "existing":
                return try await outcome(ofExisting: Existing(id: id, status: status ?? "", holderClaim: holderClaim), on: connection)
            case "holder":
                // Decided by earlier committed transactions: we hold their locks. A name key held
                // by an enterprise with another valid credit code is another enterprise.
                guard holder == nil else { continue }
                let sameCode = heldKey == key.codeKey || key.codeKey == nil || codeKey == nil || codeKey == key.codeKey
                if sameCode {
                    holder = Holder(claimID: id, office: office, since: since)
                } else if NameCodeRule.conflicts(filing.investorName, codeA: filing.creditCode, investor, codeB: code) {
                    // Unless the full name is the same: then it is a case for the city, not a
                    // second enterprise (an invented code must not make a held name free).
                    holder = Holder(claimID: id, office: office, since: since)
                    codeMismatch = true
                }
            default:
                candidates.append((id, office, investor, code, since))
            }
        }

        // Fuzzy candidates across spellings the keys do not join (industry words added, etc.).
        var duplicates: [Similar] = []
        for candidate in candidates where candidate.id != holder?.claimID {
            let match = EnterpriseMatch.compare(name, CompanyName(candidate.investor), codeA: parsedCode,
                                                codeB: candidate.code.map(CreditCode.parse))
            guard match.verdict != .different else { continue }
            duplicates.append(Similar(claimID: candidate.id, office: candidate.office, investorName: candidate.investor,
                                      since: candidate.since, verdict: match.verdict, score: match.score, reasons: match.reasons))
        }
        if holder == nil, let same = duplicates.first(where: { $0.verdict == .same }) {
            holder = Holder(claimID: same.claimID, office: same.office, since: same.since)
        }

        let status = holder.map { $0.office == filing.office ? "held" : "contested" } ?? "held"
        let outcomeText = holder.map { $0.office == filing.office ? "held_by_own_office" : "contested" } ?? "held"
        let registered = try await connection.query("""
            SELECT claim_id, conflict_id, opened, holder_office, holder_lead_ref, holder_received_at, contested_by
            FROM claim_register(\(filing.office), \(filing.leadRef), \(filing.investorName), \(parsedCode?.code?.value),
                                \(key.codeKey), \(key.nameKey), \(name.searchText), \(name.brand), \(filing.projectName),
                                \(filing.industry), \(filing.investmentWan)::numeric, \(filing.stage.rawValue), \(filing.reportedAt),
                                \(status), \(holder?.claimID), \(holder?.office), \(keys))
            """, logger: logger)
        var claimID: Int64 = 0
        var result = ClaimOutcome.Status.held
        var holderNotice: ClaimNotice?
        for try await (id, conflictID, opened, holderOffice, holderLead, holderReceived, contestedBy)
            in registered.decode((Int64, Int64?, Bool, String?, String?, Date?, [String]?).self) {
            claimID = id
            if let holder {
                if let conflictID {
                    result = .contested(holderOffice: holder.office, holderClaim: holder.claimID, holderSince: holder.since,
                                        conflictID: conflictID, newConflict: opened)
                    holderNotice = ClaimNotice(office: holderOffice ?? holder.office, leadRef: holderLead ?? "", status: .held,
                                               holderOffice: holderOffice ?? holder.office, holderSince: holderReceived,
                                               conflictID: conflictID, contestedBy: contestedBy ?? [])
                } else {
                    result = .heldByOwnOffice(holderClaim: holder.claimID)
                }
            }
        }
        if (filing.investmentWan ?? 0) >= EventLog.claimThresholdWan {
            pending.event(topic: "claim.filed", county: filing.office, payload: [
                "claim": "\(claimID)", "investor_name": filing.investorName, "project_name": filing.projectName ?? "",
                "industry": filing.industry ?? "", "investment_wan": "\(filing.investmentWan ?? 0)", "stage": filing.stage.rawValue,
            ])
        }
        pending.append(.init(actor: filing.office, action: "claim", subject: keys.first ?? "",
                             detailJSON: auditDetail(["claim": "\(claimID)", "lead": filing.leadRef, "status": outcomeText])))
        let conflictKind = codeMismatch ? NameCodeRule.kind : "same_enterprise"
        if case .contested(let holderOffice, let holderClaim, _, let conflictID, true) = result {
            // One event for each party office, so each office's own feed hears of it (readers of
            // several counties see the conflict twice: the `conflict` id tells them apart).
            for office in [holderOffice, filing.office] {
                pending.event(topic: "conflict.opened", county: office, payload: [
                    "conflict": "\(conflictID)", "offices": [holderOffice, filing.office].joined(separator: ","),
                    "investor_name": filing.investorName, "kind": conflictKind,
                ])
            }
            pending.append(.init(actor: "hub", action: "conflict.opened", subject: keys.first ?? "",
                                 detailJSON: auditDetail(["conflict": "\(conflictID)", "holder": "\(holderClaim)", "challenger": "\(claimID)",
                                                          "kind": conflictKind])))
        }
        if appends == nil { try await pending.flush(on: connection, logger: logger) }
        let possible = duplicates.filter { $0.verdict == .possible && $0.claimID != holder?.claimID }.map {
            ClaimOutcome.PossibleDuplicate(claimID: $0.claimID, office: $0.office, investorName: $0.investorName,
                                           score: $0.score, reasons: $0.reasons)
        }
        return ClaimOutcome(claimID: claimID, status: result, possibleDuplicates: possible, repeated: false,
                            holderNotice: holderNotice)
    }

    /// What a filing locks, sorted. The brand is locked too: a `same` verdict needs an equal code,
    /// an equal name key or an equal brand, so filings that could be judged the same enterprise
    /// never interleave.
    static func lockKeys(name: CompanyName, key: EnterpriseKey) -> [String] {
        Set(key.all + (name.brand.isEmpty ? [] : ["brand:" + name.brand])).sorted()
    }

    /// Everything the filings will lock, sorted: a transaction applying several takes these first,
    /// in one round trip, so two such transactions never wait on each other crosswise.
    public func lockAll(_ filings: [(investorName: String, creditCode: String?)], on connection: PostgresConnection) async throws {
        let keys = Set(filings.flatMap { filing -> [String] in
            let name = CompanyName(filing.investorName)
            return Self.lockKeys(name: name, key: EnterpriseKey(name: name, code: filing.creditCode.map(CreditCode.parse)))
        }).sorted()
        guard !keys.isEmpty else { return }
        try await connection.query(
            "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(\(keys)::text[]) WITH ORDINALITY AS u(k, n) ORDER BY n",
            logger: logger)
    }

    struct Holder {
        let claimID: Int64
        let office: String
        let since: Date
    }

    struct Similar {
        let claimID: Int64
        let office: String
        let investorName: String
        let since: Date
        let verdict: EnterpriseMatch.Verdict
        let score: Double
        let reasons: [String]
    }

    /// Active claims of other offices that may be the same enterprise (claim_candidates in
    /// schemas/0012: the same brand, a brand inside or around this one, a trigram-similar brand),
    /// confirmed by the identity core.
    func similarClaims(to name: CompanyName, code: CreditCode.ParseResult?, office: String, excluding: Int64?,
                       on connection: PostgresConnection) async throws -> [Similar] {
        let rows = try await connection.query("""
            SELECT id, office, investor_name, credit_code, since
            FROM claim_candidates(\(office), \(name.brand), \(Self.pieces(of: name.brand)), \(name.searchText))
            """, logger: logger)
        var found: [Similar] = []
        for try await (id, otherOffice, investor, otherCode, since) in rows.decode((Int64, String, String, String?, Date).self)
        where id != excluding {
            let match = EnterpriseMatch.compare(name, CompanyName(investor), codeA: code, codeB: otherCode.map(CreditCode.parse))
            guard match.verdict != .different else { continue }
            found.append(Similar(claimID: id, office: otherOffice, investorName: investor, since: since,
                                 verdict: match.verdict, score: match.score, reasons: match.reasons))
        }
        return found
    }

    /// Every contiguous piece of a brand, itself included, counted in Unicode scalars as
    /// PostgreSQL counts characters: a registered brand inside this one is one of them.
    static func pieces(of brand: String) -> [String] {
        let scalars = Array(brand.unicodeScalars)
        var pieces: Set<String> = []
        for start in scalars.indices {
            for end in (start + 1)...scalars.count {
                var piece = String.UnicodeScalarView()
                piece.append(contentsOf: scalars[start..<end])
                pieces.insert(String(piece))
            }
        }
        return pieces.sorted()
    }

    /// Adds `challenger` to the open conflict over `holder`, opening it if needed.
    func joinConflict(holder: Int64, challenger: Int64, on connection: PostgresConnection) async throws -> (Int64, Bool) {
        var conflictID: Int64?
        var opened = false
        let open = try await connection.query(
            "SELECT id FROM conflicts WHERE holder_claim = \(holder) AND status = 'open'", logger: logger)
        for try await id in open.decode(Int64.self) { conflictID = id }
        if conflictID == nil {
            let created = try await connection.query(
                "INSERT INTO conflicts (holder_claim) VALUES (\(holder)) RETURNING id", logger: logger)
            for try await id in created.decode(Int64.self) { conflictID = id }
            opened = true
            try await connection.query(
                "INSERT INTO conflict_parties (conflict_id, claim_id) VALUES (\(conflictID!), \(holder))", logger: logger)
        }
        try await connection.query("""
            INSERT INTO conflict_parties (conflict_id, claim_id) VALUES (\(conflictID!), \(challenger))
            ON CONFLICT DO NOTHING
            """, logger: logger)
        return (conflictID!, opened)
    }

    struct Existing {
        let id: Int64
        let status: String
        let holderClaim: Int64?
    }

    func existingClaim(office: String, leadRef: String, on connection: PostgresConnection) async throws -> Existing? {
        let rows = try await connection.query(
            "SELECT id, status, holder_claim FROM claims WHERE office = \(office) AND lead_ref = \(leadRef)", logger: logger)
        for try await (id, status, holder) in rows.decode((Int64, String, Int64?).self) {
            return Existing(id: id, status: status, holderClaim: holder)
        }
        return nil
    }

    /// The outcome of a filing registered before (a redelivery): reported again, nothing changed.
    func outcome(ofExisting existing: Existing, on connection: PostgresConnection) async throws -> ClaimOutcome {
        var status = ClaimOutcome.Status.held
        if let holderClaim = existing.holderClaim {
            let rows = try await connection.query("""
                SELECT h.office, h.received_at, c.id FROM claims h
                LEFT JOIN conflicts c ON c.holder_claim = h.id AND c.status = 'open'
                WHERE h.id = \(holderClaim)
                """, logger: logger)
            for try await (office, since, conflict) in rows.decode((String, Date, Int64?).self) {
                if existing.status == "contested", let conflict {
                    status = .contested(holderOffice: office, holderClaim: holderClaim, holderSince: since,
                                        conflictID: conflict, newConflict: false)
                } else {
                    status = .heldByOwnOffice(holderClaim: holderClaim)
                }
            }
        }
        return ClaimOutcome(claimID: existing.id, status: status, possibleDuplicates: [], repeated: true)
    }
}

/// A flat JSON object of strings, for audit details.
public func auditDetail(_ fields: [String: String]) -> String {
    let pairs = fields.sorted { $0.key < $1.key }.map { key, value in
        "\"\(jsonEscape(key))\":\"\(jsonEscape(value))\""
    }
    return "{" + pairs.joined(separator: ",") + "}"
}

func jsonEscape(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        default:
            if scalar.value < 0x20 {
                out += String(format: "\\u%04x", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out
}
