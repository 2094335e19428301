import ConcordDomain
import Foundation
import Logging
import PostgresNIO

/// A city-level lead waiting for, offered to, or taken by a county.
public struct CityLead: Sendable {
    public let id: UUID
    public let investorName: String
    public let creditCode: String?
    public let projectName: String?
    public let industry: String?
    public let chain: String?
    public let investmentWan: Double?
    public let landMu: Double?
    public let energyTce: Double?
    public let environment: Double?
    public let filedAt: Date
    public let status: String

    public var needs: CityLeadNeeds {
        CityLeadNeeds(industry: industry, chain: chain, landMu: landMu, energyTce: energyTce, environment: environment)
    }
}

/// An assignment as the coordinator or the office sees it.
public struct AssignmentView: Sendable {
    public let id: Int64
    public let cityLead: UUID
    public let county: String
    public let investorName: String
    public let assignedAt: Date
    public let respondBy: Date
    public let assessBy: Date
    public let status: String
    public let respondedAt: Date?
    public let reason: String?

    /// Offered and past the time to respond.
    public func isOverdue(now: Date) -> Bool { status == "offered" && now > respondBy }
}

/// City dispatch at the hub: county profiles, city leads, offers and the offices' answers.
public struct DispatchDesk: Sendable {
    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func setProfile(_ profile: CountyProfile, client: PostgresClient) async throws {
        var land: [String] = []
        for (park, mu) in profile.landByPark.sorted(by: { $0.key < $1.key }) { land.append("\"\(jsonEscape(park))\":\(mu)") }
        let landJSON = "{" + land.joined(separator: ",") + "}"
        do {
            try await client.query("""
                INSERT INTO county_profiles (county, industries, chains, land_mu, energy_tce, environment, policy_tags, updated_at)
                VALUES (\(profile.county), \(profile.industries), \(profile.chains), \(landJSON)::jsonb, \(profile.energyTce),
                        \(profile.environment), \(profile.policyTags), now())
                ON CONFLICT (county) DO UPDATE SET industries = EXCLUDED.industries, chains = EXCLUDED.chains,
                    land_mu = EXCLUDED.land_mu, energy_tce = EXCLUDED.energy_tce, environment = EXCLUDED.environment,
                    policy_tags = EXCLUDED.policy_tags, updated_at = now()
                """, logger: logger)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23503" {
            throw StoreError(.notFound, "没有租户 \(profile.county)：请先用 concord tenant add 登记该区县")
        }
    }

    public func profiles(client: PostgresClient) async throws -> [CountyProfile] {
        let rows = try await client.query("""
            SELECT p.county, p.industries, p.chains, p.land_mu::text, p.energy_tce::float8, p.environment::float8, p.policy_tags
            FROM county_profiles p JOIN tenants t ON t.id = p.county WHERE t.revoked_at IS NULL ORDER BY p.county
            """, logger: logger)
        var profiles: [CountyProfile] = []
        for try await (county, industries, chains, land, energy, environment, tags) in rows.decode(
            (String, [String], [String], String, Double, Double, [String]).self) {
            let parks = (try? JSONSerialization.jsonObject(with: Data(land.utf8))) as? [String: Double] ?? [:]
            profiles.append(CountyProfile(county: county, industries: industries, chains: chains, landByPark: parks,
                                          energyTce: energy, environment: environment, policyTags: tags))
        }
        return profiles
    }

    /// Leads each county holds or contests and offers it has not answered.
    public func openLoad(client: PostgresClient) async throws -> [String: Int] {
        let rows = try await client.query("""
            SELECT office, count(*)::int FROM (
                SELECT office FROM claims WHERE status IN ('held', 'contested', 'joint')
                UNION ALL SELECT county FROM assignments WHERE status = 'offered'
            ) load GROUP BY office
            """, logger: logger)
        var load: [String: Int] = [:]
        for try await (county, count) in rows.decode((String, Int).self) { load[county] = count }
        return load
    }

    public func addCityLead(investorName: String, creditCode: String?, projectName: String?, industry: String?, chain: String?,
                            investmentWan: Double?, landMu: Double?, energyTce: Double?, environment: Double?,
                            filedBy: String, now: Date, client: PostgresClient) async throws -> UUID {
        let id = UUID()
        try await client.query("""
            INSERT INTO city_leads (id, investor_name, credit_code, project_name, industry, industry_chain, investment_wan,
                                    land_mu, energy_tce, environment, filed_at, filed_by)
            VALUES (\(id), \(investorName), \(creditCode), \(projectName), \(industry), \(chain), \(investmentWan), \(landMu),
                    \(energyTce), \(environment), \(now), \(filedBy))
            """, logger: logger)
        return id
    }

    /// Every county ranked for a city lead, from the current profiles and load, with the offices
    /// already pursuing its enterprise (the holder first).
    public func advise(_ lead: CityLead, client: PostgresClient) async throws -> DispatchAdvice {
        let pursuits = try await client.withConnection { connection in
            try await ClaimRegistry(logger: logger).pursuits(name: lead.investorName, code: lead.creditCode, on: connection)
        }
        return DispatchScoring.advise(lead.needs, profiles: try await profiles(client: client), openLoad: try await openLoad(client: client),
                                      pursuits: pursuits)
    }

    public func cityLead(_ idOrPrefix: String, client: PostgresClient) async throws -> CityLead {
        let prefix = idOrPrefix.lowercased()
        guard prefix.count >= 4 else { throw StoreError(.invalidInput, "市级线索编号至少写 4 位：\(idOrPrefix)") }
        let found = try await cityLeads(where: "id::text LIKE \(prefix) || '%'", client: client)
        guard found.count == 1 else {
            throw StoreError(found.isEmpty ? .notFound : .invalidInput,
                             found.isEmpty ? "没有编号为 \(idOrPrefix) 的市级线索" : "编号前缀 \(idOrPrefix) 对应多条市级线索")
        }
        return found[0]
    }

    public func cityLeads(client: PostgresClient) async throws -> [CityLead] {
        try await cityLeads(where: "TRUE", client: client)
    }

    func cityLeads(where condition: PostgresQuery, client: PostgresClient) async throws -> [CityLead] {
        let query = PostgresQuery(unsafeSQL: """
            SELECT id, investor_name, credit_code, project_name, industry, industry_chain, investment_wan::float8, land_mu::float8,
                   energy_tce::float8, environment::float8, filed_at, status
            FROM city_leads WHERE \(condition.sql) ORDER BY filed_at
            """, binds: condition.binds)
        let rows = try await client.query(query, logger: logger)
        var leads: [CityLead] = []
        for try await row in rows.decode((UUID, String, String?, String?, String?, String?, Double?, Double?, Double?, Double?, Date, String).self) {
            leads.append(CityLead(id: row.0, investorName: row.1, creditCode: row.2, projectName: row.3, industry: row.4, chain: row.5,
                                  investmentWan: row.6, landMu: row.7, energyTce: row.8, environment: row.9, filedAt: row.10, status: row.11))
        }
        return leads
    }

    /// Records an offer in the caller's transaction. The caller enqueues the assignment.offer.
    ///
    /// An enterprise another office already holds goes to that office: offering it to any other
    /// county is refused (`ENTERPRISE_PURSUED`) unless the coordinator gives an override reason.
    /// An override is recorded with the claim it overrides; when the county accepts and files, the
    /// hub records it as a transfer ruling from the holder (`recordDispatchTransfer`). An override
    /// on an enterprise whose conflict is not ruled yet is refused (`ENTERPRISE_CONTESTED`).
    public func assign(_ lead: CityLead, to county: String, note: String?, score: Double?, by coordinator: String,
                       override: String? = nil, policy: ProtectionPolicy = ProtectionPolicy(),
                       deadlines: DispatchDeadlines, now: Date, on connection: PostgresConnection) async throws -> AssignmentView {
        guard try await TenantStore.activeKind(coordinator, on: connection, logger: logger) == .coordinator else {
            throw StoreError(.notCoordinator, "\(coordinator) 不是市级协调人员，不能派单")
        }
        guard try await TenantStore.activeKind(county, on: connection, logger: logger) == .county else {
            throw StoreError(.notFound, "\(county) 不是有效的区县租户")
        }
        let current = try await connection.query("SELECT status FROM city_leads WHERE id = \(lead.id) FOR UPDATE", logger: logger)
        var status = ""
        for try await value in current.decode(String.self) { status = value }
        guard status == "pool" else {
            throw StoreError(.invalidInput, status == "offered" ? "该线索已派给某区县，等待答复中" : "该线索已被区县接受")
        }
        let reason = override?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
        if let reason, reason.count > Self.maximumOverrideLength {
            throw StoreError(.invalidInput, "改派理由最多 \(Self.maximumOverrideLength) 字，实际 \(reason.count) 字")
        }
        // The enterprise's keys are locked as a filing locks them: no filing slips in between the
        // look-up and the offer.
        let registry = ClaimRegistry(logger: logger)
        try await registry.lockAll([(lead.investorName, lead.creditCode)], on: connection)
        let pursuits = try await registry.pursuits(name: lead.investorName, code: lead.creditCode, on: connection)
        var overridden: Int64?
        if let holder = pursuits.first(where: \.isHolder), holder.office != county {
            guard let reason else {
                throw StoreError(.enterprisePursued, "\(holder.office) 已在跟进该企业（\(holder.state.label)，首报 \(Self.day(holder.receivedAt))），"
                                 + "应派给该区县；如确需派给 \(county)，请写明改派理由（--override 理由），接受后记为流转裁决")
            }
            if let contested = pursuits.first(where: { $0.state == .contested && $0.sameEnterprise }) {
                throw StoreError(.enterpriseContested, "该企业撞单待裁决（\(contested.office) 与 \(holder.office)），请先裁决撞单再改派")
            }
            // The transfer ruling it becomes must be one a coordinator could make: not above the
            // task-force threshold, for the city lead or the holder's own project.
            var holderInvestment: Double = 0
            let rows = try await connection.query("SELECT investment_wan::float8 FROM claims WHERE id = \(holder.claimID)", logger: logger)
            for try await value in rows.decode(Double?.self) { holderInvestment = value ?? 0 }
            let largest = max(lead.investmentWan ?? 0, holderInvestment)
            if largest >= policy.taskforceThresholdWan {
                throw ArbitrationRefusal(.taskforceRequired(investmentWan: largest, thresholdWan: policy.taskforceThresholdWan))
            }
            overridden = holder.claimID
        }
        let respondBy = now.addingTimeInterval(TimeInterval(deadlines.respondHours) * 3600)
        let assessBy = now.addingTimeInterval(TimeInterval(deadlines.assessHours) * 3600)
        var id: Int64 = 0
        let inserted = try await connection.query("""
            INSERT INTO assignments (city_lead, county, note, score, assigned_at, assigned_by, respond_by, assess_by,
                                     override_reason, overrides_claim)
            VALUES (\(lead.id), \(county), \(note), \(score), \(now), \(coordinator), \(respondBy), \(assessBy),
                    \(overridden == nil ? nil : reason), \(overridden)) RETURNING id
            """, logger: logger)
        for try await value in inserted.decode(Int64.self) { id = value }
        try await connection.query("UPDATE city_leads SET status = 'offered' WHERE id = \(lead.id)", logger: logger)
        try await EventLog.append(topic: "dispatch.offered", county: county, payload: [
            "assignment": "\(id)", "investor_name": lead.investorName, "project_name": lead.projectName ?? "",
            "industry": lead.industry ?? "", "land_mu": "\(lead.landMu ?? 0)",
        ], on: connection, logger: logger)
        try await AuditChain.append(.init(actor: coordinator, action: "assignment", subject: "city_lead:\(lead.id.uuidString.lowercased())",
                                          detailJSON: auditDetail(["assignment": "\(id)", "county": county, "note": note ?? "",
                                                                   "override": overridden == nil ? "" : reason ?? "",
                                                                   "overrides_claim": overridden.map { "\($0)" } ?? ""])),
                                    on: connection, logger: logger)
        return AssignmentView(id: id, cityLead: lead.id, county: county, investorName: lead.investorName, assignedAt: now,
                              respondBy: respondBy, assessBy: assessBy, status: "offered", respondedAt: nil, reason: nil)
    }

    /// An office's answer, applied in the caller's transaction. Only the county it was offered to may
    /// answer, and only once.
    public func applyReply(office: String, assignmentID: Int64, accept: Bool, reason: String?, at: Date,
                           on connection: PostgresConnection) async throws -> Bool {
        let rows = try await connection.query("""
            UPDATE assignments SET status = \(accept ? "accepted" : "declined"), responded_at = \(at), reason = \(reason)
            WHERE id = \(assignmentID) AND county = \(office) AND status = 'offered' RETURNING city_lead
            """, logger: logger)
        var lead: UUID?
        for try await value in rows.decode(UUID.self) { lead = value }
        guard let lead else {
            logger.notice("ignored an answer to an assignment that is not pending for this office",
                          metadata: ["office": "\(office)", "assignment": "\(assignmentID)"])
            return false
        }
        try await connection.query(
            "UPDATE city_leads SET status = \(accept ? "accepted" : "pool") WHERE id = \(lead)", logger: logger)
        try await EventLog.append(topic: accept ? "dispatch.accepted" : "dispatch.declined", county: office, payload: [
            "assignment": "\(assignmentID)", "reason": reason ?? "",
        ], on: connection, logger: logger)
        try await AuditChain.append(.init(actor: office, action: accept ? "assignment.accepted" : "assignment.declined",
                                          subject: "city_lead:\(lead.uuidString.lowercased())",
                                          detailJSON: auditDetail(["assignment": "\(assignmentID)", "reason": reason ?? ""])),
                                    on: connection, logger: logger)
        return true
    }

    public func assignments(county: String?, client: PostgresClient) async throws -> [AssignmentView] {
        let rows = try await client.query("""
            SELECT a.id, a.city_lead, a.county, l.investor_name, a.assigned_at, a.respond_by, a.assess_by, a.status, a.responded_at, a.reason
            FROM assignments a JOIN city_leads l ON l.id = a.city_lead
            WHERE \(county)::text IS NULL OR a.county = \(county) ORDER BY a.id
            """, logger: logger)
        var views: [AssignmentView] = []
        for try await row in rows.decode((Int64, UUID, String, String, Date, Date, Date, String, Date?, String?).self) {
            views.append(AssignmentView(id: row.0, cityLead: row.1, county: row.2, investorName: row.3, assignedAt: row.4,
                                        respondBy: row.5, assessBy: row.6, status: row.7, respondedAt: row.8, reason: row.9))
        }
        return views
    }
}

extension DispatchDesk {
    static func day(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        return formatter.string(from: date)
    }

    /// The longest override reason: the ruling it becomes quotes it in a reason of at most 2,000.
    public static let maximumOverrideLength = 1_900

    /// An accepted override dispatch, waiting for the county's filing.
    public struct PendingOverride: Sendable {
        public let assignmentID: Int64
        public let overridesClaim: Int64
        public let coordinator: String
        public let reason: String
    }

    /// The counties with an accepted override dispatch whose filing has not come yet.
    public func countiesAwaitingOverrideFiling(client: PostgresClient) async throws -> Set<String> {
        let rows = try await client.query("""
            SELECT DISTINCT county FROM assignments
            WHERE override_reason IS NOT NULL AND status = 'accepted' AND override_settled_at IS NULL
            """, logger: logger)
        var counties: Set<String> = []
        for try await county in rows.decode(String.self) { counties.insert(county) }
        return counties
    }

    /// The county's first filing of the enterprise of an override dispatch it accepted settles it,
    /// whatever comes of the filing: it is marked settled here, in the filing's transaction, and
    /// returned. `more`: whether the county still has others waiting.
    public func settlePendingOverride(office: String, investorName: String, creditCode: String?,
                                      on connection: PostgresConnection) async throws -> (pending: PendingOverride?, more: Bool) {
        let rows = try await connection.query("""
            SELECT a.id, a.overrides_claim, a.assigned_by, a.override_reason, l.investor_name, l.credit_code
            FROM assignments a JOIN city_leads l ON l.id = a.city_lead
            WHERE a.county = \(office) AND a.override_reason IS NOT NULL AND a.status = 'accepted' AND a.override_settled_at IS NULL
            ORDER BY a.id FOR UPDATE OF a
            """, logger: logger)
        let filed = EnterpriseKey(name: CompanyName(investorName), code: creditCode.map(CreditCode.parse))
        var pending: PendingOverride?
        var waiting = 0
        for try await (id, claim, coordinator, reason, leadName, leadCode) in rows.decode((Int64, Int64, String, String, String, String?).self) {
            waiting += 1
            guard pending == nil else { continue }
            let offered = EnterpriseKey(name: CompanyName(leadName), code: leadCode.map(CreditCode.parse))
            if !Set(offered.all).isDisjoint(with: filed.all) {
                pending = PendingOverride(assignmentID: id, overridesClaim: claim, coordinator: coordinator, reason: reason)
            }
        }
        if let pending {
            try await connection.query(
                "UPDATE assignments SET override_settled_at = now() WHERE id = \(pending.assignmentID)", logger: logger)
        }
        return (pending, waiting > (pending == nil ? 0 : 1))
    }

    /// A county filed the enterprise of an override dispatch it accepted (`settlePendingOverride`),
    /// and the filing contests the claim the override was about: the filing goes to the county by a
    /// transfer ruling from that holder, recorded like any ruling (decision, audit, both offices
    /// told), in the filing's transaction, so the conflict it opened is never open. Returns the
    /// ruling's notices, or nil when the override no longer fits (the holder changed, or the ruling
    /// would be refused): the filing is then an ordinary one and the conflict stays open for a
    /// coordinator, which is audited.
    public func recordDispatchTransfer(_ pending: PendingOverride, office: String, claimID: Int64, conflictID: Int64,
                                       policy: ProtectionPolicy, now: Date, appends: PendingAppends,
                                       on connection: PostgresConnection) async throws -> [ClaimNotice]? {
        let desk = ConflictDesk(logger: logger)
        guard let view = try await desk.show(conflictID, on: connection), view.holderClaim == pending.overridesClaim,
              let from = view.parties.first(where: { $0.claimID == view.holderClaim }) else {
            appends.append(.init(actor: "hub", action: "dispatch.override.unused", subject: "claim:\(claimID)",
                                 detailJSON: auditDetail(["assignment": "\(pending.assignmentID)", "why": "the holder changed"])))
            return nil
        }
        let decision = ArbitrationDecision.transfer(from: from.office, to: office, fromShare: 50, toShare: 50, years: 5)
        let reason = "市级派单改派（派单 #\(pending.assignmentID)）：\(pending.reason)"
        // What would refuse the ruling leaves the conflict open for a coordinator, as any other.
        var refusal = ArbitrationRules.validate(decision, parties: view.parties.map(\.rules), reason: reason,
                                                currentDecision: view.currentDecision, supersedes: nil, policy: policy)?.code
        if refusal == nil, try await TenantStore.activeKind(pending.coordinator, on: connection, logger: logger) != .coordinator {
            refusal = "NOT_COORDINATOR"
        }
        if let refusal {
            logger.warning("a dispatch override cannot be ruled a transfer; the conflict stays open",
                           metadata: ["assignment": "\(pending.assignmentID)", "code": "\(refusal)"])
            appends.append(.init(actor: "hub", action: "dispatch.override.unused", subject: "claim:\(claimID)",
                                 detailJSON: auditDetail(["assignment": "\(pending.assignmentID)", "why": refusal])))
            return nil
        }
        // The ruling's own event and audit row follow the filing's.
        appends.withdrawConflictOpened(conflictID)
        try await appends.flush(on: connection, logger: logger)
        let (decisionID, notices) = try await desk.decide(
            conflictID: conflictID, decision: decision, reason: reason,
            coordinator: pending.coordinator, supersedes: nil, policy: policy, now: now, on: connection)
        try await connection.query(
            "UPDATE assignments SET transfer_decision = \(decisionID) WHERE id = \(pending.assignmentID)", logger: logger)
        try await AuditChain.append(.init(actor: "hub", action: "dispatch.transfer", subject: "claim:\(claimID)",
                                          detailJSON: auditDetail(["assignment": "\(pending.assignmentID)", "decision": "\(decisionID)",
                                                                   "from_claim": "\(view.holderClaim)"])),
                                    on: connection, logger: logger)
        return notices
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
