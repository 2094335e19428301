import ArgumentParser

@main
struct Concord: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "concord",
        abstract: "招商协同 Concord：市县招商线索协同、撞单检测与联审联办 (city/county investment-lead coordination).",
        discussion: """
            一个程序，多个子命令。数据库连接从环境变量读取：CONCORD_DATABASE_URL
            (postgres://用户[:密码]@主机[:端口]/数据库)，或 PGHOST、PGPORT、PGUSER、PGPASSWORD、PGDATABASE。

            例 (examples):
              concord keys generate --name hub --dir /etc/concord/keys
              concord db migrate
              concord link probe --connect tcp://hub.example:7700 --server-key hub.pub --secret-key-file 360402.key
            """,
        version: "0.1.0",
        subcommands: [HubCommand.self, NodeCommand.self, LeadCommand.self, CheckCommand.self, ConflictsCommand.self, ArbitrateCommand.self, CountyCommand.self, RecommendCommand.self, AssignCommand.self, AssignmentCommand.self, ReportCommand.self, BenchCommand.self, SubscribeCommand.self, OpinionCommand.self, TenantCommand.self, UserCommand.self, ConfigCommand.self, StatusCommand.self, USCCCommand.self, NormalizeCommand.self, MatchCommand.self, AuditCommand.self, KeysCommand.self, DBCommand.self, LinkCommand.self]
    )
}
