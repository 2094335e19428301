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

/// A refused change is reported, never dropped: the hub answers what the lifecycle rule or the
/// sender's rights forbid with an error naming the message, uses its seq up, publishes nothing; the
/// node shows the refusal on the lead and undoes the step.
@Suite("Refusals are reported, never dropped", .serialized)
struct RefusalTests {
    static let logger = TestDatabase.logger

    static func filing(_ lead: String, _ name: String) -> Payload {
        .claimFile(ClaimFile(leadRef: lead, investorName: name, stage: .lead, reportedAt: Date()))
    }

    @Test("skips, backward moves, another office's lead, an unknown lead and an unreadable filing: each refused with its code, its seq used up")
    func overTheWire() async throws {
        try await HubHarness.run { hub in
            let offices = try await hub.greeted("360402", "360403")
            let (a, b) = (offices[0], offices[1])
            defer { Task { for office in offices { await office.close() } } }
            _ = try await b.send(Self.filing("b-1", "江西博睿新材料科技有限公司"), seq: 1)
            _ = try await a.send(Self.filing("a-1", "江西翔宇新材料科技有限公司"), seq: 1)
            #expect(await a.expect { $0.ackThrough == 1 } != nil)
            #expect(await b.expect { $0.ackThrough == 1 } != nil)
            func refused(_ payload: Payload, seq: Int64) async throws -> ErrorBody? {
                let id = try await a.send(payload, seq: seq)
                guard case .error(let body)? = await a.expect({ $0.re == id })?.payload else { return nil }
                #expect(await a.expect { $0.ackThrough == seq } != nil, "seq \(seq) is used up")
                return body
            }
            let skip = try await refused(.leadStage(LeadStageChange(leadRef: "a-1", stage: .signed, changedAt: Date())), seq: 2)
            #expect(skip?.code == "STAGE_REFUSED" && skip?.detail.hasPrefix("STAGE_SKIPPED:") == true)
            #expect(try await refused(.leadStage(LeadStageChange(leadRef: "b-1", stage: .negotiating, changedAt: Date())), seq: 3)?.code == "NOT_ALLOWED")
            #expect(try await refused(.leadStage(LeadStageChange(leadRef: "nope", stage: .negotiating, changedAt: Date())), seq: 4)?.code == "NOT_ALLOWED", "an unknown lead is refused like another office's")
            _ = try await a.send(.leadStage(LeadStageChange(leadRef: "a-1", stage: .negotiating, changedAt: Date())), seq: 5)
            #expect(await a.expect { $0.ackThrough == 5 } != nil)
            let back = try await refused(.leadStage(LeadStageChange(leadRef: "a-1", stage: .lead, changedAt: Date())), seq: 6)
            #expect(back?.detail.hasPrefix("STAGE_BACKWARD:") == true)
            // A state-changing message whose body can never be read: refused, and its seq used up too.
            let broken = #"{"type":"claim.file","id":"broken-1","seq":7,"body":{"lead_ref":"a-2","stage":"lead","reported_at":"2026-12-01T08:00:00Z"}}"#
            try await a.sendRaw([Array(Wire.signature.utf8), Array(broken.utf8)])
            #expect(await a.expect { $0.re == "broken-1" }?.errorCode == "BAD_BODY")
            #expect(await a.expect { $0.ackThrough == 7 } != nil)
            _ = try await a.send(Self.filing("a-3", "江西恒润新材料科技有限公司"), seq: 8)
            #expect(await a.expect { $0.ackThrough == 8 } != nil, "the stream goes on")

            #expect(try await hub.count("SELECT count(*)::int FROM claims WHERE office = '360402' AND lead_ref = 'a-1' AND stage = 'negotiating'") == 1)
            #expect(try await hub.count("SELECT count(*)::int FROM events WHERE topic LIKE 'stage.%'") == 1, "nothing published for a refusal")
            #expect(try await hub.count("SELECT count(*)::int FROM audit_chain WHERE action = 'stage.refused'") == 4)
            #expect(try await hub.count("SELECT count(*)::int FROM claims WHERE lead_ref = 'b-1' AND stage = 'lead'") == 1)
        }
    }

    @Test("a node shows the hub's refusal on the lead and in the lead list, and undoes the refused step")
    func nodeRecordsRefusal() async throws {
        try await HubHarness.run { hub in
            try await ReconciliationTests.withNode(hub) { db, node in
                let book = LeadBook(client: db.client, logger: Self.logger)
                let id = try await book.add([NewLead(investorName: "江西鼎盛新材料科技有限公司")])[0]
                var running = Task { try await node.run() }
                try await ReconciliationTests.eventually("held") {
                    try await ReconciliationTests.count("SELECT count(*)::int FROM leads WHERE claim_status = 'held'", db: db) == 1
                }
                running.cancel()
                _ = try? await running.value
                // The hub released the claim (a lapse, say) and the node has not heard yet: the
                // officer's step is allowed here and refused there.
                // Two steps in a row, both refused: both unwind, whatever order the refusals come in.
                try await hub.db.client.query("UPDATE claims SET status = 'released' WHERE office = '360402'", logger: Self.logger)
                _ = try await book.changeStage(id.uuidString, to: .negotiating)
                _ = try await book.changeStage(id.uuidString, to: .signed)
                running = Task { try await node.run() }
                try await ReconciliationTests.eventually("both refusals are recorded") {
                    try await ReconciliationTests.count("SELECT count(*)::int FROM audit_chain WHERE action = 'hub.refused'", db: db) == 2
                }
                let lead = try await book.find(id.uuidString)
                #expect(lead.hubRefusal?.code == "CLAIM_CLOSED")
                #expect(lead.stage == .lead, "the refused steps are undone: the node shows the hub's stage")
                #expect(lead.history.map(\.stage) == [.lead])
                #expect(lead.hubRefusal?.code == "CLAIM_CLOSED" && lead.hubRefusal?.text.contains("已释放") == true)
                #expect(try await ReconciliationTests.count("SELECT count(*)::int FROM outbox WHERE acked_at IS NULL", db: db) == 0,
                        "acknowledged: it is not sent again")
                running.cancel()
                _ = try? await running.value
            }
        }
    }

    @Test("an answer to an offer not waiting for this office is refused, not dropped")
    func strayAssignmentReply() async throws {
        try await HubHarness.run { hub in
            let county = try await hub.connect("360402")
            defer { Task { await county.close() } }
            try await county.greet()
            let id = try await county.send(.assignmentReply(AssignmentReply(assignmentID: 4242, accept: true, reason: nil, repliedAt: Date())), seq: 1)
            #expect(await county.expect { $0.re == id }?.errorCode == "NOT_ALLOWED")
            #expect(await county.expect { $0.ackThrough == 1 } != nil, "its seq is used up")
        }
    }

    @Test("the node refuses locally what it knows: a contested lead may only be dropped")
    func nodeRefusesLocally() async throws {
        try await HubHarness.run { hub in
            try await ReconciliationTests.withNode(hub) { db, node in
                let other = try await hub.connect("360403")
                defer { Task { await other.close() } }
                try await other.greet()
                _ = try await other.send(Self.filing("o-1", "江西启航新材料科技有限公司"), seq: 1)
                #expect(await other.expect { $0.ackThrough == 1 } != nil)
                let book = LeadBook(client: db.client, logger: Self.logger)
                let id = try await book.add([NewLead(investorName: "江西启航新材料科技有限公司")])[0]
                let running = Task { try await node.run() }
                try await ReconciliationTests.eventually("contested") {
                    try await ReconciliationTests.count("SELECT count(*)::int FROM leads WHERE claim_status = 'contested'", db: db) == 1
                }
                await #expect(throws: StoreError.self) { _ = try await book.changeStage(id.uuidString, to: .negotiating) }
                let lead = try await book.find(id.uuidString)
                #expect(lead.allowedStages == [.dropped])
                _ = try await book.changeStage(id.uuidString, to: .dropped)
                running.cancel()
                _ = try? await running.value
            }
        }
    }

    @Test("conflict.opened reaches both offices' feeds; a typed fetch gets identifiers and amounts as numbers")
    func feedForBothOffices() async throws {
        try await HubHarness.run { hub in
            let offices = try await hub.greeted("360402", "360403")
            let (a, b) = (offices[0], offices[1])
            defer { Task { for office in offices { await office.close() } } }
            _ = try await a.send(.claimFile(ClaimFile(leadRef: "a-1", investorName: "江西华辰新材料科技有限公司", investmentWan: 20_000,
                                                      stage: .lead, reportedAt: Date())), seq: 1)
            #expect(await a.expect { $0.ackThrough == 1 } != nil)
            _ = try await b.send(Self.filing("b-1", "华辰新材料（江西）有限公司"), seq: 1)
            #expect(await b.expect { $0.ackThrough == 1 } != nil)
            for client in [a, b] {
                let events = try await HubProtocolTests.drain(client, after: 0).events
                #expect(events.contains { $0.topic == "conflict.opened" }, "each party's own feed")
            }
            let id = try await a.send(.feedFetch(FeedFetch(after: 0, topics: ["claim.filed"], max: 10, waitMs: 0, typed: true)))
            guard case .feedBatch(let batch)? = await a.expect({ $0.re == id })?.payload else {
                Issue.record("no batch")
                return
            }
            let filed = try #require(batch.events.first)
            guard case .integer = filed.payload["claim"] else { Issue.record("claim not an integer: \(String(describing: filed.payload["claim"]))"); return }
            // A JSON number (20000 reads back as an integer; JSON does not tell them apart).
            if case .string? = filed.payload["investment_wan"] { Issue.record("investment_wan is a string") }
            #expect(Double(filed.payload["investment_wan"]?.text ?? "") == 20_000)
            #expect(filed.payload["investor_name"] == .string("江西华辰新材料科技有限公司"))
        }
    }
}
