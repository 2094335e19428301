import ConcordDomain
import ConcordNode
import ConcordProtocol
import ConcordStore
import ConcordTestSupport
import Foundation
import Logging
import PostgresNIO
import Testing
@testable import ConcordHub

/// Every ruling's claim state travels in `claim.restore`: a node restored from a backup taken
/// before the ruling asks for its claims back, gets the ruled claim in its ruled state, and its
/// stream from the hub goes on (issue: "every ruling survives a restore").
@Suite("Rulings survive a node restore", .serialized)
struct RulingRestoreTests {
    static let logger = TestDatabase.logger

    static func decision(_ kind: String, otherClaim: Int64) -> ArbitrationDecision {
        switch kind {
        case "award": return .award(office: "360402")
        case "transfer": return .transfer(from: "360403", to: "360402", fromShare: 50, toShare: 50, years: 5)
        case "joint": return .joint(offices: ["360403", "360402"], shares: [50, 50])
        case "distinct": return .distinct
        case "taskforce": return .taskforce
        default: return .reject(claimID: otherClaim)
        }
    }

    @Test("after each kind of ruling, a node restored from an older backup gets the ruled claim back and hears the hub again",
          arguments: ["award", "transfer", "joint", "distinct", "taskforce", "reject"])
    func rulingSurvivesRestore(kind: String) async throws {
        try await HubHarness.run { hub in
            try await ReconciliationTests.withNode(hub) { db, node in
                let book = LeadBook(client: db.client, logger: Self.logger)
                let count: @Sendable (String) async throws -> Int = { sql in try await ReconciliationTests.count(sql, db: db) }
                _ = try await book.add([NewLead(investorName: "江西恒润新材料科技有限公司")])
                var running = Task { try await node.run() }
                try await ReconciliationTests.eventually("the first lead is held") {
                    try await count("SELECT count(*)::int FROM leads WHERE claim_status = 'held'") == 1
                }
                // The backup is taken here: one lead, one message from the hub applied.
                var backup: (Int64, String?) = (0, nil)
                let inbox = try await db.client.query(
                    "SELECT applied_through, last_message_id FROM peer_inbox WHERE peer = 'hub'", logger: Self.logger)
                for try await row in inbox.decode((Int64, String?).self) { backup = row }

                // Another office reports the enterprise first; this office's lead contests it.
                let other = try await hub.connect("360403")
                defer { Task { await other.close() } }
                try await other.greet()
                _ = try await other.send(.claimFile(ClaimFile(leadRef: UUID().uuidString.lowercased(), investorName: "江西翔宇新材料科技有限公司",
                                                               stage: .lead, reportedAt: Date())), seq: 1)
                #expect(await other.expect { $0.ackThrough == 1 } != nil)
                let ruled = try await book.add([NewLead(investorName: "江西翔宇新材料科技有限公司")])[0]
                try await ReconciliationTests.eventually("the second lead is contested") {
                    try await count("SELECT count(*)::int FROM leads WHERE claim_status = 'contested'") == 1
                }
                let conflict = Int64(try await hub.count("SELECT id::int FROM conflicts"))
                let otherClaim = Int64(try await hub.count("SELECT id::int FROM claims WHERE office = '360403'"))
                _ = try await CoordinatorActions.arbitrate(
                    conflictID: conflict, decision: Self.decision(kind, otherClaim: otherClaim), reason: "测试：\(kind)",
                    coordinator: "city", supersedes: nil, policy: ProtectionPolicy(), client: hub.db.client, logger: Self.logger)
                try await ReconciliationTests.eventually("the ruling reaches the lead") {
                    try await count("SELECT count(*)::int FROM leads WHERE claim_detail -> 'decision' IS NOT NULL") == 1
                }
                var state = ""
                let stored = try await hub.db.client.query(
                    "SELECT status FROM claims WHERE office = '360402' AND lead_ref = \(ruled.uuidString.lowercased())", logger: Self.logger)
                for try await value in stored.decode(String.self) { state = value }
                #expect(ClaimState(rawValue: state)?.isStored == true)
                let ruledState = state
                running.cancel()
                _ = try? await running.value

                // Restored from the backup: the second lead, its filing and what the hub told since are gone.
                try await db.client.withTransaction(logger: Self.logger) { connection in
                    try await connection.query("DELETE FROM lead_stage_history WHERE lead_id = \(ruled)", logger: Self.logger)
                    try await connection.query("DELETE FROM leads WHERE id = \(ruled)", logger: Self.logger)
                    try await connection.query("DELETE FROM outbox WHERE seq > 1", logger: Self.logger)
                    try await connection.query("UPDATE sequence_counters SET last = 1 WHERE stream = 'outbox:hub'", logger: Self.logger)
                    try await connection.query(
                        "UPDATE peer_inbox SET applied_through = \(backup.0), last_message_id = \(backup.1) WHERE peer = 'hub'",
                        logger: Self.logger)
                }
                running = Task { try await node.run() }
                try await ReconciliationTests.eventually("the ruled lead comes back in its ruled state (\(ruledState))") {
                    try await count("SELECT count(*)::int FROM leads WHERE id = '\(ruled.uuidString.lowercased())' AND claim_status = '\(ruledState)'") == 1
                }
                // The stream goes on: a lead filed now is answered.
                _ = try await book.add([NewLead(investorName: "江西启航新材料科技有限公司")])
                try await ReconciliationTests.eventually("a new lead is answered after the restore") {
                    try await count("SELECT count(*)::int FROM leads WHERE investor_name LIKE '%启航%' AND claim_status = 'held'") == 1
                }
                running.cancel()
                _ = try? await running.value
            }
        }
    }

    @Test("a 1.1 node is sent the states it knows in claim.restore; a 1.2 node the stored one", arguments: ["1.1", "1.2"])
    func olderNodesGetStatesTheyKnow(revision: String) async throws {
        try await HubHarness.run { hub in
            let node = try await hub.connect("360402")
            let other = try await hub.connect("360403")
            defer { Task { await node.close(); await other.close() } }
            _ = try await node.send(.hello(Hello(nodeVersion: "concord/0.2 protocol/\(revision)", receivedThrough: 0)))
            #expect(await node.expect { if case .welcome = $0.payload { true } else { false } } != nil)
            try await other.greet()
            _ = try await other.send(.claimFile(ClaimFile(leadRef: "o-1", investorName: "江西翔宇新材料科技有限公司", stage: .lead, reportedAt: Date())), seq: 1)
            #expect(await other.expect { $0.ackThrough == 1 } != nil)
            _ = try await node.send(.claimFile(ClaimFile(leadRef: "n-1", investorName: "翔宇新材料（江西）有限公司", stage: .lead, reportedAt: Date())), seq: 1)
            #expect(await node.expect { $0.claimStatus?.status == .contested } != nil)
            let conflict = Int64(try await hub.count("SELECT id::int FROM conflicts"))
            _ = try await CoordinatorActions.arbitrate(conflictID: conflict, decision: .joint(offices: ["360403", "360402"], shares: [50, 50]),
                                                       reason: "联合", coordinator: "city", supersedes: nil, policy: ProtectionPolicy(),
                                                       client: hub.db.client, logger: Self.logger)
            #expect(await node.expect { $0.claimStatus?.decision != nil } != nil)
            _ = try await node.send(.resync)
            let restored = await node.expect { if case .claimRestore = $0.payload { true } else { false } }
            guard case .claimRestore(let body)? = restored?.payload else {
                Issue.record("no claim.restore")
                return
            }
            #expect(body.status == (revision == "1.1" ? "held" : "joint"))
        }
    }
}
