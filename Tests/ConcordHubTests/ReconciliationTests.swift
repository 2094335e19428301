import ConcordDomain
import ConcordNode
import ConcordProtocol
import ConcordStore
import ConcordTestSupport
import Foundation
import Logging
import PostgresNIO
import Testing
import ZeroMQ
@testable import ConcordHub

/// Reconciliation after a restore (schemas/PROTOCOL.md, section 4a) on a real database, and a
/// 1.1 node against a hub that speaks only the 1.0 message set. scripts/backup-test restores real
/// pg_dump backups of a node and of the hub with real processes.
@Suite("Reconciliation and protocol revisions", .serialized)
struct ReconciliationTests {
    static func withMigratedDatabase(_ body: @escaping @Sendable (Database) async throws -> Void) async throws {
        let migrations = try Migration.load(from: TestDatabase.schemasDirectory)
        try await TestDatabase.withFreshDatabase { configuration in
            try await Database.withDatabase(configuration, logger: TestDatabase.logger) { db in
                _ = try await Migrator(migrations: migrations, logger: TestDatabase.logger).migrate(db)
                try await body(db)
            }
        }
    }

    static func enqueue(_ count: Int, peer: String, db: Database) async throws -> [String] {
        try await db.client.withTransaction(logger: TestDatabase.logger) { connection in
            var ids: [String] = []
            for index in 0..<count {
                try await Outbox.enqueue(peer: peer, on: connection, logger: TestDatabase.logger) { seq in
                    let envelope = Envelope(seq: seq, payload: .leadStage(LeadStageChange(
                        leadRef: "lead-\(index)", stage: .negotiating, changedAt: Date())))
                    ids.append(envelope.id)
                    return (envelope.id, envelope.payload.type.rawValue, String(decoding: envelope.frames()[1], as: UTF8.self))
                }
            }
            return ids
        }
    }

    static func rows(_ peer: String, db: Database) async throws -> [(seq: Int64, id: String, acked: Bool, envelopeSeq: Int64?)] {
        let rows = try await db.client.query(
            "SELECT seq, message_id, acked_at IS NOT NULL, envelope FROM outbox WHERE peer = \(peer) ORDER BY seq",
            logger: TestDatabase.logger)
        var result: [(Int64, String, Bool, Int64?)] = []
        for try await (seq, id, acked, envelope) in rows.decode((Int64, String, Bool, String).self) {
            let decoded = try? Envelope.decode([Array(Wire.signature.utf8), Array(envelope.utf8)]).get()
            result.append((seq, id, acked, decoded?.seq))
        }
        return result.map { (seq: $0.0, id: $0.1, acked: $0.2, envelopeSeq: $0.3) }
    }

    @Test("a peer behind this side's acknowledgements gets the messages after its position again")
    func peerRestoredIsRewound() async throws {
        try await Self.withMigratedDatabase { db in
            let ids = try await Self.enqueue(5, peer: "p", db: db)
            try await Outbox.acknowledge(peer: "p", through: 5, client: db.client, logger: TestDatabase.logger)
            let found = try await Outbox.reconcile(peer: "p", position: 3, lastID: ids[2], client: db.client, logger: TestDatabase.logger)
            #expect(found == .inStep(rewound: 2))
            let after = try await Self.rows("p", db: db)
            #expect(after.map(\.acked) == [true, true, true, false, false])
            let pending = try await Outbox.pending(peer: "p", after: 3, limit: 10, client: db.client, logger: TestDatabase.logger)
            #expect(pending.map(\.messageID) == Array(ids[3...]))
            // In step and nothing lost: nothing changes.
            try await Outbox.acknowledge(peer: "p", through: 5, client: db.client, logger: TestDatabase.logger)
            let again = try await Outbox.reconcile(peer: "p", position: 5, lastID: ids[4], client: db.client, logger: TestDatabase.logger)
            #expect(again == .inStep(rewound: 0))
        }
    }

    @Test("a peer ahead of this side's numbering, or holding another message under its number, gets what waits renumbered after it")
    func thisSideRestoredIsRenumbered() async throws {
        try await Self.withMigratedDatabase { db in
            let ids = try await Self.enqueue(5, peer: "p", db: db)
            try await Outbox.acknowledge(peer: "p", through: 3, client: db.client, logger: TestDatabase.logger)
            // The peer applied 7 messages: 4…7 were sent by a database this one was restored over.
            let found = try await Outbox.reconcile(peer: "p", position: 7, lastID: "gone", client: db.client, logger: TestDatabase.logger)
            #expect(found == .diverged(renumbered: 2))
            let after = try await Self.rows("p", db: db)
            #expect(after.map(\.seq) == [1, 2, 3, 8, 9])
            #expect(after.map(\.id) == ids, "ids are kept, order too")
            #expect(after.map(\.envelopeSeq) == [1, 2, 3, 8, 9], "each envelope carries its new seq")
            #expect(after.map(\.acked) == [true, true, true, false, false])
            let next = try await Self.enqueue(1, peer: "p", db: db)
            let last = try await Self.rows("p", db: db).last
            #expect(last?.seq == 10)
            #expect(last?.id == next[0])
            // Same number, another id: what the peer holds at 9 is not this side's message 9.
            try await Outbox.acknowledge(peer: "p", through: 10, client: db.client, logger: TestDatabase.logger)
            let other = try await Outbox.reconcile(peer: "p", position: 9, lastID: "another", client: db.client, logger: TestDatabase.logger)
            #expect(other == .diverged(renumbered: 1), "only message 10, numbered after the peer's position, may be missing there")
            #expect(try await Self.rows("p", db: db).map(\.seq) == [1, 2, 3, 8, 9, 10])
            // A 1.0 peer gives no id: a position this side has is taken as in step.
            let old = try await Outbox.reconcile(peer: "p", position: 10, lastID: nil, client: db.client, logger: TestDatabase.logger)
            #expect(old == .inStep(rewound: 0))
        }
    }

    @Test("a stage change applied again after a renumbering changes nothing")
    func stageChangeIsIdempotent() async throws {
        try await HubHarness.run { hub in
            let node = try await hub.connect("360402")
            defer { Task { await node.close() } }
            _ = try await node.send(.hello(Hello(nodeVersion: "test", receivedThrough: 0)))
            #expect(await node.expect { if case .welcome = $0.payload { true } else { false } } != nil)
            let lead = UUID().uuidString.lowercased()
            let changedAt = Date(timeIntervalSince1970: 1_790_000_000)
            _ = try await node.send(.claimFile(ClaimFile(leadRef: lead, investorName: "江西翔宇新材料科技有限公司", stage: .lead, reportedAt: Date())), seq: 1)
            _ = try await node.send(.leadStage(LeadStageChange(leadRef: lead, stage: .negotiating, changedAt: changedAt)), seq: 2)
            _ = try await node.send(.leadStage(LeadStageChange(leadRef: lead, stage: .signed, changedAt: changedAt.addingTimeInterval(60))), seq: 3)
            // The same negotiating change again, renumbered 4 by a restored node.
            _ = try await node.send(.leadStage(LeadStageChange(leadRef: lead, stage: .negotiating, changedAt: changedAt)), seq: 4)
            #expect(await node.expect { $0.ackThrough == 4 } != nil)
            #expect(try await hub.count("SELECT count(*)::int FROM claims WHERE stage = 'signed'") == 1)
            #expect(try await hub.count("SELECT count(*)::int FROM events WHERE topic LIKE 'stage.%'") == 2, "each step logged once")
            #expect(try await hub.count("SELECT count(*)::int FROM audit_chain WHERE action = 'stage'") == 2)
        }
    }

    /// A node service in this process on its own database, against the harness's hub.
    static func withNode(_ hub: HubHarness, _ body: @escaping @Sendable (Database, NodeService) async throws -> Void) async throws {
        let migrations = try Migration.load(from: TestDatabase.schemasDirectory)
        try await TestDatabase.withFreshDatabase { configuration in
            try await Database.withDatabase(configuration, logger: TestDatabase.logger) { db in
                _ = try await Migrator(migrations: migrations, logger: TestDatabase.logger).migrate(db)
                let node = NodeService(configuration: NodeConfiguration(
                    tenant: "360402", name: "浔阳区", hubEndpoint: hub.endpoint, hubPublicKey: hub.hubKeys.publicKey,
                    keys: hub.tenantKeys["360402"]!, database: configuration, heartbeatSeconds: 1, resendSeconds: 2),
                    database: db, logger: TestDatabase.logger)
                try await body(db, node)
            }
        }
    }

    static func count(_ sql: String, db: Database) async throws -> Int {
        let rows = try await db.client.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger)
        for try await value in rows.decode(Int.self) { return value }
        return 0
    }

    static func eventually(_ what: Comment, within seconds: Int = 20, _ condition: @Sendable () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out: \(what)")
    }

    @Test("until an office says hello the hub applies none of its changes, answers nothing, takes none of its acks; after the welcome they are applied and acked")
    func nothingBeforeHello() async throws {
        try await HubHarness.run { hub in
            let node = try await hub.connect("360402")
            defer { Task { await node.close() } }
            let ping = try await node.send(.heartbeat)
            let filing = ClaimFile(leadRef: UUID().uuidString.lowercased(), investorName: "江西立信新材料科技有限公司", stage: .lead, reportedAt: Date())
            _ = try await node.send(.claimFile(filing), seq: 1)
            _ = try await node.send(.resync)
            _ = try await node.send(.ack(Ack(through: 5)))
            #expect(await node.expect(within: 1.5) { _ in true } == nil, "nothing heard before hello: no answer, no ack, no heartbeat")
            #expect(try await hub.count("SELECT count(*)::int FROM claims") == 0, "its filing is not applied")
            #expect(try await hub.count("SELECT count(*)::int FROM outbox WHERE type = 'claim.restore'") == 0, "nor its resync")
            _ = ping
            let welcome = try await node.greet()
            #expect(welcome?.appliedThrough == 0, "its seq was not used up")
            _ = try await node.send(.claimFile(filing), seq: 1)
            #expect(await node.expect { $0.ackThrough == 1 } != nil, "sent again after the welcome, it is applied and acked")
            #expect(await node.expect { $0.claimStatus != nil } != nil, "and answered")
            #expect(try await hub.count("SELECT count(*)::int FROM claims") == 1)
            let again = try await node.send(.heartbeat)
            #expect(await node.expect { $0.re == again } != nil)
        }
    }

    static func welcome(appliedThrough: Int64) -> @Sendable (Envelope) -> Bool {
        { envelope in
            guard case .welcome(let body) = envelope.payload else { return false }
            return body.appliedThrough == appliedThrough
        }
    }

    @Test("a hub speaking only 1.0 answers hello without last_message_id and refuses claims.resync as an unknown type")
    func oldHubMessageSet() async throws {
        try await HubHarness.run(revision: .r0) { hub in
            let node = try await hub.connect("360402")
            defer { Task { await node.close() } }
            _ = try await node.send(.hello(Hello(nodeVersion: NodeService.version, receivedThrough: 0, lastMessageID: "x")))
            _ = try await node.send(.claimFile(ClaimFile(leadRef: UUID().uuidString.lowercased(), investorName: "江西博睿新材料科技有限公司",
                                                         stage: .lead, reportedAt: Date())), seq: 1)
            #expect(await node.expect { $0.ackThrough == 1 } != nil)
            _ = try await node.send(.hello(Hello(nodeVersion: NodeService.version, receivedThrough: 0, lastMessageID: nil)))
            let welcome = await node.expect(Self.welcome(appliedThrough: 1))
            if case .welcome(let body)? = welcome?.payload { #expect(body.lastMessageID == nil) } else { Issue.record("no welcome: \(node.all().map(\.payload))") }
            let resync = try await node.send(.resync)
            #expect(await node.expect { $0.re == resync }?.errorCode == "UNKNOWN_TYPE")
        }
        try await HubHarness.run { hub in
            let node = try await hub.connect("360402")
            defer { Task { await node.close() } }
            let filing = Envelope(seq: 1, payload: .claimFile(ClaimFile(leadRef: UUID().uuidString.lowercased(),
                                                                       investorName: "江西博睿新材料科技有限公司", stage: .lead, reportedAt: Date())))
            _ = try await node.send(.hello(Hello(nodeVersion: NodeService.version, receivedThrough: 0)))
            try await node.sendRaw(filing.frames())
            #expect(await node.expect { $0.ackThrough == 1 } != nil)
            _ = try await node.send(.hello(Hello(nodeVersion: NodeService.version, receivedThrough: 0)))
            let welcome = await node.expect(Self.welcome(appliedThrough: 1))
            if case .welcome(let body)? = welcome?.payload { #expect(body.lastMessageID == filing.id) } else { Issue.record("no welcome") }
        }
    }

    @Test("a 1.1 node works with a 1.0 hub: files and hears back, and after a restore its new filings are not taken for repeats")
    func newNodeOldHub() async throws {
        try await HubHarness.run(revision: .r0) { hub in
            try await Self.withNode(hub) { db, node in
                let book = LeadBook(client: db.client, logger: TestDatabase.logger)
                _ = try await book.add(["江西恒润新材料科技有限公司", "江西启航新材料科技有限公司", "江西鼎盛新材料科技有限公司"].map { NewLead(investorName: $0) })
                var running = Task { try await node.run() }
                try await Self.eventually("three leads answered by the 1.0 hub") {
                    try await Self.count("SELECT count(*)::int FROM leads WHERE claim_status = 'held'", db: db) == 3
                }
                running.cancel()
                _ = try? await running.value
                // As if restored from a backup taken after the first filing: messages 2 and 3 and
                // their numbers gone, then a lead filed before the node is started again.
                try await db.client.query("DELETE FROM outbox WHERE seq > 1", logger: TestDatabase.logger)
                try await db.client.query("UPDATE sequence_counters SET last = 1 WHERE stream = 'outbox:hub'", logger: TestDatabase.logger)
                _ = try await book.add([NewLead(investorName: "江西华辰新材料科技有限公司")])
                running = Task { try await node.run() }
                try await Self.eventually("the lead filed after the restore reaches the 1.0 hub") {
                    try await hub.count("SELECT count(*)::int FROM claims") == 4
                }
                try await Self.eventually("and is answered") {
                    try await Self.count("SELECT count(*)::int FROM leads WHERE investor_name LIKE '%华辰%' AND claim_status = 'held'", db: db) == 1
                }
                #expect(try await Self.count("SELECT max(seq)::int FROM outbox", db: db) == 4, "renumbered after the hub's 3")
                #expect(try await hub.count("SELECT count(DISTINCT lead_ref)::int FROM claims") == 4)
                running.cancel()
                _ = try? await running.value
            }
        }
    }
}

/// Where each feed reader stands (`concord status`, the subscriber-lag metric).
@Suite("Feed reader positions")
struct FeedPositionTests {
    @Test("each fetch records the reader's position; lag is the events after it")
    func positions() async throws {
        try await HubHarness.run { hub in
            let county = try await hub.connect("360402")
            let department = try await hub.connect("fgw")
            defer { Task { await county.close(); await department.close() } }
            try await county.greet()
            for (index, brand) in ["翔宇", "博睿", "恒润"].enumerated() {
                _ = try await county.send(.claimFile(ClaimFile(leadRef: UUID().uuidString.lowercased(), investorName: "江西\(brand)新材料科技有限公司",
                                                               investmentWan: 20_000, stage: .lead, reportedAt: Date())), seq: Int64(index + 1))
            }
            #expect(await county.expect { $0.ackThrough == 3 } != nil)
            let head = try await hub.count("SELECT max(seq)::int FROM events")
            #expect(head >= 3)
            _ = try await department.send(.feedFetch(FeedFetch(after: 1, max: 1, waitMs: 0)))
            #expect(await department.expect { if case .feedBatch = $0.payload { return true } else { return false } } != nil)
            let readers = try await FeedPosition.all(client: hub.db.client, logger: TestDatabase.logger)
            #expect(readers.map(\.tenant) == ["fgw"])
            #expect(readers.first?.readThrough == 1)
            #expect(readers.first?.behind == Int64(head - 1))
        }
    }
}

/// A change of the hub's own key (`concord hub rekey`): both keys served, each on its address.
@Suite("Hub key change")
struct HubKeyChangeTests {
    @Test("during a key change an office on the previous key and one on the new key both deliver and hear back on their own connection")
    func bothKeysServed() async throws {
        try await HubHarness.run(rotating: true) { hub in
            let old = try await hub.connect(as: hub.tenantKeys["360402"]!, previousKey: true)
            let new = try await hub.connect("360403")
            defer { Task { await old.close(); await new.close() } }
            #expect(try await old.greet() != nil, "the previous key still answers on its address")
            #expect(try await new.greet() != nil)
            for (client, brand) in [(old, "翔宇"), (new, "博睿")] {
                _ = try await client.send(.claimFile(ClaimFile(leadRef: UUID().uuidString.lowercased(),
                    investorName: "江西\(brand)新材料科技有限公司", stage: .lead, reportedAt: Date())), seq: 1)
            }
            #expect(await old.expect { $0.claimStatus != nil } != nil, "the notice goes back on the previous key's socket")
            #expect(await new.expect { $0.claimStatus != nil } != nil)
            #expect(try await hub.count("SELECT count(*)::int FROM claims") == 2)
        }
    }
}
