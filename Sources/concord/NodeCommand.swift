import ArgumentParser
import ConcordConfig
import ConcordNode
import ConcordStore
import ConcordWeb
import Foundation
import ServiceLifecycle

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "区县节点：运行与上报 (the county node).",
        subcommands: [Run.self]
    )

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "运行区县节点，直到 SIGTERM (run the node until SIGTERM).",
            discussion: """
                把本机数据库中待上报的线索和阶段变更按序送到协同中心，重发直到确认；把协同中心的裁定（占有、
                撞单、疑似重复）写回本地线索。协同中心或网络中断时照常工作，恢复后自动补报。

                例: concord node run --config /etc/concord/360402.toml
                """
        )
        @Option(help: "节点配置文件 (node config file).") var config: String
        @OptionGroup var schemas: DBCommand.Schemas

        func run() async throws {
            try await reportingErrors {
                let file = try ConfigLoading.load(config)
                let configuration = try ConfigLoading.checked { try NodeConfiguration.load(file) }
                let logger = CLILogging.logger("concord.node", level: .info)
                let migrations = try Migration.load(from: try schemas.directory())
                try await Database.withDatabase(configuration.database, logger: logger) { db in
                    _ = try await Migrator(migrations: migrations, logger: logger).migrate(db)
                }
                var pool = configuration.database
                pool.applicationName = "concord-node"
                let database = try await Database.connect(pool, logger: logger)
                let node = NodeService(configuration: configuration, database: database, logger: logger)
                say("区县节点 \(configuration.name)（\(configuration.tenant)）已启动，协同中心 \(configuration.hubEndpoint)")
                var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: database), .init(service: node)]
                if let address = configuration.metrics {
                    let registry = MetricsEndpoint.bootstrap()
                    services.append(.init(service: DeliveryMetrics(database: database, logger: logger, hub: false)))
                    services.append(.init(service: MetricsEndpoint.application(registry: registry, at: address, logger: logger)))
                    say("Prometheus 指标：http://\(address)/metrics")
                }
                if let address = configuration.console {
                    services.append(.init(service: NodeConsole(configuration: configuration, client: database.client, logger: logger)
                        .application(at: address)))
                    say("区县工作台（网页控制台）：\(address.url)")
                }
                let group = ServiceGroup(configuration: .init(
                    services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
                try await group.run()
                say("区县节点已停止")
            }
        }
    }
}

/// Opens the node's database for an officer's command.
struct NodeConfigOption: ParsableArguments {
    @Option(help: "节点配置文件 (node config file).") var config: String

    func load() throws -> NodeConfiguration {
        let file = try ConfigLoading.load(config)
        return try ConfigLoading.checked { try NodeConfiguration.load(file) }
    }

    func withLeadBook<T: Sendable>(_ body: @escaping @Sendable (LeadBook, NodeConfiguration) async throws -> T) async throws -> T {
        let configuration = try load()
        let logger = CLILogging.logger("concord.lead")
        var database = configuration.database
        database.startupDeadline = .seconds(5)
        return try await Database.withDatabase(database, logger: logger) { db in
            try await body(LeadBook(client: db.client, logger: logger), configuration)
        }
    }
}
