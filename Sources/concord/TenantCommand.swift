import ArgumentParser
import ConcordConfig
import ConcordDomain
import ConcordHub
import ConcordStore
import Foundation
import Logging
import ZeroMQ

struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant",
        abstract: "租户（区县、部门、协调人员）与其公钥 (tenants and their keys, at the hub).",
        subcommands: [Add.self, List.self, Revoke.self, Rekey.self, Grant.self]
    )

    struct HubConfigOption: ParsableArguments {
        @Option(help: "协同中心配置文件 (the hub's config file).") var config: String

        func load() throws -> HubConfiguration {
            let file = try ConfigLoading.load(config)
            return try ConfigLoading.checked { try HubConfiguration.load(file) }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "登记租户：生成密钥对、登记公钥、写出其配置文件 (register a tenant and write its config).",
            discussion: """
                为区县节点写出节点配置（含其私钥，权限 600）：请安全地交给该区县，只交一次。

                对方自行生成密钥时（私钥不离开其机器），用 --public-key 给出其公钥（40 位 Z85 文本，或
                concord keys generate 写出的 .pub 文件）：不生成密钥对，只登记该公钥；--out 写出的是不含私钥的
                配置模板（权限 600），由持有私钥的一方把最后一行换成 secret_key = "…" 后使用。协同中心地址和公钥同时打印出来。

                例: concord tenant add --config hub.toml --kind county --code 360402 --name 濂溪区 \\
                      --hub-endpoint tcp://10.0.0.5:7700 --out 360402.toml \\
                      --node-database-url postgres://concord@127.0.0.1:5432/concord_node
                    concord tenant add --config hub.toml --kind department --code zrzy --name 自然资源局 \\
                      --hub-endpoint tcp://10.0.0.5:7700 --out zrzy.toml --public-key zrzy.pub
                """
        )
        @OptionGroup var hub: HubConfigOption
        @Option(help: "类别 county | department | coordinator.") var kind: String
        @Option(help: "代码：区县用 GB/T 2260 代码，如 360402 (tenant code).") var code: String
        @Option(help: "名称 (name), e.g. 濂溪区.") var name: String
        @Option(help: "节点连接协同中心的地址 (hub endpoint as the tenant reaches it).") var hubEndpoint: String
        @Option(help: "写出的租户配置文件 (config file to write).") var out: String
        @Option(help: "该租户自己的数据库：区县节点必需（默认 postgres://concord@127.0.0.1:5432/concord_node）；部门可选，给出时订阅游标存入其中 (the tenant's own database URL).")
        var nodeDatabaseURL: String?
        @Option(help: "区县节点控制台的监听地址，off 为不开控制台 (the node console's address; off for none).")
        var consoleBind: String = "127.0.0.1:8701"
        @Option(help: "对方自行生成的 CURVE 公钥（40 位 Z85，或 .pub 文件路径）：不生成密钥对，写出不含私钥的配置模板 (a public key generated elsewhere).")
        var publicKey: String?

        func run() async throws {
            try await reportingErrors {
                guard let kind = Tenant.Kind(rawValue: kind), kind != .hub else {
                    throw CLIError("BAD_ARGUMENT", "--kind 应为 county、department 或 coordinator")
                }
                let hubConfiguration = try hub.load()
                let logger = CLILogging.logger("concord.tenant")
                let console: ConsoleAddress?
                do { console = try ConsoleAddress.parse(consoleBind) } catch { throw CLIError("BAD_ARGUMENT", "\(error)") }
                let external = try self.publicKey.map { try Self.externalKey($0, hubKey: hubConfiguration.keys.publicKey) }
                let issued = try CoordinatorActions.tenantConfig(
                    kind: kind, code: code, name: name, hubEndpoint: hubEndpoint, hubPublicKey: hubConfiguration.keys.publicKey,
                    databaseURL: nodeDatabaseURL, consoleBind: console.map(\.description), publicKey: external)
                let (text, registered) = (issued.configText, issued.publicKey)
                // Write the file first: if registration fails, no key is registered without its owner.
                try ConfigLoading.writeSecret(text, to: out)
                do {
                    try await Database.withDatabase(hubConfiguration.database, logger: logger) { db in
                        try await TenantStore.add(id: code, kind: kind, name: name, publicKey: registered,
                                                  client: db.client, logger: logger)
                        try await CLIAudit.record(db, action: "tenant.add", subject: "tenant:\(code)",
                                                  detail: ["kind": kind.rawValue, "name": name, "public_key": registered], logger: logger)
                    }
                } catch {
                    try? FileManager.default.removeItem(atPath: out)
                    throw error
                }
                if external == nil {
                    print("已登记租户 \(code) \(name)（\(kind.rawValue)），配置已写入 \(out)（权限 600，含私钥，请安全交付）")
                    print("公钥 (public key)：\(registered)")
                } else {
                    // The key's owner completes the template; what a client of its own needs is printed too.
                    print("已登记租户 \(code) \(name)（\(kind.rawValue)）的公钥（对方自行生成，本机未生成私钥）")
                    print("配置模板已写入 \(out)（不含私钥）：请对方把最后一行换成 secret_key = \"其私钥\" 后使用，文件权限保持 600")
                    print("协同中心地址 (hub endpoint)：\(hubEndpoint)")
                    print("协同中心公钥 (hub public key)：\(hubConfiguration.keys.publicKey)")
                    print("已登记的公钥 (public key)：\(registered)")
                }
            }
        }

        /// A public key the tenant generated itself: inline or in a `.pub` file, 40 Z85 characters
        /// that decode to 32 bytes (and encode back to the same text: no 5-character group over
        /// 2^32, whichever libzmq decodes it), and not the hub's own key.
        static func externalKey(_ keyOrPath: String, hubKey: String) throws -> String {
            let key = try KeyFiles.readPublic(keyOrPath)
            guard let bytes = Z85.decode(key), bytes.count == 32, Z85.encode(bytes) == key else {
                throw CLIError("KEY_INVALID", "--public-key 不是有效的 CURVE 公钥（应为 40 位 Z85 文本，解码为 32 字节）：\(key)")
            }
            guard key != hubKey else {
                throw CLIError("KEY_INVALID", "--public-key 是协同中心自己的公钥，不能登记给租户：请使用对方生成的公钥")
            }
            return key
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "列出租户 (list tenants).",
            discussion: "例: concord tenant list --config hub.toml"
        )
        @OptionGroup var hub: HubConfigOption

        func run() async throws {
            try await reportingErrors {
                let configuration = try hub.load()
                let logger = CLILogging.logger("concord.tenant")
                let tenants = try await Database.withDatabase(configuration.database, logger: logger) { db in
                    try await TenantStore.list(client: db.client, logger: logger)
                }
                print("代码\t类别\t名称\t状态\t公钥")
                for tenant in tenants {
                    let state = tenant.isActive ? "有效" : "已吊销"
                    print("\(tenant.id)\t\(tenant.kind.rawValue)\t\(tenant.name)\t\(state)\t\(tenant.publicKey ?? "-")")
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "吊销租户的公钥：下次连接即被拒绝 (revoke a tenant's key).",
            discussion: "例: concord tenant revoke --config hub.toml 360402"
        )
        @OptionGroup var hub: HubConfigOption
        @Argument(help: "租户代码 (tenant code).") var code: String

        func run() async throws {
            try await reportingErrors {
                let configuration = try hub.load()
                let logger = CLILogging.logger("concord.tenant")
                let revoked = try await Database.withDatabase(configuration.database, logger: logger) { db in
                    let revoked = try await TenantStore.revoke(id: code, client: db.client, logger: logger)
                    if revoked {
                        try await CLIAudit.record(db, action: "tenant.revoke", subject: "tenant:\(code)", logger: logger)
                        try await refreshReviews(db, logger: logger)
                    }
                    return revoked
                }
                guard revoked else { throw CLIError("NOT_FOUND", "没有有效的租户 \(code)（不存在或已吊销）") }
                print("已吊销租户 \(code)：运行中的协同中心在 2 秒内生效，该公钥的新连接将被拒绝")
            }
        }
    }
}

extension TenantCommand {
    struct Rekey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "更换租户的密钥：生成新密钥对、替换登记的公钥、写出新配置 (rotate a tenant's key).",
            discussion: """
                旧公钥在其下次连接时即被拒绝（运行中的协同中心 2 秒内生效）；请把新配置交给对方替换旧配置并重启其服务。
                租户代码不变，其报备、通知和游标都延续。写出的配置与 tenant add 相同（含新私钥，权限 600）。

                例: concord tenant rekey --config hub.toml 360402 --hub-endpoint tcp://10.0.0.5:7700 --out 360402.toml \
                      --node-database-url postgres://concord@127.0.0.1:5432/concord_360402
                """
        )
        @OptionGroup var hub: HubConfigOption
        @Argument(help: "租户代码 (tenant code).") var code: String
        @Option(help: "节点连接协同中心的地址 (hub endpoint as the tenant reaches it).") var hubEndpoint: String
        @Option(help: "写出的新配置文件 (config file to write).") var out: String
        @Option(help: "该租户自己的数据库 (the tenant's own database URL).") var nodeDatabaseURL: String?
        @Option(help: "区县节点控制台的监听地址，off 为不开 (the node console's address).") var consoleBind: String = "127.0.0.1:8701"

        func run() async throws {
            try await reportingErrors {
                let hubConfiguration = try hub.load()
                let logger = CLILogging.logger("concord.tenant")
                let console: ConsoleAddress?
                do { console = try ConsoleAddress.parse(consoleBind) } catch { throw CLIError("BAD_ARGUMENT", "\(error)") }
                let code = self.code
                let tenants = try await Database.withDatabase(hubConfiguration.database, logger: logger) { db in
                    try await TenantStore.list(client: db.client, logger: logger)
                }
                guard let tenant = tenants.first(where: { $0.id == code && $0.isActive }), tenant.kind != .hub else {
                    throw CLIError("NOT_FOUND", "没有有效的租户 \(code)（不存在或已吊销）")
                }
                let issued = try CoordinatorActions.tenantConfig(
                    kind: tenant.kind, code: code, name: tenant.name, hubEndpoint: hubEndpoint, hubPublicKey: hubConfiguration.keys.publicKey,
                    databaseURL: nodeDatabaseURL, consoleBind: console.map(\.description))
                // The file first: if the key cannot be replaced, no key is registered without its owner.
                try ConfigLoading.writeSecret(issued.configText, to: out)
                let kind: Tenant.Kind?
                do {
                    kind = try await Database.withDatabase(hubConfiguration.database, logger: logger) { db in
                        let kind = try await TenantStore.rekey(id: code, publicKey: issued.publicKey, client: db.client, logger: logger)
                        try await CLIAudit.record(db, action: "tenant.rekey", subject: "tenant:\(code)",
                                                  detail: ["public_key": issued.publicKey], logger: logger)
                        return kind
                    }
                } catch {
                    try? FileManager.default.removeItem(atPath: out)
                    throw error
                }
                guard kind != nil else {
                    try? FileManager.default.removeItem(atPath: out)
                    throw CLIError("NOT_FOUND", "没有有效的租户 \(code)（不存在或已吊销）")
                }
                print("已更换租户 \(code) \(tenant.name) 的密钥，新配置已写入 \(out)（权限 600，含私钥，请安全交付）")
                print("新公钥 (public key)：\(issued.publicKey)；旧公钥在其下次连接时即被拒绝")
            }
        }
    }

    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "授予或收回部门订阅的事件主题 (grant or revoke feed topics).",
            discussion: """
                主题用点分隔，* 代表一个词，放在末尾时代表其后的全部：stage.signed、stage.*、conflict.decided、
                county.360402.*。变更立即生效，无需重启。不带主题时列出现有授权。

                例: concord tenant grant --config hub.toml zrzy stage.signed stage.registered dispatch.*
                    concord tenant grant --config hub.toml --revoke zrzy dispatch.*
                """
        )
        @OptionGroup var hub: HubConfigOption
        @Flag(help: "收回而不是授予 (revoke instead of grant).") var revoke = false
        @Argument(help: "部门代码 (department).") var tenant: String
        @Argument(help: "主题模式 (topic patterns).") var patterns: [String] = []

        func run() async throws {
            try await reportingErrors {
                var parsed: [TopicPattern] = []
                for text in patterns {
                    guard let pattern = TopicPattern(text) else { throw CLIError("BAD_ARGUMENT", "主题模式不合法：\(text)") }
                    parsed.append(pattern)
                }
                let configuration = try hub.load()
                let logger = CLILogging.logger("concord.tenant")
                let (tenant, revoke, chosen) = (self.tenant, self.revoke, parsed)
                let current = try await Database.withDatabase(configuration.database, logger: logger) { db -> [TopicPattern] in
                    if revoke {
                        try await GrantStore.revoke(tenant, chosen, client: db.client, logger: logger)
                    } else if !chosen.isEmpty {
                        try await GrantStore.grant(tenant, chosen, client: db.client, logger: logger)
                    }
                    if revoke || !chosen.isEmpty {
                        try await CLIAudit.record(db, action: revoke ? "grant.revoke" : "grant.add", subject: "tenant:\(tenant)",
                                                  detail: ["topics": chosen.map(\.text).joined(separator: " ")], logger: logger)
                        try await refreshReviews(db, logger: logger)
                    }
                    return try await GrantStore.patterns(for: tenant, kind: .department, client: db.client, logger: logger)
                }
                print("\(tenant) 的订阅授权：\(current.isEmpty ? "（无）" : current.map(\.text).joined(separator: " "))")
            }
        }
    }
}

/// After grants or departments change, the offices are sent the new review statuses (the running
/// hub delivers them within a second).
func refreshReviews(_ db: Database, logger: Logger) async throws {
    try await CoordinatorActions.refreshReviews(client: db.client, logger: logger)
}
