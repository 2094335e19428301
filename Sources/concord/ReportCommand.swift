import ArgumentParser
import ConcordDomain
import ConcordHub
import ConcordProtocol
import ConcordStore
import Foundation

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "招商驾驶舱：各区县与合计的报备、转化、时长、派单、撞单与查询指标 (the cockpit report).",
        discussion: """
            指标定义见 README「concord report」一节（代码中集中定义于 Cockpit）。日期为北京时间 YYYY-MM-DD，
            --to 当天不含在内；默认最近 365 天。

            例: concord report --config hub.toml --from 2026-01-01 --to 2027-01-01 --format table
                concord report --config hub.toml --format csv > cockpit.csv
                concord report --config hub.toml --reviews            （联审进度：待答复最久的项目在前）
            """
    )
    @OptionGroup var hub: TenantCommand.HubConfigOption
    @Option(help: "起始日期（含） (from, inclusive).") var from: String?
    @Option(help: "截止日期（不含） (to, exclusive).") var to: String?
    @Option(help: "table | csv | json") var format: String = "table"
    @Flag(help: "只输出联审进度：每个项目哪些部门已答复、哪些待答复、多久 (review status per project only).")
    var reviews = false

    func run() async throws {
        try await reportingErrors {
            guard ["table", "csv", "json"].contains(format) else { throw CLIError("BAD_ARGUMENT", "--format 应为 table、csv 或 json") }
            let now = Date()
            func day(_ text: String?, _ fallback: Date) throws -> Date {
                guard let text else { return fallback }
                guard let date = ReportText.day(text) else { throw CLIError("BAD_ARGUMENT", "日期应为 YYYY-MM-DD：\(text)") }
                return date
            }
            let start = try day(from, now.addingTimeInterval(-365 * 86_400))
            let end = try day(to, now.addingTimeInterval(86_400))
            let configuration = try hub.load()
            let logger = CLILogging.logger("concord.report")
            let (input, projects) = try await Database.withDatabase(configuration.database, logger: logger) { db in
                (try await CockpitSource.load(client: db.client, logger: logger),
                 try await ReviewDesk(logger: logger).projects(client: db.client, now: now))
            }
            if reviews {
                switch format {
                case "csv": print(ReviewText.csv(projects, now: now), terminator: "")
                case "json": print(ReviewText.json(projects, now: now))
                default: print(ReviewText.table(projects, now: now))
                }
                return
            }
            let rows = Cockpit.compute(input, from: start, to: end, now: now)
            switch format {
            case "csv": print(ReportText.csv(rows), terminator: "")
            case "json": print(ReportText.json(rows))
            default:
                print(ReportText.table(rows, from: start, to: end))
                print("")
                print(ReviewText.table(projects, now: now))
            }
        }
    }
}

enum ReportText {
    static func day(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        formatter.isLenient = false
        return formatter.date(from: text)
    }

    static func number(_ value: Double?) -> String {
        guard let value else { return "-" }
        return String(format: "%.1f", value)
    }

    static func percent(_ value: Double?) -> String {
        guard let value else { return "-" }
        return String(format: "%.0f%%", value * 100)
    }

    static let outcomeNames = ["award": "判归首报", "transfer": "流转", "joint": "联合招引", "distinct": "不同项目",
                               "taskforce": "专班", "reject": "驳回"]

    /// The columns, in order, with how each row fills them.
    static let columns: [(String, @Sendable (CockpitRow) -> String)] = [
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

    static func table(_ rows: [CockpitRow], from: Date, to: Date) -> String {
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

    static func csv(_ rows: [CockpitRow]) -> String {
        CSVText.render([columns.map(\.0)] + rows.map { row in columns.map { $0.1(row) } })
    }

    static func json(_ rows: [CockpitRow]) -> String {
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

/// The combined review status of every project some department was asked to review.
enum ReviewText {
    static func hours(_ seconds: TimeInterval) -> String { String(format: "%.1f", seconds / 3600) }

    static func table(_ projects: [ReviewDesk.Project], now: Date) -> String {
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
    static func csv(_ projects: [ReviewDesk.Project], now: Date) -> String {
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
        return CSVText.render(rows)
    }

    static func json(_ projects: [ReviewDesk.Project], now: Date) -> String {
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
