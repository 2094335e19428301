import ArgumentParser
import ConcordConfig
import ConcordHub
import ConcordNode
import ConcordStore
import Foundation

/// `concord config check FILE`: the same validation a daemon does at start, without starting it.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "配置文件：检查 (check a config file).",
        subcommands: [Check.self]
    )

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "按其角色检查配置文件，错误指明配置项；--connect 时再试连数据库 (validate a config file).",
            discussion: """
                与 hub run、node run、subscribe 启动时的检查相同：文件权限（含私钥，须为 600）、未知配置项、
                每项的格式与取值范围，以及 CONCORD_* 环境变量的覆盖。通过时打印其要点（数据库地址隐去密码），退出码 0；
                否则打印出错的配置项与原因，退出码 1。

                例: concord config check /etc/concord/hub.toml
                    concord config check --connect /etc/concord/360402.toml
                """
        )
        @Argument(help: "配置文件 (config file).") var file: String
        @Flag(help: "再在 5 秒内试连其数据库 (also connect to its database).") var connect = false

        func run() async throws {
            try await reportingErrors {
                let file = try ConfigLoading.load(self.file)
                let role = try ConfigLoading.checked { try file.string("role") }
                var lines: [String] = []
                var database: DatabaseConfiguration?
                switch role {
                case "hub":
                    let c = try ConfigLoading.checked { try HubConfiguration.load(file) }
                    database = c.database
                    lines = ["角色：协同中心 (hub)", "监听：\(c.bind)", "公钥：\(c.keys.publicKey)", "数据库：\(c.database.redacted)",
                             "控制台：\(c.console.map(\.url) ?? "未开启")",
                             "首报保护期：\(c.policy.windowDays) 天；派单答复 \(c.deadlines.respondHours) 小时，评估 \(c.deadlines.assessHours) 小时"]
                case "node":
                    let c = try ConfigLoading.checked { try NodeConfiguration.load(file) }
                    database = c.database
                    lines = ["角色：区县节点 (node) \(c.name)（\(c.tenant)）", "协同中心：\(c.hubEndpoint)", "公钥：\(c.keys.publicKey)",
                             "数据库：\(c.database.redacted)", "控制台：\(c.console.map(\.url) ?? "未开启")"]
                case "subscriber":
                    let c = try ConfigLoading.checked { try SubscriberConfiguration.load(file) }
                    database = c.database
                    lines = ["角色：部门订阅 (subscriber) \(c.name)（\(c.tenant)）", "协同中心：\(c.hubEndpoint)",
                             "游标：\(c.database.map { "数据库 \($0.redacted)" } ?? "文件 \(c.cursorFile ?? self.file + ".cursor")")"]
                default:
                    throw CLIError("CONFIG_INVALID", "\(self.file)：role 应为 hub、node 或 subscriber，实际为 \(role)")
                }
                if connect, var database {
                    database.startupDeadline = .seconds(5)
                    database.maximumConnections = 1
                    let logger = CLILogging.logger("concord.config")
                    try await Database.withDatabase(database, logger: logger) { _ in } as Void
                    lines.append("数据库连接正常")
                }
                for line in lines { print(line) }
                print("配置有效：\(self.file)")
            }
        }
    }
}
