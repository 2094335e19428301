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
        if let status = lead.claimStatus {
            switch ClaimState(rawValue: status) {
            case .held?:
                text = "已占有"
                if let others = detail?.contested_by, !others.isEmpty { text += "（\(others.joined(separator: "、")) 也在跟进，撞单待裁决）" }
            case .contested?: text = "撞单：\(detail?.holder_office ?? "?") 自 \(since(detail?.holder_since)) 起跟进，待市级裁决"
            case .settled?: text = "已投产，归属确定"
            case .lapsed?: text = "首报保护期已过且无进展，已失去占有"
            case let state?: text = state.label
            case nil: text = status
            }
        } else {
            text = "待协同中心确认"
        }
        if let decision = detail?.decision {
            let outcome = DecisionOutcome(rawValue: decision.outcome)?.label ?? decision.outcome
            text = "市级裁决 #\(decision.id)：\(outcome)（\(decision.summary)）"
        }
        if let refusal = lead.hubRefusal {
            text = "协同中心未接受：\(refusal.text)（\(refusal.code)）；" + text
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
            let until = policy.protectedUntil(receivedAt: party.receivedAt, lastProgressAt: party.lastProgressAt)
            let lapsed = policy.isLapsed(receivedAt: party.receivedAt, lastProgressAt: party.lastProgressAt, now: now)
            lines.append("报备 #\(party.claimID)  \(party.office)\(party.isHolder ? "（占有方）" : "")")
            lines.append("  投资方：\(party.investorName)  信用代码：\(party.creditCode ?? "未填")")
            lines.append("  项目：\(party.projectName ?? "-")  行业：\(party.industry ?? "-")  总投资：\(party.investmentWan.map { String(format: "%.0f 万元", $0) } ?? "-")")
            lines.append("  首报（协同中心收到）：\(LeadText.dateFormat.string(from: party.receivedAt))"
                + "  区县填报日期：\(LeadText.dateFormat.string(from: party.countyReportedAt))")
            lines.append("  阶段：\(party.stage.chineseName)"
                + "  保护期至：\(LeadText.dateFormat.string(from: until))\(lapsed ? "（已失效）" : "")")
            if !party.stageDates.isEmpty {
                lines.append("  阶段日期：" + party.stageDates.map { "\($0.stage.chineseName) \(LeadText.dateFormat.string(from: $0.at))" }
                    .joined(separator: " → "))
            }
        }
        if let mismatch = view.nameCodeMismatch { lines.append("⚠ " + mismatch) }
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
        ("企业数", { "\($0.enterprises)" }),
        ("报备条数", { "\($0.claimsFiled)" }),
        ("流转入", { "\($0.transfersIn)" }),
        ("流转出", { "\($0.transfersOut)" }),
        ("联合招引", { row in "\(row.jointHeld)" + (row.jointPartners.isEmpty ? "" : "（与 \(row.jointPartners.joined(separator: "、"))）") }),
        ("参与联合招引", { "\($0.jointShared)" }),
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

    /// How each figure is defined (口径说明), as the report states it: the console page, the CLI table
    /// and `definitions.csv` show these. `Cockpit` defines the same in code.
    public static let definitions: [(term: String, text: String)] = [
        ("企业数", """
            每家企业只计一次，计入当前持有它的区县，以持有报备的首报时间落入所选期间为准；撞单中等待裁决的报备、\
            已判给他区县、已流转出或被驳回的报备、本区县对已持有企业的重复报备，都不重复计数。终止或首报保护期失效、\
            且没有其他报备接手的企业仍计一次，计入原报备区县；市级专班接手的企业计入原持有区县；裁定为不同项目的各计一次。
            """),
        ("报备条数", "期间内报到协同中心的全部报备，每条计一次；与企业数之差即撞单、流转、驳回和重复报备。"),
        ("流转入 / 流转出", """
            流转入：经市级裁决流转至本区县的企业，已计入本区县企业数；流转出：本区县的报备经裁决流转至他区县，\
            计入接收区县，不计入本区县。
            """),
        ("联合招引 / 参与联合招引", """
            裁定联合招引的企业只计一次，计入牵头区县（裁决所列第一个区县），括号内为联合区县；\
            参与联合招引：他区县牵头、本区县参与的企业数，不计入本区县企业数。
            """),
        ("阶段分布 / 阶段漏斗", "阶段分布：上述企业的当前阶段；阶段漏斗：到达各阶段的企业数（到达较后阶段即视为经过此前各阶段）。"),
        ("转化率", "到达前一阶段的企业中，到达后一阶段的比例。"),
        ("至签约天数 / 阶段间天数", "从首报到签约的天数，限已签约的企业；阶段间天数：从到达前一阶段到到达后一阶段，限协同中心看到两个时间的企业。"),
        ("派单答复小时 / 逾期派单", "期间内发出的派单从派出到答复的小时数；逾期派单：超过答复期限才答复或仍未答复的派单。"),
        ("撞单 / 已裁决 / 裁决天数 / 裁决结果", """
            期间内新开的撞单（区县行计其参与的撞单，合计每个撞单只计一次；市级派单改派在接受时直接记为流转裁决，不计为撞单）；已裁决：其中已有裁决的；\
            裁决天数：从开单到首次裁决；裁决结果：现行裁决的类型。
            """),
        ("查询", "期间内“是否有人在跟进”的查询次数。"),
        ("中位 / P90", "中位数与第 90 百分位数，取最近秩。"),
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
                lines.append("  \(step.from.chineseName)→\(step.to.chineseName) 天数：中位 \(number(step.spread.median))，P90 \(number(step.spread.p90))（\(step.spread.count) 家）")
            }
        }
        lines.append("")
        lines.append("口径说明")
        for definition in definitions { lines.append("  \(definition.term)：\(definition.text)") }
        return lines.joined(separator: "\n")
    }

    /// The definitions as a CSV (指标, 口径).
    public static func definitionsCSV() -> String {
        CSVText.render([["指标", "口径"]] + definitions.map { [$0.term, $0.text] }, neutralizingFormulas: true)
    }

    /// Every CSV the report writes, on the command line as in the console, is opened in a
    /// spreadsheet: fields that would run as formulas are neutralised.
    public static func csv(_ rows: [CockpitRow]) -> String {
        CSVText.render([columns.map(\.0)] + rows.map { row in columns.map { $0.1(row) } }, neutralizingFormulas: true)
    }

    public static func json(_ rows: [CockpitRow]) -> String {
        func spread(_ s: Spread?) -> JSONText.Value {
            guard let s else { return .object([]) }
            return .object([("median", .number(s.median)), ("p90", .number(s.p90)), ("count", .number(Double(s.count)))])
        }
        let values: [JSONText.Value] = rows.map { row in
            .object([
                ("scope", .string(row.scope)),
                ("enterprises", .number(Double(row.enterprises))),
                ("claims_filed", .number(Double(row.claimsFiled))),
                ("transfers_in", .number(Double(row.transfersIn))),
                ("transfers_out", .number(Double(row.transfersOut))),
                ("joint_held", .number(Double(row.jointHeld))),
                ("joint_partners", .array(row.jointPartners.map { .string($0) })),
                ("joint_shared", .number(Double(row.jointShared))),
                ("by_stage", .object(LeadStage.allCases.compactMap { s in row.byStage[s].map { (s.rawValue, .number(Double($0))) } })),
                ("reached", .object(Cockpit.path.compactMap { s in row.reached[s].map { (s.rawValue, .number(Double($0))) } })),
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
    public static func csv(_ projects: [ReviewDesk.Project], now: Date) -> String {
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
        return CSVText.render(rows, neutralizingFormulas: true)
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
