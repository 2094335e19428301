import ArgumentParser
import ConcordDomain
import ConcordHub
import ConcordStore
import ConcordWeb
import Foundation

/// Coordinators' commands, run on the hub's machine against the hub's database; the running hub
/// delivers the consequences to the offices.
struct ConflictsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts",
        abstract: "撞单：列出与查看（市级协调） (list and show conflicts).",
        subcommands: [List.self, Show.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "列出撞单，默认只列未决的 (list conflicts; open ones by default).",
            discussion: "例: concord conflicts list --config hub.toml --all --county 360402"
        )
        @OptionGroup var hub: TenantCommand.HubConfigOption
        @Flag(help: "只列未决的（默认） (open only).") var open = false
        @Flag(help: "列出全部 (all, decided too).") var all = false
        @Option(help: "只列涉及该区县的 (only those involving this county).") var county: String?

        func run() async throws {
            try await reportingErrors {
                let configuration = try hub.load()
                let logger = CLILogging.logger("concord.conflicts")
                let (openOnly, county) = (!all, self.county)
                let views = try await Database.withDatabase(configuration.database, logger: logger) { db in
                    try await ConflictDesk(logger: logger).list(openOnly: openOnly, county: county, client: db.client)
                }
                print("编号\t状态\t打开时间\t\t当事区县\t\t投资方")
                for view in views {
                    let offices = view.parties.map(\.office).joined(separator: ",")
                    let investor = view.parties.first { $0.isHolder }?.investorName ?? view.parties.first?.investorName ?? ""
                    let age = Int(Date().timeIntervalSince(view.openedAt) / 86_400)
                    print("\(view.id)\t\(ConflictText.status(view.status))\t\(LeadText.dateFormat.string(from: view.openedAt))（\(age) 天）\t\(offices)\t\(investor)")
                }
                print("共 \(views.count) 个")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "并列查看撞单双方的报备、名称比对理由和规则建议 (show a conflict side by side).",
            discussion: "例: concord conflicts show --config hub.toml 1"
        )
        @OptionGroup var hub: TenantCommand.HubConfigOption
        @Argument(help: "撞单编号 (conflict id).") var id: Int64

        func run() async throws {
            try await reportingErrors {
                let configuration = try hub.load()
                let logger = CLILogging.logger("concord.conflicts")
                let id = self.id
                let view = try await Database.withDatabase(configuration.database, logger: logger) { db in
                    try await db.client.withConnection { try await ConflictDesk(logger: logger).show(id, on: $0) }
                }
                guard let view else { throw CLIError("NOT_FOUND", "没有编号为 \(id) 的撞单") }
                print(ConflictText.render(view, policy: configuration.policy, now: Date()))
            }
        }
    }
}

struct ArbitrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arbitrate",
        abstract: "裁决撞单并通知各当事区县 (decide a conflict).",
        discussion: """
            DECISION 为：award 区县 | transfer 转出区县 转入区县 --split 50:50 --years 5 | joint 区县A,区县B --split 60:40 |
            distinct | taskforce | reject 报备编号。必须写明 --reason。已裁决的撞单只能用 --supersedes 明确取代当前裁决。
            --coordinator 须为登记的市级协调人员（tenant add --kind coordinator）；裁决连同其身份和理由记入审计链。

            例: concord arbitrate --config hub.toml --coordinator city-zhang 1 transfer 360402 360404 --split 50:50 --years 5 \\
                  --reason '柴桑区产业链更匹配，按流转办法分成'
            """
    )
    @OptionGroup var hub: TenantCommand.HubConfigOption
    @Option(help: "作出裁决的市级协调人员代码 (coordinator tenant code).") var coordinator: String
    @Argument(help: "撞单编号 (conflict id).") var id: Int64
    @Argument(help: "award | transfer | joint | distinct | taskforce | reject") var decision: String
    @Argument(help: "裁决的对象 (offices or claim).") var targets: [String] = []
    @Option(help: "分成比例，如 50:50 (split).") var split: String?
    @Option(help: "分成年限 (years of the split).") var years: Int = 5
    @Option(help: "理由 (reason, required).") var reason: String
    @Option(help: "取代的裁决编号 (the decision this one supersedes).") var supersedes: Int64?

    func parsed() throws -> ArbitrationDecision {
        switch ArbitrationDecision.parse(kind: decision, targets: targets, split: split, years: years) {
        case .success(let decision): return decision
        case .failure(let error): throw CLIError("BAD_ARGUMENT", error.message)
        }
    }

    func run() async throws {
        try await reportingErrors {
            let configuration = try hub.load()
            let decision = try parsed()
            let logger = CLILogging.logger("concord.arbitrate")
            let (id, coordinator, reason, supersedes) = (self.id, self.coordinator, self.reason, self.supersedes)
            let policy = configuration.policy
            let (decisionID, notices) = try await Database.withDatabase(configuration.database, logger: logger) { db in
                let ruled = try await CoordinatorActions.arbitrate(conflictID: id, decision: decision, reason: reason, coordinator: coordinator,
                                                                   supersedes: supersedes, policy: policy, client: db.client, logger: logger)
                // The decision's audit row names the coordinator given; this one who ran the command.
                try await CLIAudit.record(db, action: "cli.arbitrate", subject: "decision:\(ruled.0)",
                                          detail: ["coordinator": coordinator, "conflict": "\(id)"], logger: logger)
                return ruled
            }
            print("已裁决撞单 \(id)：#\(decisionID) \(decision.chineseName)——\(decision.summary)")
            for office in Set(notices.map(\.office)).sorted() {
                print("  已通知 \(office)（由运行中的协同中心送达）")
            }
        }
    }
}
