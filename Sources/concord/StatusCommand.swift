import ArgumentParser
import ConcordConfig
import ConcordHub
import ConcordNode
import ConcordStore
import ConcordWeb
import Foundation
import PostgresNIO

/// `concord status`: link and delivery state from the daemon's own database, without asking it.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "链路与投递状态：连接、待确认、已确认与已应用的序号、各对端的滞后 (link and delivery state).",
        discussion: """
            读取该协同中心或区县节点自己的数据库（不需要守护进程应答）。区县节点：与协同中心的连接、发出待确认的条数与
            最早一条的时长、双方已确认与已应用的序号。协同中心：事件日志的最新序号、未决撞单、逾期派单，以及每个对端的
            同样数字。有待确认超过 5 分钟的消息时退出码 3，便于监控脚本。

            例: concord status --config /etc/concord/360402.toml
                concord status --config /etc/concord/hub.toml
            """
    )
    @Option(help: "协同中心或区县节点的配置文件 (hub or node config).") var config: String

    func run() async throws {
        try await reportingErrors {
            let file = try ConfigLoading.load(config)
            let logger = CLILogging.logger("concord.status")
            let stale: Bool
            switch try? file.string("role") {
            case "node":
                let configuration = try ConfigLoading.checked { try NodeConfiguration.load(file) }
                var database = configuration.database
                database.startupDeadline = .seconds(5)
                stale = try await Database.withDatabase(database, logger: logger) { db in
                    let book = LeadBook(client: db.client, logger: logger)
                    let link = try await book.link()
                    let peers = try await PeerDelivery.all(client: db.client, logger: logger)
                    let hub = peers.first { $0.peer == LeadBook.hubPeer }
                    print("区县节点 \(configuration.name)（\(configuration.tenant)），协同中心 \(configuration.hubEndpoint)")
                    print(LeadText.linkLine(link, waiting: (hub?.waiting ?? 0, hub?.oldestWaitingSeconds ?? 0)))
                    if let heard = link?.lastHeard { print("最后收到协同中心的消息：\(LeadText.dateFormat.string(from: heard))") }
                    print("发往协同中心：已确认至 #\(hub?.ackedThrough ?? 0)，待确认 \(hub?.waiting ?? 0) 条"
                          + (hub?.oldestWaitingSeconds.map { "（最早 \(Int($0)) 秒前）" } ?? ""))
                    print("收自协同中心：已应用至 #\(hub?.appliedThrough ?? 0)"
                          + (hub?.lastAppliedAt.map { "（\(LeadText.dateFormat.string(from: $0))）" } ?? ""))
                    return (hub?.oldestWaitingSeconds ?? 0) > 300
                }
            case "hub":
                let configuration = try ConfigLoading.checked { try HubConfiguration.load(file) }
                var database = configuration.database
                database.startupDeadline = .seconds(5)
                stale = try await Database.withDatabase(database, logger: logger) { db in
                    func count(_ sql: String) async throws -> Int64 {
                        let rows = try await db.client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
                        for try await value in rows.decode(Int64.self) { return value }
                        return 0
                    }
                    let head = try await count("SELECT coalesce(max(seq), 0)::int8 FROM events")
                    let open = try await count("SELECT count(*)::int8 FROM conflicts WHERE status = 'open'")
                    let overdue = try await count("SELECT count(*)::int8 FROM assignments WHERE status = 'offered' AND respond_by < now()")
                    let tenants = try await TenantStore.list(client: db.client, logger: logger)
                    let peers = try await PeerDelivery.all(client: db.client, logger: logger)
                    print("协同中心 \(configuration.bind)：事件日志至 #\(head)，未决撞单 \(open) 个，逾期未答复的派单 \(overdue) 个")
                    print("对端\t名称\t待确认\t最早(秒)\t对端已确认至\t已应用其消息至\t最后收到其消息")
                    for tenant in tenants where tenant.kind == .county || tenant.kind == .department {
                        let p = peers.first { $0.peer == tenant.id }
                        let state = tenant.isActive ? "" : "（已吊销）"
                        print("\(tenant.id)\t\(tenant.name)\(state)\t\(p?.waiting ?? 0)\t\(p?.oldestWaitingSeconds.map { String(Int($0)) } ?? "-")"
                              + "\t#\(p?.ackedThrough ?? 0)\t#\(p?.appliedThrough ?? 0)\t\(p?.lastAppliedAt.map { LeadText.dateFormat.string(from: $0) } ?? "-")")
                    }
                    let readers = try await FeedPosition.all(client: db.client, logger: logger)
                    if !readers.isEmpty {
                        print("订阅方\t名称\t已读至\t落后(条)\t最后一次读取")
                        for reader in readers {
                            let name = tenants.first { $0.id == reader.tenant }?.name ?? "-"
                            print("\(reader.tenant)\t\(name)\t#\(reader.readThrough)\t\(reader.behind)\t\(LeadText.dateFormat.string(from: reader.fetchedAt))")
                        }
                    }
                    return peers.contains { ($0.oldestWaitingSeconds ?? 0) > 300 }
                }
            default:
                throw CLIError("BAD_ARGUMENT", "\(config) 不是协同中心或区县节点的配置（role 应为 hub 或 node）")
            }
            if stale { throw ExitCode(3) }
        }
    }
}
