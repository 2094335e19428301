import ArgumentParser
import ConcordStore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "审计链：校验是否被篡改 (the hash-chained audit log).",
        subcommands: [Verify.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "逐条重算审计链，报告完整或第一条被改动/删除的记录 (verify the audit chain).",
            discussion: """
                完整时打印条数和链头哈希，退出码 0；请把链头哈希另行保存，以便日后发现末尾记录被截断。
                发现问题时打印第一条出问题的序号和原因（AUDIT_ROW_EDITED 或 AUDIT_ROW_MISSING），退出码 1。

                例: CONCORD_DATABASE_URL=postgres://concord@127.0.0.1/concord_hub concord audit verify
                """
        )
        @OptionGroup var connection: DBCommand.Connection

        func run() async throws {
            try await reportingErrors {
                let configuration = try connection.configuration()
                let logger = CLILogging.logger("concord.audit")
                let result = try await Database.withDatabase(configuration, logger: logger) { db in
                    try await db.client.withConnection { try await AuditChain.verify(on: $0, logger: logger) }
                }
                switch result {
                case .intact(let rows, let head):
                    print("审计链完整 (intact)：共 \(rows) 条，链头哈希 \(head)")
                case .broken(let seq, let problem):
                    throw CLIError(problem.rawValue, "审计链在第 \(seq) 条断开：\(problem.explanation)")
                }
            }
        }
    }
}
