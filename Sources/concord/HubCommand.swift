import ArgumentParser
import ConcordConfig
import ConcordHub
import ConcordStore
import ConcordWeb
import Foundation
import Logging
import ServiceLifecycle
import ZeroMQ

struct HubCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub",
        abstract: "市级协同中心：初始化与运行 (the city hub).",
        subcommands: [Init.self, Run.self, Rekey.self]
    )

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "生成协同中心的密钥和配置文件 (create the hub's key pair and config file).",
            discussion: """
                写出配置文件（权限 600，含私钥）并打印公钥：各区县节点需要它来确认连上的是真的协同中心。

                例: concord hub init --out /etc/concord/hub.toml --bind tcp://0.0.0.0:7700 \\
                      --database-url postgres://concord@127.0.0.1:5432/concord_hub
                """
        )
        @Option(help: "配置文件路径 (config file to write).") var out: String
        @Option(help: "监听地址 (endpoint to bind).") var bind: String = "tcp://0.0.0.0:7700"
        @Option(help: "协同中心数据库 (hub database URL; a password is better set later via CONCORD_DATABASE_URL).")
        var databaseURL: String
        @Option(help: "协调人员控制台的监听地址，off 为不开控制台 (the coordinators' console address; off for none).")
        var consoleBind: String = "127.0.0.1:8700"

        func run() async throws {
            try await reportingErrors {
                _ = try DatabaseConfiguration.parse(url: databaseURL)
                let console: ConsoleAddress?
                do { console = try ConsoleAddress.parse(consoleBind) } catch { throw CLIError("BAD_ARGUMENT", "\(error)") }
                let keys = try CurveKeyPair.generate()
                let text = ConfigFile.render([
                    ("role", .string("hub")), ("bind", .string(bind)), ("database_url", .string(databaseURL)),
                ] + (console.map { [("console_bind", .string($0.description))] } ?? []) + [
                    ("secret_key", .string(keys.secretKey)),
                ], header: ["Concord hub configuration. Holds the hub's secret key: keep it mode 600.",
                            "Public key (give it to every office): \(keys.publicKey)"])
                try ConfigLoading.writeSecret(text, to: out)
                print("已写出协同中心配置 \(out)")
                print("协同中心公钥 (hub public key)：\(keys.publicKey)")
            }
        }
    }

    struct Rekey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "更换协同中心自己的密钥，新旧密钥并行一段时间 (replace the hub's own key, with an overlap).",
            discussion: """
                第一步（--bind 新地址）：生成新密钥，原密钥连同原地址记为 previous_secret_key / previous_bind，
                新密钥在新地址上服务；重启协同中心后两个地址同时可用。逐个把区县节点配置中的 hub_public_key
                和 hub_endpoint 改为新值并重启节点。全部改完后第二步（--finish）：删去旧密钥，重启协同中心。

                例: concord hub rekey --config /etc/concord/hub.toml --bind tcp://0.0.0.0:7701
                    concord hub rekey --config /etc/concord/hub.toml --finish
                """
        )
        @Option(help: "协同中心配置文件 (the hub's config file, rewritten in place).") var config: String
        @Option(help: "新密钥的监听地址，须与当前地址不同 (the new key's endpoint; not the current one).") var bind: String?
        @Flag(help: "结束换钥：删去旧密钥及其地址 (end the overlap: drop the previous key).") var finish = false

        func run() async throws {
            try await reportingErrors {
                _ = try ConfigLoading.load(config)  // exists, mode 600, parses
                // The file as written, without CONCORD_* overrides: it is the file that is rewritten.
                let text = try String(contentsOfFile: config, encoding: .utf8)
                let current = try ConfigLoading.checked {
                    try HubConfiguration.load(try ConfigLoading.checked { try ConfigFile.parse(text, environment: [:]) })
                }
                var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                func key(_ line: String) -> String? {
                    let trimmed = line.trimmingCharacters(in: .whitespaces)
                    guard !trimmed.hasPrefix("#"), let equals = trimmed.firstIndex(of: "=") else { return nil }
                    return trimmed[..<equals].trimmingCharacters(in: .whitespaces)
                }
                func render(_ key: String, _ value: String) -> String {
                    ConfigFile.render([(key, .string(value))]).trimmingCharacters(in: .newlines)
                }
                if finish {
                    guard let previous = current.previous else {
                        throw CLIError("NOT_ROTATING", "\(config) 中没有旧密钥（previous_secret_key），无需结束换钥")
                    }
                    lines.removeAll { ["previous_secret_key", "previous_bind"].contains(key($0) ?? "") }
                    try Self.replace(config, with: lines.joined(separator: "\n"))
                    print("已删去旧密钥（公钥 \(previous.keys.publicKey)，地址 \(previous.bind)）；重启协同中心后只用新密钥：")
                    print("  systemctl restart concord-hub")
                    return
                }
                guard current.previous == nil else {
                    throw CLIError("ALREADY_ROTATING", "上一次换钥尚未结束：先确认各区县都已改用新公钥，再 concord hub rekey --finish")
                }
                guard let bind, !bind.isEmpty else { throw CLIError("BAD_ARGUMENT", "需要 --bind（新密钥的监听地址）或 --finish") }
                guard bind != current.bind else {
                    throw CLIError("BAD_ARGUMENT", "--bind 须与当前地址 \(current.bind) 不同：换钥期间新旧密钥各用一个地址")
                }
                let keys = try CurveKeyPair.generate()
                lines = lines.map { line in
                    switch key(line) {
                    case "secret_key": render("secret_key", keys.secretKey)
                    case "bind": render("bind", bind)
                    default: line.hasPrefix("# Public key") ? "# Public key (give it to every office): \(keys.publicKey)" : line
                    }
                }
                if !lines.contains(where: { key($0) == "bind" }) { lines.insert(render("bind", bind), at: 0) }
                while lines.last == "" { lines.removeLast() }
                lines += ["# Previous hub key, served until `concord hub rekey --finish`.",
                          render("previous_bind", current.bind), render("previous_secret_key", current.keys.secretKey), ""]
                try Self.replace(config, with: lines.joined(separator: "\n"))
                print("已生成协同中心新密钥；重启协同中心后新旧密钥同时可用：")
                print("  新：\(bind)  公钥 \(keys.publicKey)")
                print("  旧：\(current.bind)  公钥 \(current.keys.publicKey)（直到 --finish）")
                print("各区县节点配置中改为：")
                print("  hub_public_key = \"\(keys.publicKey)\"")
                print("  hub_endpoint = \"tcp://<本机地址>:\(bind.split(separator: ":").last ?? "")\"")
            }
        }

        /// Replaces the config file whole: written beside it (mode 600, the same owner, so the
        /// service's user still reads it) and renamed over it.
        static func replace(_ path: String, with text: String) throws {
            let temporary = path + ".rekey"
            try? FileManager.default.removeItem(atPath: temporary)
            try ConfigLoading.writeSecret(text, to: temporary)
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            if let owner = attributes[.ownerAccountID] as? NSNumber, let group = attributes[.groupOwnerAccountID] as? NSNumber {
                guard chown(temporary, owner.uint32Value, group.uint32Value) == 0 else {
                    try? FileManager.default.removeItem(atPath: temporary)
                    throw CLIError("FILE_WRITE_FAILED", "无法设置 \(temporary) 的属主：\(String(cString: strerror(errno)))")
                }
            }
            guard rename(temporary, path) == 0 else {
                throw CLIError("FILE_WRITE_FAILED", "无法替换 \(path)：\(String(cString: strerror(errno)))")
            }
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "运行协同中心，直到 SIGTERM (run the hub until SIGTERM).",
            discussion: """
                启动时在时限内检查数据库、应用迁移，然后在配置的地址上接受各区县节点的 CURVE 连接。
                只接受 concord tenant add 登记过且未吊销的公钥。

                例: concord hub run --config /etc/concord/hub.toml
                """
        )
        @Option(help: "配置文件 (config file).") var config: String
        @OptionGroup var schemas: DBCommand.Schemas

        func run() async throws {
            try await reportingErrors {
                let file = try ConfigLoading.load(config)
                let configuration = try ConfigLoading.checked { try HubConfiguration.load(file) }
                let logger = CLILogging.logger("concord.hub", level: .info)
                let migrations = try Migration.load(from: try schemas.directory())
                try await Database.withDatabase(configuration.database, logger: logger) { db in
                    _ = try await Migrator(migrations: migrations, logger: logger).migrate(db)
                }
                var pool = configuration.database
                pool.applicationName = "concord-hub"
                let database = try await Database.connect(pool, logger: logger)
                let hub = HubService(configuration: configuration, database: database, logger: logger, onReady: { endpoint in
                    say("协同中心已启动 (hub listening)：\(endpoint)，公钥 \(configuration.keys.publicKey)")
                })
                var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: database), .init(service: hub)]
                if let address = configuration.metrics {
                    let registry = MetricsEndpoint.bootstrap()
                    services.append(.init(service: DeliveryMetrics(database: database, logger: logger, hub: true)))
                    services.append(.init(service: MetricsEndpoint.application(registry: registry, at: address, logger: logger)))
                    say("Prometheus 指标：http://\(address)/metrics")
                }
                if let address = configuration.console {
                    services.append(.init(service: HubConsole(configuration: configuration, client: database.client, logger: logger)
                        .application(at: address)))
                    say("市级协调台（网页控制台）：\(address.url)")
                }
                let group = ServiceGroup(configuration: .init(
                    services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
                try await group.run()
                say("协同中心已停止")
            }
        }
    }
}

