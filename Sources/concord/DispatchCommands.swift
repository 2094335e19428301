import ArgumentParser
import ConcordConfig
import ConcordDomain
import ConcordHub
import ConcordNode
import ConcordStore
import ConcordWeb
import Foundation

struct CountyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "county",
        abstract: "区县画像：主导产业、产业链、可用地、能耗与环境容量 (county profiles for dispatch).",
        subcommands: [Profile.self]
    )

    struct Profile: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "设置或查看区县画像 (set or show county profiles).",
            subcommands: [Set.self, Show.self]
        )

        struct Set: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "设置一个区县的画像，或从 CSV 文件批量载入 (set a profile, or load a CSV).",
                discussion: """
                    CSV 列：county,industries,chains,land,energy_tce,environment,tags；列表用分号分隔，
                    用地写作 园区=亩（如 城西工业园=600;港口园=200）。

                    例: concord county profile set --config hub.toml --county 360404 --industries 新能源,装备制造 \\
                          --chains 锂电池 --land 城西工业园=600 --land 港口园=200 --energy 50000 --environment 400
                        concord county profile set --config hub.toml --file profiles.csv
                    """
            )
            @OptionGroup var hub: TenantCommand.HubConfigOption
            @Option(help: "区县代码 (county).") var county: String?
            @Option(help: "主导产业，逗号分隔 (industries).") var industries: String = ""
            @Option(help: "产业链，逗号分隔 (chains).") var chains: String = ""
            @Option(help: "园区=可用地亩数，可重复 (park=mu).") var land: [String] = []
            @Option(help: "能耗指标余量，吨标煤 (energy headroom).") var energy: Double = 0
            @Option(help: "环境容量余量 (environmental headroom).") var environment: Double = 0
            @Option(help: "政策标签，逗号分隔 (policy tags).") var tags: String = ""
            @Option(help: "CSV 文件 (load many).") var file: String?

            func run() async throws {
                try await reportingErrors {
                    let profiles: [CountyProfile]
                    if let file {
                        profiles = try ProfileFile.read(file)
                    } else {
                        guard let county else { throw CLIError("BAD_ARGUMENT", "需要 --county，或用 --file 批量载入") }
                        profiles = [CountyProfile(county: county, industries: list(industries, ","), chains: list(chains, ","),
                                                  landByPark: try ProfileFile.parks(land), energyTce: energy, environment: environment,
                                                  policyTags: list(tags, ","))]
                    }
                    let configuration = try hub.load()
                    let logger = CLILogging.logger("concord.county")
                    try await Database.withDatabase(configuration.database, logger: logger) { db in
                        for profile in profiles {
                            try await DispatchDesk(logger: logger).setProfile(profile, client: db.client)
                            try await CLIAudit.record(db, action: "county.profile", subject: "tenant:\(profile.county)", logger: logger)
                        }
                    } as Void
                    print("已设置 \(profiles.count) 个区县画像：\(profiles.map(\.county).joined(separator: "、"))")
                }
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "查看区县画像 (show profiles).",
                discussion: "例: concord county profile show --config hub.toml"
            )
            @OptionGroup var hub: TenantCommand.HubConfigOption

            func run() async throws {
                try await reportingErrors {
                    let configuration = try hub.load()
                    let logger = CLILogging.logger("concord.county")
                    let profiles = try await Database.withDatabase(configuration.database, logger: logger) { db in
                        try await DispatchDesk(logger: logger).profiles(client: db.client)
                    }
                    for p in profiles {
                        let land = p.landByPark.sorted { $0.key < $1.key }.map { "\($0.key) \(DispatchScoring.format($0.value)) 亩" }
                        print("\(p.county)  主导产业：\(p.industries.joined(separator: "、"))  产业链：\(p.chains.joined(separator: "、"))")
                        print("        可用地：\(land.joined(separator: "，"))  能耗余量：\(DispatchScoring.format(p.energyTce)) 吨标煤  环境容量余量：\(DispatchScoring.format(p.environment))  标签：\(p.policyTags.joined(separator: "、"))")
                    }
                }
            }
        }
    }
}

func list(_ text: String, _ separator: Character) -> [String] {
    text.split(separator: separator).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

enum ProfileFile {
    static func parks(_ entries: [String]) throws -> [String: Double] {
        var parks: [String: Double] = [:]
        for entry in entries {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, let mu = Double(parts[1]), mu >= 0 else {
                throw CLIError("BAD_ARGUMENT", "用地应写作 园区=亩数：\(entry)")
            }
            parks[parts[0]] = mu
        }
        return parks
    }

    static func read(_ path: String) throws -> [CountyProfile] {
        guard let data = FileManager.default.contents(atPath: path), var text = String(data: data, encoding: .utf8) else {
            throw CLIError("FILE_NOT_FOUND", "无法读取 UTF-8 文件：\(path)")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let rows = CSVText.rows(text)
        guard let header = rows.first?.map({ $0.trimmingCharacters(in: .whitespaces) }),
              header == ["county", "industries", "chains", "land", "energy_tce", "environment", "tags"] else {
            throw CLIError("CSV_COLUMN", "表头应为 county,industries,chains,land,energy_tce,environment,tags")
        }
        var profiles: [CountyProfile] = []
        for (index, row) in rows.dropFirst().enumerated() where !(row.count == 1 && row[0].isEmpty) {
            guard row.count == header.count, let energy = Double(row[4].isEmpty ? "0" : row[4]),
                  let environment = Double(row[5].isEmpty ? "0" : row[5]) else {
                throw CLIError("CSV_ROW", "第 \(index + 2) 行格式不对")
            }
            profiles.append(CountyProfile(county: row[0], industries: list(row[1], ";"), chains: list(row[2], ";"),
                                          landByPark: try parks(list(row[3], ";")), energyTce: energy, environment: environment,
                                          policyTags: list(row[6], ";")))
        }
        return profiles
    }
}

struct RecommendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommend",
        abstract: "为市级线索给各区县打分排序，并说明每一项加减分 (rank counties for a city lead).",
        discussion: "例: concord recommend --config hub.toml 0b7e3c5a"
    )
    @OptionGroup var hub: TenantCommand.HubConfigOption
    @Argument(help: "市级线索编号或前缀 (city lead).") var lead: String

    func run() async throws {
        try await reportingErrors {
            let configuration = try hub.load()
            let logger = CLILogging.logger("concord.dispatch")
            let id = self.lead
            let (lead, advice) = try await Database.withDatabase(configuration.database, logger: logger) { db in
                let desk = DispatchDesk(logger: logger)
                let lead = try await desk.cityLead(id, client: db.client)
                return (lead, try await desk.advise(lead, client: db.client))
            }
            let ranked = advice.ranked
            let land: String = lead.landMu.map { DispatchScoring.format($0) } ?? "-"
            let energy: String = lead.energyTce.map { DispatchScoring.format($0) } ?? "-"
            let head: String = "市级线索 \(lead.id.uuidString.lowercased().prefix(8))  \(lead.investorName)"
            print(head + "  行业：\(lead.industry ?? "-")  产业链：\(lead.chain ?? "-")  用地：\(land) 亩  能耗：\(energy) 吨标煤")
            if advice.pursuits.isEmpty {
                print("登记簿中没有区县在跟进该企业")
            }
            for pursuit in advice.pursuits {
                let role = pursuit.isHolder ? "占有方" : pursuit.sameEnterprise ? "同一企业" : "疑似同一企业"
                print("在跟进：\(pursuit.office)  \(role)  \(pursuit.state.label)  首报 \(LeadText.dateFormat.string(from: pursuit.receivedAt))"
                      + (pursuit.reasons.isEmpty ? "" : "  理由：" + pursuit.reasons.joined(separator: "；")))
            }
            if let holder = advice.holder {
                print("该企业由 \(holder.office) 跟进（首报首谈）：应派给该区县；派给其他区县须 --override 理由，接受后记为流转裁决 [ENTERPRISE_PURSUED]")
            } else if advice.preferred == nil, !ranked.isEmpty {
                print("没有区县达到最低匹配（推荐分 ≥ \(DispatchScoring.format(DispatchScoring.minimumScore))，且主导产业与线索行业相符），不标首选 [NO_COUNTY_FITS]")
            }
            for (rank, county) in ranked.enumerated() {
                let top = county.county == advice.preferred ? "  【首选】" : ""
                print("\(rank + 1). \(county.county)  推荐分 \(DispatchScoring.format(county.score))\(top)" + (county.pursuit.map { "  \($0)" } ?? ""))
                for factor in county.factors {
                    let sign: String = factor.points >= 0 ? "+" : ""
                    print("     " + sign + DispatchScoring.format(factor.points) + "  " + factor.explanation)
                }
            }
            if ranked.isEmpty { print("还没有区县画像：请先用 concord county profile set 设置") }
        }
    }
}

struct AssignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assign",
        abstract: "把市级线索派给区县，附推荐理由和答复期限 (dispatch a city lead to a county).",
        discussion: """
            例: concord assign --config hub.toml --coordinator city-zhang 0b7e3c5a 360404 --note '请 3 日内完成评估'
            该企业已有区县在跟进时，只能派给该区县；确需改派须加 --override '理由'（区县接受后记为流转裁决，通知双方）。
            """
    )
    @OptionGroup var hub: TenantCommand.HubConfigOption
    @Option(help: "派单的市级协调人员 (coordinator).") var coordinator: String
    @Argument(help: "市级线索编号或前缀 (city lead).") var lead: String
    @Argument(help: "区县代码 (county).") var county: String
    @Option(help: "附言 (note).") var note: String?
    @Option(help: "改派理由：该企业已有其他区县在跟进时必填；区县接受后记为流转裁决 (override reason when another office pursues the enterprise).")
    var override: String?

    func run() async throws {
        try await reportingErrors {
            let configuration = try hub.load()
            let logger = CLILogging.logger("concord.dispatch")
            let (id, county, note, coordinator, override) = (self.lead, self.county, self.note, self.coordinator, self.override)
            let (deadlines, policy) = (configuration.deadlines, configuration.policy)
            let assignment = try await Database.withDatabase(configuration.database, logger: logger) { db in
                let assignment = try await CoordinatorActions.assign(lead: id, to: county, note: note, coordinator: coordinator, override: override,
                                                                     policy: policy, deadlines: deadlines, client: db.client, logger: logger)
                // The assignment's own audit row names the coordinator given; this one who ran the command.
                try await CLIAudit.record(db, action: "cli.assign", subject: "assignment:\(assignment.id)",
                                          detail: ["coordinator": coordinator, "county": county], logger: logger)
                return assignment
            }
            print("已派单 #\(assignment.id)：\(assignment.investorName) → \(county)；"
                  + "须于 \(LeadText.dateFormat.string(from: assignment.respondBy)) 前答复，\(LeadText.dateFormat.string(from: assignment.assessBy)) 前完成评估")
        }
    }
}

struct AssignmentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assignment",
        abstract: "市级派单：查看（协同中心或区县）、接受、拒绝 (city dispatches: list, accept, decline).",
        subcommands: [List.self, Accept.self, Decline.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "列出派单与期限；逾期未答复的标出 (list assignments; overdue ones flagged).",
            discussion: "用协同中心配置查看全部，用区县节点配置查看本区县收到的。例: concord assignment list --config 360404.toml"
        )
        @Option(help: "协同中心或节点配置文件 (hub or node config).") var config: String

        func run() async throws {
            try await reportingErrors {
                let file = try ConfigLoading.load(config)
                let logger = CLILogging.logger("concord.dispatch")
                let now = Date()
                func flag(_ overdue: Bool) -> String { overdue ? "【逾期未答复】" : "" }
                if (try? file.string("role")) == "hub" {
                    let configuration = try ConfigLoading.checked { try HubConfiguration.load(file) }
                    let views = try await Database.withDatabase(configuration.database, logger: logger) { db in
                        try await DispatchDesk(logger: logger).assignments(county: nil, client: db.client)
                    }
                    for a in views {
                        print("#\(a.id)  \(a.county)  \(AssignmentText.status(a.status))\(flag(a.isOverdue(now: now)))  \(a.investorName)"
                              + "  答复期限 \(LeadText.dateFormat.string(from: a.respondBy))" + (a.reason.map { "  理由：\($0)" } ?? ""))
                    }
                    print("共 \(views.count) 个，逾期 \(views.filter { $0.isOverdue(now: now) }.count) 个")
                } else {
                    let configuration = try ConfigLoading.checked { try NodeConfiguration.load(file) }
                    let offers = try await Database.withDatabase(configuration.database, logger: logger) { db in
                        try await AssignmentBook(client: db.client, logger: logger).list()
                    }
                    for o in offers {
                        print("#\(o.id)  \(AssignmentText.status(o.status))\(flag(o.isOverdue(now: now)))  \(o.investorName)  \(o.projectName ?? "")"
                              + "  答复期限 \(LeadText.dateFormat.string(from: o.respondBy))  评估期限 \(LeadText.dateFormat.string(from: o.assessBy))")
                        if let explanation = o.explanation { print("     推荐理由：\(explanation)") }
                        if let note = o.note { print("     附言：\(note)") }
                    }
                    print("共 \(offers.count) 个，逾期未答复 \(offers.filter { $0.isOverdue(now: now) }.count) 个")
                }
            }
        }
    }

    struct Accept: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "接受派单：转为本区县受保护的线索并上报 (accept: it becomes this office's protected claim).",
            discussion: "例: concord assignment accept --config 360404.toml 1 --officer 李强"
        )
        @OptionGroup var node: NodeConfigOption
        @Argument(help: "派单编号 (assignment id).") var id: Int64
        @Option(help: "经办人 (officer).") var officer: String?

        func run() async throws {
            try await reportingErrors {
                let (id, officer) = (self.id, self.officer)
                let leadID = try await node.withLeadBook { book, _ in
                    try await AssignmentBook(client: book.client, logger: book.logger).answer(id, accept: true, reason: nil, officer: officer)
                }
                print("已接受派单 #\(id)，已建立线索 \(leadID.map { String($0.uuidString.lowercased().prefix(8)) } ?? "-")，随答复一起上报协同中心")
            }
        }
    }

    struct Decline: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "拒绝派单并说明理由：线索退回市级待派 (decline with a reason).",
            discussion: "例: concord assignment decline --config 360404.toml 1 --reason '园区用地已规划给其他项目'"
        )
        @OptionGroup var node: NodeConfigOption
        @Argument(help: "派单编号 (assignment id).") var id: Int64
        @Option(help: "理由 (reason, required).") var reason: String

        func run() async throws {
            try await reportingErrors {
                let (id, reason) = (self.id, self.reason)
                _ = try await node.withLeadBook { book, _ in
                    try await AssignmentBook(client: book.client, logger: book.logger).answer(id, accept: false, reason: reason, officer: nil)
                }
                print("已拒绝派单 #\(id)，理由已上报协同中心，线索退回市级待派")
            }
        }
    }
}
