import ArgumentParser
import ConcordDomain
import ConcordHub
import ConcordProtocol
import ConcordStore
import ConcordWeb
import Foundation

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "招商驾驶舱：各区县与合计的企业数、报备、流转、联合招引、转化、时长、派单、撞单与查询指标 (the cockpit report).",
        discussion: """
            每家企业只计一次，计入当前持有它的区县；撞单中等待裁决、已判给他区县或已流转出的报备不重复计数。
            各指标的口径附在表格输出末尾（「口径说明」；代码中集中定义于 Cockpit）。日期为北京时间 YYYY-MM-DD，
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
