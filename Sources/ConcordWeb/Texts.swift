import ConcordDomain
import ConcordNode
import ConcordProtocol
import ConcordStore
import Foundation

// Chinese wording shared by the CLI and the consoles: claim states, conflicts, the cockpit's
// columns, review progress. One place, so an officer reads the same words everywhere.

public enum LeadText {
    public static let dateFormat: DateFormatter = {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        return formatter
    }()

    public static func linkLine(_ link: LinkState?, waiting: (count: Int, oldestSeconds: Double)) -> String {
        let queue = waiting.count == 0 ? "无待上报" : "待上报 \(waiting.count) 条（最早 \(Int(waiting.oldestSeconds)) 秒前）"
        guard let link else { return "协同中心连接：节点尚未运行（concord node run）；\(queue)" }
        if link.up { return "协同中心连接：正常（自 \(dateFormat.string(from: link.since))）；\(queue)" }
        return "协同中心连接：离线（自 \(dateFormat.string(from: link.since))）——已保存，恢复连接后自动上报；\(queue)"
    }

    public struct Detail: Decodable {
        let holder_office: String?
        let holder_since: String?
        let conflict_id: Int64?
        let contested_by: [String]?
        let possible_duplicates: [ClaimStatus.Duplicate]?
        let decision: ClaimStatus.Decision?
    }

    public static func parsedDetail(_ lead: LeadRecord) -> Detail? {
        lead.claimDetail.flatMap { try? JSONDecoder().decode(Detail.self, from: Data($0.utf8)) }
    }

    public static func since(_ text: String?) -> String {
        text.flatMap(Timestamp.parse).map { dateFormat.string(from: $0) } ?? "?"
    }

    public static func claim(_ lead: LeadRecord) -> String {
        let detail = parsedDetail(lead)
        var text: String
        switch lead.claimStatus {
        case nil: text = "待协同中心确认"
        case "held":
            text = "已占有"
            if let others = detail?.contested_by, !others.isEmpty { text += "（\(others.joined(separator: "、")) 也在跟进，撞单待裁决）" }
        case "held_by_own_office": text = "本区县另一线索已占有"
        case "contested": text = "撞单：\(detail?.holder_office ?? "?") 自 \(since(detail?.holder_since)) 起跟进，待市级裁决"
        case "settled": text = "已投产，归属确定"
        case "released": text = "已释放"
        case "joint": text = "联合招引"
        case "taskforce": text = "市级专班接手"
        case "distinct": text = "认定为不同项目，各自推进"
        case "lapsed": text = "首报保护期已过且无进展，已失去占有"
        case let other?: text = other
        }
        if let decision = detail?.decision {
            let outcome = [
                "won": "判归本区县", "lost": "判归他区县", "transferred_in": "流转至本区县", "transferred_out": "已流转出",
                "joint": "联合招引", "distinct": "不同项目", "taskforce": "专班接手", "rejected": "本报备被驳回", "upheld": "维持",
            ][decision.outcome] ?? decision.outcome
            text = "市级裁决 #\(decision.id)：\(outcome)（\(decision.summary)）"
        }
        if let duplicates = detail?.possible_duplicates, !duplicates.isEmpty {
            text += "；疑似重复：" + duplicates.map { "\($0.office)（\(String(format: "%.2f", $0.score))）" }.joined(separator: "、")
        }
        return text
    }

    public static func detail(_ lead: LeadRecord) -> String {
        var lines = [
            "编号：\(lead.id.uuidString.lowercased())",
            "投资方：\(lead.investorName)",
            "信用代码：\(lead.creditCode ?? "未填")\(lead.creditCodeIssue.map { "（\($0)，按名称匹配）" } ?? "")",
            "项目：\(lead.projectName ?? "-")    行业：\(lead.industry ?? "-")    总投资：\(lead.investmentWan.map { String(format: "%.2f 万元", $0) } ?? "-")",
            "经办人：\(lead.officer ?? "-")    报备时间：\(dateFormat.string(from: lead.filedAt))",
            "阶段：\(lead.stage.chineseName)",
            "阶段历史：" + lead.history.map { "\($0.stage.chineseName) \(dateFormat.string(from: $0.at))" }.joined(separator: " → "),
            "协同状态：\(claim(lead))",
        ]
        if let decision = parsedDetail(lead)?.decision {
            lines.append("  裁决理由：\(decision.reason)")
        }
        if let duplicates = parsedDetail(lead)?.possible_duplicates {
            for duplicate in duplicates {
                lines.append("  疑似重复 \(duplicate.office)：" + duplicate.reasons.joined(separator: "；"))
            }
        }
        return lines.joined(separator: "\n")
    }
}

public enum ConflictText {
    public static func status(_ status: String) -> String {
        ["open": "未决", "decided": "已裁决", "withdrawn": "已撤销"][status] ?? status
    }

    public static func render(_ view: ConflictView, policy: ProtectionPolicy, now: Date) -> String {
        var lines = ["撞单 \(view.id)（\(status(view.status))，打开于 \(LeadText.dateFormat.string(from: view.openedAt))）", ""]
        for party in view.parties {
            let until = policy.protectedUntil(reportedAt: party.reportedAt, lastProgressAt: party.lastProgressAt)
            let lapsed = policy.isLapsed(reportedAt: party.reportedAt, lastProgressAt: party.lastProgressAt, now: now)
            lines.append("报备 #\(party.claimID)  \(party.office)\(party.isHolder ? "（占有方）" : "")")
            lines.append("  投资方：\(party.investorName)  信用代码：\(party.creditCode ?? "未填")")
            lines.append("  项目：\(party.projectName ?? "-")  行业：\(party.industry ?? "-")  总投资：\(party.investmentWan.map { String(format: "%.0f 万元", $0) } ?? "-")")
            lines.append("  首报：\(LeadText.dateFormat.string(from: party.reportedAt))  阶段：\(party.stage.chineseName)"
                + "  保护期至：\(LeadText.dateFormat.string(from: until))\(lapsed ? "（已失效）" : "")")
            if !party.stageDates.isEmpty {
                lines.append("  阶段日期：" + party.stageDates.map { "\($0.stage.chineseName) \(LeadText.dateFormat.string(from: $0.at))" }
                    .joined(separator: " → "))
            }
        }
        if view.parties.count >= 2 {
            let holder = view.parties.first { $0.isHolder } ?? view.parties[0]
            lines.append("")
            lines.append("名称比对：")
            for other in view.parties where other.claimID != holder.claimID {
                let match = EnterpriseMatch.compare(CompanyName(holder.investorName), CompanyName(other.investorName),
                                                    codeA: holder.creditCode.map(CreditCode.parse),
                                                    codeB: other.creditCode.map(CreditCode.parse))
                lines.append("  #\(holder.claimID) 与 #\(other.claimID)：\(match.verdict.rawValue)（\(String(format: "%.2f", match.score))）"
                    + match.reasons.joined(separator: "；"))
            }
        }
        let recommendation = ArbitrationRules.recommend(view.parties.map(\.rules), policy: policy, now: now)
        lines.append("")
        lines.append("规则建议：\(recommendation.decision.chineseName)——\(recommendation.decision.summary)")
        for reason in recommendation.reasons { lines.append("  · \(reason)") }
        if !view.decisions.isEmpty {
            lines.append("")
            lines.append("裁决记录：")
            for decision in view.decisions {
                let current = decision.id == view.currentDecision ? "（现行）" : ""
                lines.append("  #\(decision.id)\(current) \(LeadText.dateFormat.string(from: decision.decidedAt)) \(decision.coordinator)：\(decision.summary)；理由：\(decision.reason)"
                    + (decision.supersedes.map { "；取代 #\($0)" } ?? ""))
            }
        }
        return lines.joined(separator: "\n")
    }
}

public enum ReportText {
    /// A date as YYYY-MM-DD in Beijing time (the form `day` reads).
    public static func dayString(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        return formatter.string(from: date)
    }

    public static func day(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        formatter.isLenient = false
        return formatter.date(from: text)
    }

    public static func number(_ value: Double?) -> String {
        guard let value else { return "-" }
        return String(format: "%.1f", value)
    }

    public static func percent(_ value: Double?) -> String {
        guard let value else { return "-" }
        return String(format: "%.0f%%", value * 100)
    }

    public static let outcomeNames = ["award": "判归首报", "transfer": "流转", "joint": "联合招引", "distinct": "不同项目",
                               "taskforce": "专班", "reject": "驳回"]

    /// The columns, in order, with how each row fills them.
    public static let columns: [(String, @Sendable (CockpitRow) -> String)] = [
        ("区县", { $0.scope }),
        ("报备数", { "\($0.leadsFiled)" }),
        ("阶段分布", { row in LeadStage.allCases.compactMap { s in row.byStage[s].map { "\(s.chineseName)\($0)" } }.joined(separator: " ") }),
        ("线索→洽谈", { row in percent(row.conversions.first { $0.from == .lead }?.rate) }),
        ("洽谈→签约", { row in percent(row.conversions.first { $0.from == .negotiating }?.rate) }),
        ("至签约天数中位", { number($0.daysToSigned?.median) }),
        ("至签约天数P90", { number($0.daysToSigned?.p90) }),
        ("派单答复小时中位", { number($0.responseHours?.median) }),
        ("派单答复小时P90", { number($0.responseHours?.p90) }),
        ("逾期派单", { "\($0.overdue)" }),
        ("撞单", { "\($0.conflictsOpened)" }),
        ("已裁决", { "\($0.conflictsResolved)" }),
        ("裁决天数中位", { number($0.daysToDecision?.median) }),
        ("裁决结果", { row in row.outcomes.sorted { $0.key < $1.key }.map { "\(outcomeNames[$0.key] ?? $0.key)\($0.value)" }.joined(separator: " ") }),
        ("查询", { "\($0.checks)" }),
    ]

    public static func table(_ rows: [CockpitRow], from: Date, to: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        var lines = ["招商驾驶舱  \(formatter.string(from: from)) 至 \(formatter.string(from: to))（不含）"]
        for row in rows {
            lines.append("")
            lines.append("【\(row.scope)】")
            for (name, value) in columns.dropFirst() { lines.append("  \(name)：\(value(row))") }
            for step in row.daysBetween {
                lines.append("  \(step.from.chineseName)→\(step.to.chineseName) 天数：中位 \(number(step.spread.median))，P90 \(number(step.spread.p90))（\(step.spread.count) 条）")
            }
        }
        return lines.joined(separator: "\n")
    }

    public static func csv(_ rows: [CockpitRow], forDownload: Bool = false) -> String {
        CSVText.render([columns.map(\.0)] + rows.map { row in columns.map { $0.1(row) } }, neutralizingFormulas: forDownload)
    }

    public static func json(_ rows: [CockpitRow]) -> String {
        func spread(_ s: Spread?) -> JSONText.Value {
            guard let s else { return .object([]) }
            return .object([("median", .number(s.median)), ("p90", .number(s.p90)), ("count", .number(Double(s.count)))])
        }
        let values: [JSONText.Value] = rows.map { row in
            .object([
                ("scope", .string(row.scope)),
                ("leads_filed", .number(Double(row.leadsFiled))),
                ("by_stage", .object(LeadStage.allCases.compactMap { s in row.byStage[s].map { (s.rawValue, .number(Double($0))) } })),
                ("conversions", .array(row.conversions.map { .object([("from", .string($0.from.rawValue)), ("to", .string($0.to.rawValue)),
                                                                     ("rate", .number(($0.rate * 1000).rounded() / 1000))]) })),
                ("days_to_signed", spread(row.daysToSigned)),
                ("days_between", .array(row.daysBetween.map { .object([("from", .string($0.from.rawValue)), ("to", .string($0.to.rawValue)),
                                                                      ("spread", spread($0.spread))]) })),
                ("assignment_response_hours", spread(row.responseHours)),
                ("assignments_overdue", .number(Double(row.overdue))),
                ("conflicts_opened", .number(Double(row.conflictsOpened))),
                ("conflicts_resolved", .number(Double(row.conflictsResolved))),
                ("days_to_decision", spread(row.daysToDecision)),
                ("outcomes", .object(row.outcomes.sorted { $0.key < $1.key }.map { ($0.key, .number(Double($0.value))) })),
                ("checks", .number(Double(row.checks))),
            ])
        }
        return JSONText.render(.array(values))
    }
}

public enum ReviewText {
    public static func hours(_ seconds: TimeInterval) -> String { String(format: "%.1f", seconds / 3600) }

    public static func table(_ projects: [ReviewDesk.Project], now: Date) -> String {
        let pendingProjects = projects.filter { $0.entries.contains(where: \.isPending) }.count
        var lines = ["联审进度：\(projects.count) 个项目已推送审批部门，其中 \(pendingProjects) 个仍有部门待答复"]
        for project in projects {
            let (answered, pending) = ReviewStatus.counts(project.entries)
            let stage = LeadStage(rawValue: project.stage)?.chineseName ?? project.stage
            lines.append("  项目 \(project.claim) \(project.investorName)\(project.projectName.map { "·\($0)" } ?? "")（\(project.office)，\(stage)）"
                         + "：已答复 \(answered)，待答复 \(pending)")
            for entry in project.entries { lines.append("    " + ReviewStatus.describe(entry, now: now)) }
        }
        return lines.joined(separator: "\n")
    }

    /// One row per project and department.
    public static func csv(_ projects: [ReviewDesk.Project], now: Date, forDownload: Bool = false) -> String {
        var rows = [["项目", "区县", "投资方", "阶段", "部门", "部门名称", "状态", "意见", "推送时间", "答复时间", "时长小时"]]
        for project in projects {
            for entry in project.entries {
                let state = entry.isPending ? "待答复" : "已答复"
                let verdict = entry.verdict.map { ReviewStatus.verdictNames[$0] ?? $0 } ?? ""
                rows.append([String(project.claim), project.office, project.investorName, project.stage, entry.department,
                             entry.departmentName, state, verdict, Timestamp.format(entry.since),
                             entry.answeredAt.map(Timestamp.format) ?? "", hours(entry.waited(now: now))])
            }
        }
        return CSVText.render(rows, neutralizingFormulas: forDownload)
    }

    public static func json(_ projects: [ReviewDesk.Project], now: Date) -> String {
        JSONText.render(.array(projects.map { project in
            let (answered, pending) = ReviewStatus.counts(project.entries)
            return .object([
                ("claim", .number(Double(project.claim))), ("office", .string(project.office)),
                ("lead_ref", .string(project.leadRef)), ("investor_name", .string(project.investorName)),
                ("stage", .string(project.stage)), ("answered", .number(Double(answered))), ("pending", .number(Double(pending))),
                ("departments", .array(project.entries.map { entry in
                    .object([("department", .string(entry.department)), ("department_name", .string(entry.departmentName)),
                             ("since", .string(Timestamp.format(entry.since))),
                             ("answered_at", entry.answeredAt.map { .string(Timestamp.format($0)) } ?? .null),
                             ("verdict", entry.verdict.map { .string($0) } ?? .null),
                             ("hours", .number((entry.waited(now: now) / 360).rounded() / 10))])
                })),
            ])
        }))
    }
}

public enum AssignmentText {
    public static func status(_ status: String) -> String {
        ["offered": "待答复", "accepted": "已接受", "declined": "已拒绝"][status] ?? status
    }
}
