import ArgumentParser
import ConcordConfig
import ConcordHub
import ConcordNode
import ConcordStore
import ConcordWeb
import Foundation
import Logging
import PostgresNIO

/// Console users, in the database of the hub or node whose config is given.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "网页控制台的用户：创建、列出、改密码、停用 (web console users).",
        discussion: """
            用协同中心配置管理市级协调台的用户（角色 coordinator 或 viewer），用区县节点配置管理该区县工作台的用户
            （角色 officer 或 viewer）。密码用 bcrypt 保存。

            例: concord user add --config hub.toml --name city-zhang --display 张协调 --role coordinator
                printf '%s\\n' "$PASSWORD" | concord user add --config 360402.toml --name li --display 李强 --role officer --password-stdin
            """,
        subcommands: [Add.self, List.self, Passwd.self, Disable.self]
    )

    struct Target: ParsableArguments {
        @Option(help: "协同中心或区县节点的配置文件 (hub or node config).") var config: String

        /// The database and whether it is the hub's.
        func load() throws -> (DatabaseConfiguration, hub: Bool) {
            let file = try ConfigLoading.load(config)
            switch try? file.string("role") {
            case "hub": return (try ConfigLoading.checked { try HubConfiguration.load(file) }.database, true)
            case "node": return (try ConfigLoading.checked { try NodeConfiguration.load(file) }.database, false)
            default: throw CLIError("BAD_ARGUMENT", "\(config) 不是协同中心或区县节点的配置（role 应为 hub 或 node）")
            }
        }
    }

    static func readPassword(stdin: Bool) throws -> (String, generated: Bool) {
        guard stdin else { return (UserStore.generatedPassword(), true) }
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw CLIError("PASSWORD_MISSING", "--password-stdin：标准输入中没有密码")
        }
        if let problem = UserStore.passwordProblem(line) { throw CLIError("PASSWORD_WEAK", problem) }
        return (line, false)
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "创建用户；不给 --password-stdin 时生成密码并打印一次 (add a user).",
            discussion: "市级协调人员（coordinator）的用户名同时是其协调人员代码：裁决和派单以此记名，尚未登记时自动登记。"
        )
        @OptionGroup var target: Target
        @Option(help: "用户名：小写字母、数字和 . _ - (user name).") var name: String
        @Option(help: "显示名，如 李强 (display name).") var display: String
        @Option(help: "角色：协同中心 coordinator | viewer，区县节点 officer | viewer (role).") var role: String
        @Flag(help: "从标准输入读一行作为密码 (read the password from stdin).") var passwordStdin = false

        func run() async throws {
            try await reportingErrors {
                let (database, hub) = try target.load()
                guard let role = ConsoleRole(rawValue: role), ConsoleRole.roles(hub: hub).contains(role) else {
                    throw CLIError("BAD_ARGUMENT", "--role 应为 " + ConsoleRole.roles(hub: hub).map(\.rawValue).joined(separator: " 或 ")
                                   + (hub ? "（协同中心）" : "（区县节点）"))
                }
                let (password, generated) = try UserCommand.readPassword(stdin: passwordStdin)
                let logger = CLILogging.logger("concord.user")
                let (name, display) = (self.name, self.display)
                try await Database.withDatabase(database, logger: logger) { db in
                    if hub, role == .coordinator {
                        try await ensureCoordinatorTenant(name, display: display, client: db.client, logger: logger)
                    }
                    try await UserStore(client: db.client, logger: logger).add(username: name, displayName: display, role: role,
                                                                             password: password)
                    try await CLIAudit.record(db, action: "console.user.add", subject: "user:\(name)", detail: ["role": role.rawValue], logger: logger)
                }
                print("已创建用户 \(name)（\(display)，\(role.chineseName)）")
                if generated { print("初始密码（只显示这一次）：\(password)") }
            }
        }

        /// A coordinator's decisions are recorded under a coordinator tenant of the same code.
        func ensureCoordinatorTenant(_ code: String, display: String, client: PostgresClient, logger: Logger) async throws {
            let tenants = try await TenantStore.list(client: client, logger: logger)
            if let existing = tenants.first(where: { $0.id == code }) {
                guard existing.kind == .coordinator, existing.isActive else {
                    throw CLIError("USER_TENANT_CLASH", "代码 \(code) 已登记为\(existing.isActive ? existing.kind.rawValue : "已吊销的租户")，不能作为协调人员用户名")
                }
                return
            }
            try await client.query("""
                INSERT INTO tenants (id, kind, name) VALUES (\(code), 'coordinator', \(display))
                """, logger: logger)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "列出用户 (list users).",
                                                        discussion: "例: concord user list --config hub.toml")
        @OptionGroup var target: Target

        func run() async throws {
            try await reportingErrors {
                let (database, _) = try target.load()
                let logger = CLILogging.logger("concord.user")
                let users = try await Database.withDatabase(database, logger: logger) { db in
                    try await UserStore(client: db.client, logger: logger).list()
                }
                print("用户名\t显示名\t角色\t状态")
                for user in users {
                    print("\(user.username)\t\(user.displayName)\t\(user.role.rawValue)\t\(user.disabledAt == nil ? "有效" : "已停用")")
                }
                print("共 \(users.count) 个")
            }
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "重设密码并结束其所有会话 (set a new password).",
            discussion: "例: printf '%s\\n' \"$NEW\" | concord user passwd --config hub.toml city-zhang --password-stdin")
        @OptionGroup var target: Target
        @Argument(help: "用户名 (user).") var name: String
        @Flag(help: "从标准输入读一行作为密码 (read the password from stdin).") var passwordStdin = false

        func run() async throws {
            try await reportingErrors {
                let (database, _) = try target.load()
                let (password, generated) = try UserCommand.readPassword(stdin: passwordStdin)
                let logger = CLILogging.logger("concord.user")
                let name = self.name
                try await Database.withDatabase(database, logger: logger) { db in
                    try await UserStore(client: db.client, logger: logger).setPassword(username: name, password: password)
                    try await CLIAudit.record(db, action: "console.user.passwd", subject: "user:\(name)", logger: logger)
                }
                print("已重设 \(name) 的密码，其已登录的会话全部失效")
                if generated { print("新密码（只显示这一次）：\(password)") }
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "停用用户并结束其会话 (disable a user).",
                                                        discussion: "例: concord user disable --config hub.toml city-zhang")
        @OptionGroup var target: Target
        @Argument(help: "用户名 (user).") var name: String

        func run() async throws {
            try await reportingErrors {
                let (database, _) = try target.load()
                let logger = CLILogging.logger("concord.user")
                let name = self.name
                let done = try await Database.withDatabase(database, logger: logger) { db in
                    let done = try await UserStore(client: db.client, logger: logger).disable(username: name)
                    if done { try await CLIAudit.record(db, action: "console.user.disable", subject: "user:\(name)", logger: logger) }
                    return done
                }
                guard done else { throw CLIError("NOT_FOUND", "没有有效的用户 \(name)") }
                print("已停用用户 \(name)")
            }
        }
    }
}
