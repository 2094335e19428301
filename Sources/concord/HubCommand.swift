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
        subcommands: [Init.self, Run.self]
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
                let database = try await Database.connect(configuration.database, logger: logger)
                let hub = HubService(configuration: configuration, database: database, logger: logger, onReady: { endpoint in
                    say("协同中心已启动 (hub listening)：\(endpoint)，公钥 \(configuration.keys.publicKey)")
                })
                var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: database), .init(service: hub)]
                if let address = configuration.metrics {
                    let registry = MetricsEndpoint.bootstrap()
                    services.append(.init(service: DeliveryMetrics(client: database.client, logger: logger, hub: true)))
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

