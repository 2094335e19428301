import ConcordDomain
import ConcordProtocol
import ConcordStore
import Foundation
import Logging
import PostgresNIO

/// A lead as an officer files it: the 报备 fields.
public struct NewLead: Sendable, Equatable {
    public var investorName: String
    public var creditCode: String?
    public var projectName: String?
    public var industry: String?
    public var industryChain: String?
    public var investmentWan: Double?
    public var fixedAssetWan: Double?
    public var landMu: Double?
    public var energyTce: Double?
    public var environmentNote: String?
    public var expectedOutputWan: Double?
    public var expectedTaxWan: Double?
    public var referrer: String?
    public var officer: String?
    /// YYYY-MM-DD.
    public var firstContact: String?
    public var stage: LeadStage
    public var notes: String?

    public init(investorName: String, stage: LeadStage = .lead) {
        self.investorName = investorName
        self.stage = stage
    }

    /// What is wrong with this lead, in Chinese (empty when it may be filed).
    public func problems() -> [String] {
        var problems: [String] = []
        let name = investorName.trimmingCharacters(in: .whitespaces)
        if name.isEmpty { problems.append("投资方名称不能为空") }
        if name.unicodeScalars.count > 200 { problems.append("投资方名称超过 200 字（按 Unicode 字符计，\(name.unicodeScalars.count)）") }
        if !name.isEmpty, EnterpriseKey(name: CompanyName(name), code: nil).nameKey == nil {
            problems.append("投资方名称「\(name)」中没有可识别企业的内容")
        }
        for (label, value) in [("总投资", investmentWan), ("固定资产投资", fixedAssetWan), ("用地", landMu), ("能耗", energyTce),
                               ("预计产值", expectedOutputWan), ("预计税收", expectedTaxWan)] {
            if let value, !(value.isFinite && value >= 0 && value < 1e12) { problems.append("\(label)应为非负数") }
        }
        if let date = firstContact, LeadBook.day(date) == nil { problems.append("首次接触日期应为 YYYY-MM-DD：\(date)") }
        if stage.isFinal { problems.append("新报备的线索不能处于「\(stage.chineseName)」") }
        for (label, value, limit) in [("项目名称", projectName, 200), ("行业", industry, 100), ("产业链", industryChain, 100),
                                      ("引荐人", referrer, 100), ("经办人", officer, 100), ("环境容量", environmentNote, 500),
                                      ("备注", notes, 4000)] {
            if let value, value.unicodeScalars.count > limit {
                problems.append("\(label)超过 \(limit) 字（按 Unicode 字符计，\(value.unicodeScalars.count)）")
            }
        }
        // Control characters are never part of a name; free text may hold tabs and line breaks.
        for (label, value, multiline) in [("投资方名称", Optional(investorName), false), ("项目名称", projectName, false),
                                          ("行业", industry, false), ("产业链", industryChain, false), ("引荐人", referrer, false),
                                          ("经办人", officer, false), ("信用代码", creditCode, false),
                                          ("环境容量", environmentNote, true), ("备注", notes, true)] {
            guard let value, let bad = value.unicodeScalars.first(where: {
                $0.properties.generalCategory == .control && !(multiline && "\t\n\r".unicodeScalars.contains($0))
            }) else { continue }
            problems.append("\(label)含控制字符 U+\(String(format: "%04X", bad.value))，请删除后重试")
        }
        return problems
    }
}

/// A lead with what the hub said about it.
public struct LeadRecord: Sendable {
    public let id: UUID
    public let investorName: String
    public let creditCode: String?
    public let creditCodeIssue: String?
    public let projectName: String?
    public let industry: String?
    public let investmentWan: Double?
    public let officer: String?
    public let stage: LeadStage
    public let filedAt: Date
    public let claimStatus: String?
    /// The last claim.status body (JSON), if any.
    public let claimDetail: String?
    public let history: [(stage: LeadStage, at: Date)]
    /// What the hub last refused of this lead (「协同中心未接受：…」), with the rule's code.
    public var hubRefusal: (code: String, text: String, at: Date)? = nil

    /// The claim state the hub last sent, in the one vocabulary.
    public var claimState: ClaimState? { claimStatus.flatMap(ClaimState.init(rawValue:)) }

    /// The stages an officer may move this lead to now (the lifecycle rule, with the claim's state).
    public var allowedStages: [LeadStage] {
        LeadStage.allCases.filter { if case .success = LeadLifecycle.check(from: stage, to: $0, claim: claimState) { return true }; return false }
    }
}

public struct LinkState: Sendable {
    public let up: Bool
    public let since: Date
    public let lastHeard: Date?
}

/// The office's leads in its own database. Every change and the message it causes for the hub
/// commit together (transactional outbox), so a lead filed while the hub is down reaches it later.
public struct LeadBook: Sendable {
    public static let hubPeer = "hub"
    public let client: PostgresClient
    public let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    static func day(_ text: String) -> Date? {
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1...12).contains(m), (1...31).contains(d) else { return nil }
        var components = DateComponents()
        (components.year, components.month, components.day) = (y, m, d)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        guard let date = calendar.date(from: components), calendar.component(.day, from: date) == d else { return nil }
        return date
    }

    /// Files leads in one transaction: all or none. Returns their ids in order. With `actor` (a
    /// console user), each filing is written to the office's audit chain in the same transaction.
    public func add(_ leads: [NewLead], actor: String? = nil) async throws -> [UUID] {
        for (index, lead) in leads.enumerated() {
            let problems = lead.problems()
            if !problems.isEmpty {
                throw StoreError(.invalidInput, "第 \(index + 1) 条：" + problems.joined(separator: "；"))
            }
        }
        let logger = self.logger
        return try await client.withTransaction(logger: logger) { connection in
            var ids: [UUID] = []
            for lead in leads {
                let id = try await Self.insert(lead, on: connection, logger: logger)
                ids.append(id)
                if let actor {
                    try await AuditChain.append(.init(actor: actor, action: "lead.filed", subject: "lead:\(id.uuidString.lowercased())",
                                                      detailJSON: auditDetail(["investor_name": lead.investorName])),
                                                on: connection, logger: logger)
                }
            }
            return ids
        }
    }

    static func insert(_ lead: NewLead, on connection: PostgresConnection, logger: Logger) async throws -> UUID {
        let id = UUID()
        let now = Date()
        let parsed = lead.creditCode.map(CreditCode.parse)
        let code = parsed?.code?.value ?? lead.creditCode.map { $0.trimmingCharacters(in: .whitespaces) }
        let issue = parsed?.problem?.code
        try await connection.query("""
            INSERT INTO leads (id, investor_name, credit_code, credit_code_issue, project_name, industry, industry_chain,
                               investment_wan, fixed_asset_wan, land_mu, energy_tce, environment_note, expected_output_wan,
                               expected_tax_wan, referrer, officer, first_contact_on, stage, notes, filed_at)
            VALUES (\(id), \(lead.investorName.trimmingCharacters(in: .whitespaces)), \(code), \(issue), \(lead.projectName),
                    \(lead.industry), \(lead.industryChain), \(lead.investmentWan), \(lead.fixedAssetWan), \(lead.landMu),
                    \(lead.energyTce), \(lead.environmentNote), \(lead.expectedOutputWan), \(lead.expectedTaxWan),
                    \(lead.referrer), \(lead.officer), \(lead.firstContact)::date, \(lead.stage.rawValue), \(lead.notes), \(now))
            """, logger: logger)
        try await connection.query(
            "INSERT INTO lead_stage_history (lead_id, stage, changed_at) VALUES (\(id), \(lead.stage.rawValue), \(now))",
            logger: logger)
        try await Outbox.enqueue(peer: hubPeer, on: connection, logger: logger) { seq in
            let envelope = Envelope(seq: seq, payload: .claimFile(ClaimFile(
                leadRef: id.uuidString.lowercased(), investorName: lead.investorName.trimmingCharacters(in: .whitespaces),
                creditCode: parsed?.code?.value, projectName: lead.projectName, industry: lead.industry,
                investmentWan: lead.investmentWan, stage: lead.stage, reportedAt: now)))
            return (envelope.id, envelope.payload.type.rawValue, String(decoding: envelope.frames()[1], as: UTF8.self))
        }
        return id
    }

    /// Moves a lead to another stage, as the lifecycle allows, and tells the hub.
    public func changeStage(_ idOrPrefix: String, to stage: LeadStage, actor: String? = nil) async throws -> (LeadRecord, LeadStage) {
        let record = try await find(idOrPrefix)
        let logger = self.logger
        switch LeadLifecycle.check(from: record.stage, to: stage, claim: record.claimState) {
        case .failure(let error):
            throw StoreError(.invalidInput, "[\(error.code)] \(error.explanation)")
        case .success:
            try await client.withTransaction(logger: logger) { connection in
                let now = Date()
                // Re-check under a row lock: another officer, or the hub's answer, may have changed it meanwhile.
                let rows = try await connection.query(
                    "SELECT stage, claim_status FROM leads WHERE id = \(record.id) FOR UPDATE", logger: logger)
                for try await (current, claim) in rows.decode((String, String?).self) {
                    if current != record.stage.rawValue {
                        throw StoreError(.invalidInput, "线索阶段刚被他人改为「\(LeadStage(rawValue: current)?.chineseName ?? current)」，请重试")
                    }
                    if case .failure(let error) = LeadLifecycle.check(from: record.stage, to: stage, claim: claim.flatMap(ClaimState.init(rawValue:))) {
                        throw StoreError(.invalidInput, "[\(error.code)] \(error.explanation)")
                    }
                }
                try await connection.query(
                    "UPDATE leads SET stage = \(stage.rawValue), hub_refusal = NULL, hub_refusal_code = NULL, hub_refusal_at = NULL WHERE id = \(record.id)",
                    logger: logger)
                try await connection.query(
                    "INSERT INTO lead_stage_history (lead_id, stage, changed_at) VALUES (\(record.id), \(stage.rawValue), \(now))",
                    logger: logger)
                try await Outbox.enqueue(peer: Self.hubPeer, on: connection, logger: logger) { seq in
                    let envelope = Envelope(seq: seq, payload: .leadStage(LeadStageChange(
                        leadRef: record.id.uuidString.lowercased(), stage: stage, changedAt: now)))
                    return (envelope.id, envelope.payload.type.rawValue, String(decoding: envelope.frames()[1], as: UTF8.self))
                }
                if let actor {
                    try await AuditChain.append(.init(actor: actor, action: "lead.stage", subject: "lead:\(record.id.uuidString.lowercased())",
                                                      detailJSON: auditDetail(["from": record.stage.rawValue, "to": stage.rawValue])),
                                                on: connection, logger: logger)
                }
            }
        }
        return (try await find(record.id.uuidString), record.stage)
    }

    public func list() async throws -> [LeadRecord] {
        try await records(where: "TRUE", bind: nil)
    }

    /// A lead by full id or an unambiguous prefix of at least 4 characters.
    public func find(_ idOrPrefix: String) async throws -> LeadRecord {
        let prefix = idOrPrefix.lowercased()
        guard prefix.count >= 4, prefix.allSatisfy({ $0.isHexDigit || $0 == "-" }) else {
            throw StoreError(.invalidInput, "线索编号应为其 ID 或至少 4 位前缀：\(idOrPrefix)")
        }
        let found = try await records(where: "id::text LIKE $1 || '%'", bind: prefix)
        guard found.count == 1 else {
            throw StoreError(found.isEmpty ? .notFound : .invalidInput,
                             found.isEmpty ? "没有编号为 \(idOrPrefix) 的线索" : "编号前缀 \(idOrPrefix) 对应多条线索，请多写几位")
        }
        return found[0]
    }

    func records(where condition: String, bind: String?) async throws -> [LeadRecord] {
        var query = PostgresQuery(unsafeSQL: """
            SELECT id, investor_name, credit_code, credit_code_issue, project_name, industry, investment_wan::float8,
                   officer, stage, filed_at, claim_status, claim_detail::text, hub_refusal_code, hub_refusal, hub_refusal_at
            FROM leads WHERE \(condition) ORDER BY filed_at, id
            """)
        if let bind {
            var bindings = PostgresBindings()
            bindings.append(bind)
            query = PostgresQuery(unsafeSQL: query.sql, binds: bindings)
        }
        let rows = try await client.query(query, logger: logger)
        var partial: [(UUID, String, String?, String?, String?, String?, Double?, String?, String, Date, String?, String?)] = []
        var refusals: [UUID: (code: String, text: String, at: Date)] = [:]
        for try await row in rows.decode((UUID, String, String?, String?, String?, String?, Double?, String?, String, Date, String?, String?,
                                          String?, String?, Date?).self) {
            partial.append((row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10, row.11))
            if let code = row.12, let text = row.13, let at = row.14 { refusals[row.0] = (code, text, at) }
        }
        var histories: [UUID: [(LeadStage, Date)]] = [:]
        if !partial.isEmpty {
            let ids = partial.map(\.0)
            let history = try await client.query(
                "SELECT lead_id, stage, changed_at FROM lead_stage_history WHERE lead_id = ANY(\(ids)) ORDER BY changed_at",
                logger: logger)
            for try await (id, stage, at) in history.decode((UUID, String, Date).self) {
                histories[id, default: []].append((LeadStage(rawValue: stage) ?? .lead, at))
            }
        }
        return partial.map { row in
            LeadRecord(id: row.0, investorName: row.1, creditCode: row.2, creditCodeIssue: row.3, projectName: row.4,
                       industry: row.5, investmentWan: row.6, officer: row.7, stage: LeadStage(rawValue: row.8) ?? .lead,
                       filedAt: row.9, claimStatus: row.10, claimDetail: row.11,
                       history: (histories[row.0] ?? []).map { (stage: $0.0, at: $0.1) }, hubRefusal: refusals[row.0])
        }
    }

    /// The lead's combined review status as the hub last sent it (pending first).
    public func reviews(_ lead: UUID) async throws -> [ReviewEntry] {
        let rows = try await client.query("""
            SELECT department, department_name, since, answered_at, verdict FROM lead_reviews WHERE lead_id = \(lead)
            """, logger: logger)
        var entries: [ReviewEntry] = []
        for try await (department, name, since, answered, verdict) in rows.decode((String, String, Date, Date?, String?).self) {
            entries.append(ReviewEntry(department: department, departmentName: name, since: since, answeredAt: answered, verdict: verdict))
        }
        return entries.sorted { a, b in
            if a.isPending != b.isPending { return a.isPending }
            return (a.answeredAt ?? a.since, a.department) < (b.answeredAt ?? b.since, b.department)
        }
    }

    /// Departments' review opinions on a lead, oldest first: (department, verdict, text, conditions, time).
    public func opinions(_ lead: UUID) async throws -> [(department: String, verdict: String, text: String, conditions: String?, at: Date)] {
        let rows = try await client.query("""
            SELECT department, verdict, text, conditions, given_at FROM lead_opinions WHERE lead_id = \(lead) ORDER BY given_at
            """, logger: logger)
        var opinions: [(String, String, String, String?, Date)] = []
        for try await row in rows.decode((String, String, String, String?, Date).self) { opinions.append(row) }
        return opinions.map { (department: $0.0, verdict: $0.1, text: $0.2, conditions: $0.3, at: $0.4) }
    }

    /// What the node daemon last recorded about its hub link (nil before it first ran).
    public func link() async throws -> LinkState? {
        let rows = try await client.query("SELECT state, since, last_heard FROM node_link", logger: logger)
        for try await (state, since, heard) in rows.decode((String, Date, Date?).self) {
            return LinkState(up: state == "up", since: since, lastHeard: heard)
        }
        return nil
    }

    /// Messages waiting for the hub: how many, and the oldest's age in seconds.
    public func waiting() async throws -> (count: Int, oldestSeconds: Double) {
        let depth = try await Outbox.depth(client: client, logger: logger)
        let hub = depth.first { $0.peer == Self.hubPeer }
        return (hub?.count ?? 0, hub?.oldestSeconds ?? 0)
    }
}
