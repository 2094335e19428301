import ConcordStore
import Foundation
import Logging

/// Changes made with the CLI go into the audit chain with who ran them: the operating-system user
/// and the host (`cli:zhang@hub-01`), as the console records `web:<login>`.
enum CLIAudit {
    static var actor: String {
        "cli:\(NSUserName())@\(ProcessInfo.processInfo.hostName)"
    }

    /// Appends one row in its own transaction (after the change it records has committed).
    static func record(_ db: Database, action: String, subject: String, detail: [String: String] = [:], logger: Logger) async throws {
        _ = try await db.client.withTransaction(logger: logger) { connection in
            try await AuditChain.append(.init(actor: actor, action: action, subject: subject, detailJSON: auditDetail(detail)),
                                        on: connection, logger: logger)
        }
    }
}
