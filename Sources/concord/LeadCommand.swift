import ArgumentParser
import ConcordDomain
import ConcordHub
import ConcordNode
import ConcordProtocol
import ConcordStore
import ConcordWeb
import Foundation

struct LeadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lead",
        abstract: "本区县的招商线索：报备、列表、查看、变更阶段 (the office's leads).",
        subcommands: [Add.self, List.self, Show.self, Stage.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "报备线索，或用 --csv 批量导入 (file a lead, or a CSV batch).",
            discussion: """
                线索先存入本区县数据库并进入待上报队列，由 concord node run 送到协同中心；协同中心断开时照常报备。
                --csv 文件第一行为列名（investor_name 必填；其余可选：credit_code project_name industry
                industry_chain investment_wan fixed_asset_wan land_mu energy_tce environment_note
                expected_output_wan expected_tax_wan referrer officer first_contact stage notes），逐行报告；
                任何一行有误则全部不导入。

                例: concord lead add --config 360402.toml --investor '观途（上海）新能源科技有限公司' \\
                      --code 91110000600037341L --project 储能电池项目 --industry 新能源 --investment 300000
                    concord lead add --config 360402.toml --csv leads.csv
                """
        )
        @OptionGroup var node: NodeConfigOption
        @Option(help: "投资方名称 (investor).") var investor: String?
        @Option(help: "统一社会信用代码 (credit code).") var code: String?
        @Option(help: "项目名称 (project).") var project: String?
        @Option(help: "行业 (industry).") var industry: String?
        @Option(help: "产业链 (industry chain).") var chain: String?
        @Option(help: "总投资，万元 (total investment).") var investment: Double?
        @Option(help: "固定资产投资，万元.") var fixedAsset: Double?
        @Option(help: "用地，亩 (land, mu).") var landMu: Double?
        @Option(help: "能耗，吨标煤 (energy).") var energy: Double?
        @Option(help: "环境容量说明 (environmental capacity).") var environment: String?
        @Option(help: "预计年产值，万元.") var output: Double?
        @Option(help: "预计年税收，万元.") var tax: Double?
        @Option(help: "引荐人 (referrer).") var referrer: String?
        @Option(help: "经办人 (officer).") var officer: String?
        @Option(help: "首次接触日期 YYYY-MM-DD.") var firstContact: String?
        @Option(help: "阶段 (stage): 线索 洽谈 签约 注册 建设.") var stage: String = "线索"
        @Option(help: "备注 (notes).") var notes: String?
        @Option(help: "批量导入的 CSV 文件 (UTF-8).") var csv: String?
        @Flag(help: "报备市级线索（用协同中心配置），待派给区县 (a city-level lead, filed at the hub).") var city = false
        @Option(help: "市级线索的环境容量需求 (environmental capacity the project needs).") var environmentNeed: Double?

        func run() async throws {
            try await reportingErrors {
                if city { return try await fileCityLead() }
                let leads: [NewLead]
                if let csv {
                    guard investor == nil else { throw CLIError("BAD_ARGUMENT", "--csv 与 --investor 不能同时使用") }
                    leads = try CSVImport.read(csv)
                } else {
                    guard let investor else { throw CLIError("BAD_ARGUMENT", "需要 --investor，或用 --csv 批量导入") }
                    guard let parsedStage = LeadStage(text: stage) else { throw CLIError("BAD_ARGUMENT", "未知的阶段：\(stage)") }
                    var lead = NewLead(investorName: investor, stage: parsedStage)
                    (lead.creditCode, lead.projectName, lead.industry, lead.industryChain) = (code, project, industry, chain)
                    (lead.investmentWan, lead.fixedAssetWan, lead.landMu, lead.energyTce) = (investment, fixedAsset, landMu, energy)
                    (lead.environmentNote, lead.expectedOutputWan, lead.expectedTaxWan) = (environment, output, tax)
                    (lead.referrer, lead.officer, lead.firstContact, lead.notes) = (referrer, officer, firstContact, notes)
                    let problems = lead.problems()
                    guard problems.isEmpty else { throw CLIError("LEAD_INVALID", problems.joined(separator: "；")) }
                    leads = [lead]
                }
                let ids = try await node.withLeadBook { book, _ in try await book.add(leads) }
                for (lead, id) in zip(leads, ids) {
                    var line = "已报备 \(id.uuidString.lowercased().prefix(8))  \(lead.investorName)"
                    if let code = lead.creditCode, let problem = CreditCode.parse(code).problem {
                        line += "\n    提醒：信用代码 \(problem.code) \(problem.explanation)"
                    }
                    print(line)
                }
                print("共 \(ids.count) 条，已进入待上报队列；由 concord node run 送往协同中心")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "列出线索及协同中心的裁定；用协同中心配置时列出市级线索 (list leads).",
            discussion: "例: concord lead list --config 360402.toml"
        )
        @OptionGroup var node: NodeConfigOption

        func run() async throws {
            try await reportingErrors {
                if (try? ConfigLoading.load(node.config).string("role")) == "hub" {
                    return try await listCityLeads(config: node.config)
                }
                let (leads, link, waiting) = try await node.withLeadBook { book, _ in
                    (try await book.list(), try await book.link(), try await book.waiting())
                }
                print(LeadText.linkLine(link, waiting: waiting))
                print("编号\t\t阶段\t协同状态\t投资方")
                for lead in leads {
                    print("\(lead.id.uuidString.lowercased().prefix(8))\t\(lead.stage.chineseName)\t\(LeadText.claim(lead))\t\(lead.investorName)")
                }
                print("共 \(leads.count) 条")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "查看一条线索：报备信息、阶段历史、协同中心的裁定 (show a lead).",
            discussion: "例: concord lead show --config 360402.toml 7d2c1e9e"
        )
        @OptionGroup var node: NodeConfigOption
        @Argument(help: "线索编号或前缀 (lead id or prefix).") var id: String

        func run() async throws {
            try await reportingErrors {
                let id = self.id
                let (lead, opinions, reviews) = try await node.withLeadBook { book, _ in
                    let lead = try await book.find(id)
                    return (lead, try await book.opinions(lead.id), try await book.reviews(lead.id))
                }
                print(LeadText.detail(lead))
                let now = Date()
                let (answered, pending) = ReviewStatus.counts(reviews)
                print("联审进度：" + (reviews.isEmpty ? "尚无审批部门收到该项目" : "已答复 \(answered) 个部门，待答复 \(pending) 个"))
                for entry in reviews { print("  " + ReviewStatus.describe(entry, now: now)) }
                print("审批部门意见：\(opinions.isEmpty ? "暂无" : "\(opinions.count) 条")")
                for opinion in opinions {
                    let verdict = OpinionVerdict(rawValue: opinion.verdict)?.chineseName ?? opinion.verdict
                    print("  \(LeadText.dateFormat.string(from: opinion.at)) \(opinion.department)：\(verdict)——\(opinion.text)"
                          + (opinion.conditions.map { "（条件：\($0)）" } ?? ""))
                }
            }
        }
    }

    struct Stage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "变更线索阶段并上报 (move a lead to another stage).",
            discussion: """
                阶段只能逐级前进（线索→洽谈→签约→注册→建设→投产），或在投产前终止。

                例: concord lead stage --config 360402.toml 7d2c1e9e 洽谈
                """
        )
        @OptionGroup var node: NodeConfigOption
        @Argument(help: "线索编号或前缀 (lead id or prefix).") var id: String
        @Argument(help: "新阶段 (stage): 洽谈 签约 注册 建设 投产 终止.") var stage: String

        func run() async throws {
            try await reportingErrors {
                guard let target = LeadStage(text: stage) else { throw CLIError("BAD_ARGUMENT", "未知的阶段：\(stage)") }
                let id = self.id
                let (lead, previous) = try await node.withLeadBook { book, _ in try await book.changeStage(id, to: target) }
                print("线索 \(lead.id.uuidString.lowercased().prefix(8)) 阶段：\(previous.chineseName) → \(lead.stage.chineseName)，已进入待上报队列")
            }
        }
    }
}

extension LeadCommand.Add {
    /// `lead add --city`: a city-level lead at the hub, waiting in the pool for dispatch.
    func fileCityLead() async throws {
        guard let investor else { throw CLIError("BAD_ARGUMENT", "需要 --investor") }
        let file = try ConfigLoading.load(node.config)
        let configuration = try ConfigLoading.checked { try HubConfiguration.load(file) }
        let logger = CLILogging.logger("concord.dispatch")
        let (code, project, industry, chain, investment, landMu, energy, environment) =
            (self.code, self.project, self.industry, self.chain, self.investment, self.landMu, self.energy, self.environmentNeed)
        let officer = self.officer ?? "city"
        let id = try await Database.withDatabase(configuration.database, logger: logger) { db in
            let id = try await DispatchDesk(logger: logger).addCityLead(
                investorName: investor, creditCode: code, projectName: project, industry: industry, chain: chain,
                investmentWan: investment, landMu: landMu, energyTce: energy, environment: environment,
                filedBy: officer, now: Date(), client: db.client)
            try await CLIAudit.record(db, action: "city_lead.add", subject: "city_lead:\(id.uuidString.lowercased())",
                                      detail: ["investor_name": investor, "filed_by": officer], logger: logger)
            return id
        }
        print("已报备市级线索 \(id.uuidString.lowercased().prefix(8))  \(investor)，待派单（concord recommend / concord assign）")
    }
}

extension LeadCommand.List {
    func listCityLeads(config: String) async throws {
        let file = try ConfigLoading.load(config)
        let configuration = try ConfigLoading.checked { try HubConfiguration.load(file) }
        let logger = CLILogging.logger("concord.dispatch")
        let leads = try await Database.withDatabase(configuration.database, logger: logger) { db in
            try await DispatchDesk(logger: logger).cityLeads(client: db.client)
        }
        print("编号\t\t状态\t投资方")
        for lead in leads {
            let status = ["pool": "待派", "offered": "已派待答复", "accepted": "区县已接受"][lead.status] ?? lead.status
            print("\(lead.id.uuidString.lowercased().prefix(8))\t\(status)\t\(lead.investorName)")
        }
        print("共 \(leads.count) 条市级线索")
    }
}
