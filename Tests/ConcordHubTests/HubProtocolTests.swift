import ConcordDomain
import ConcordHub
import ConcordProtocol
import ConcordStore
import Foundation
import ConcordTestSupport
import Testing
import ZeroMQ
@testable import ConcordHub

@Suite("The hub over real CURVE sockets and a real database", .serialized)
struct HubProtocolTests {
    static func filing(_ lead: String, _ name: String, code: String? = nil) -> Payload {
        .claimFile(ClaimFile(leadRef: lead, investorName: name, creditCode: code, stage: .lead, reportedAt: Date()))
    }

    @Test("hello gets a welcome naming the tenant of the key; a filing is applied once, in order")
    func exactlyOnceInOrder() async throws {
        try await HubHarness.run { hub in
            let node = try await hub.connect("360402")
            let hello = try await node.send(.hello(Hello(nodeVersion: "test", receivedThrough: 0)))
            let welcome = try #require(await node.expect { $0.re == hello })
            #expect(welcome.payload == .welcome(Welcome(tenant: "360402", appliedThrough: 0, hubTime: {
                if case .welcome(let w) = welcome.payload { return w.hubTime } else { return "" } }())))

            _ = try await node.send(Self.filing("L1", "九江恒通物流有限公司"), seq: 1)
            #expect(await node.expect { $0.ackThrough == 1 } != nil)
            let status = try #require(await node.expect { $0.claimStatus != nil })
            #expect(status.claimStatus?.status == .held && status.claimStatus?.leadRef == "L1" && status.seq == 1)

            // A repeat is acknowledged and ignored; a gap is answered with the high-water mark.
            _ = try await node.send(Self.filing("L1", "九江恒通物流有限公司"), seq: 1)
            #expect(await node.expect { $0.ackThrough == 1 } != nil)
            _ = try await node.send(Self.filing("L3", "九江恒达物流有限公司"), seq: 3)
            #expect(await node.expect { $0.ackThrough == 1 } != nil)
            #expect(try await hub.count("SELECT count(*)::int FROM claims") == 1)
            _ = try await node.send(Self.filing("L2", "九江恒达物流有限公司"), seq: 2)
            _ = try await node.send(Self.filing("L3", "九江恒达物流有限公司"), seq: 3)
            #expect(await node.expect { $0.ackThrough == 3 } != nil)
            #expect(try await hub.count("SELECT count(*)::int FROM claims") == 3)
            await node.close()
        }
    }

    @Test("a duplicate pursuit: the second office is told who holds it, the holder is told who contests")
    func conflictNotices() async throws {
        try await HubHarness.run { hub in
            let a = try await hub.connect("360402")
            let b = try await hub.connect("360404")
            _ = try await a.send(.hello(Hello(nodeVersion: "test", receivedThrough: 0)))
            _ = try await b.send(.hello(Hello(nodeVersion: "test", receivedThrough: 0)))
            _ = try await a.send(Self.filing("a-1", "观途（上海）新能源科技有限公司", code: "91110000600037341L"), seq: 1)
            #expect(await a.expect { $0.claimStatus?.status == .held } != nil)
            _ = try await b.send(Self.filing("b-9", "上海观途新能源科技集团有限公司"), seq: 1)
            let contested = try #require(await b.expect { $0.claimStatus != nil }?.claimStatus)
            #expect(contested.status == .contested && contested.holderOffice == "360402" && contested.conflictID != nil)
            let told = try #require(await a.expect { $0.claimStatus?.contestedBy != nil }?.claimStatus)
            #expect(told.leadRef == "a-1" && told.contestedBy == ["360404"])

            // A check from a third office says the enterprise is pursued, without naming the office.
            let c = try await hub.connect("360403")
            let asked = try await c.send(.check(Check(name: "观途新能源科技有限公司", creditCode: "91110000600037341L")))
            let answer = try #require(await c.expect { $0.re == asked })
            guard case .checkResult(let result) = answer.payload else {
                Issue.record("expected check.result, got \(answer.payload)")
                return
            }
            #expect(result.verdict == .pursued && !result.ownOffice)
            #expect(!String(decoding: answer.frames()[1], as: UTF8.self).contains("360402"))
            for client in [a, b, c] { await client.close() }
        }
    }

    @Test("malformed, oversized and unknown messages get coded errors and the link keeps working")
    func hostileInput() async throws {
        try await HubHarness.run { hub in
            let node = try await hub.connect("360402")
            try await node.greet()
            try await node.sendRaw([Array("CONCORD/9".utf8), Array("{}".utf8)])
            #expect(await node.expect { $0.errorCode == "UNSUPPORTED_VERSION" } != nil)
            try await node.sendRaw([Array(Wire.signature.utf8), Array("{not json".utf8)])
            #expect(await node.expect { $0.errorCode == "MALFORMED_ENVELOPE" } != nil)
            try await node.sendRaw([Array(Wire.signature.utf8), Array(#"{"type":"teleport","id":"t-1","body":{}}"#.utf8)])
            #expect(await node.expect { $0.errorCode == "UNKNOWN_TYPE" && $0.re == "t-1" } != nil)
            try await node.sendRaw([Array(Wire.signature.utf8), [UInt8](repeating: 0x20, count: Limits.maxEnvelopeBytes + 1)])
            #expect(await node.expect { $0.errorCode == "MESSAGE_TOO_LARGE" } != nil)
            try await node.sendRaw([Array(Wire.signature.utf8), Array(#"{"type":"claim.file","id":"x","seq":1,"body":{"lead_ref":"L"}}"#.utf8)])
            #expect(await node.expect { $0.errorCode == "BAD_BODY" && $0.re == "x" } != nil)
            _ = try await node.send(.welcome(Welcome(tenant: "360403", appliedThrough: 0, hubTime: "2026-11-30T00:00:00Z")))
            #expect(await node.expect { $0.errorCode == "NOT_ALLOWED" } != nil)
            // Nothing was applied, and the same connection still works.
            #expect(try await hub.count("SELECT count(*)::int FROM claims") == 0)
            let ping = try await node.send(.heartbeat)
            #expect(await node.expect { $0.re == ping && $0.payload == .heartbeat } != nil)
            await node.close()
        }
    }

    @Test("a tenant flooding past its message budget gets one RATE_LIMITED a second, the rest dropped; others are served")
    func flooding() async throws {
        try await HubHarness.run(messagesPerSecond: 100) { hub in
            let flooder = try await hub.connect("360402")
            let other = try await hub.connect("360403")
            #expect(try await flooder.greet() != nil)
            #expect(try await other.greet() != nil)
            // The budget refilled after the hellos.
            try await Task.sleep(for: .seconds(1.1))
            let started = ContinuousClock.now
            for _ in 0..<2_000 { _ = try await flooder.send(.heartbeat) }
            let ping = try await other.send(.heartbeat)
            #expect(await other.expect(within: 2) { $0.re == ping && $0.payload == .heartbeat } != nil)
            try await Task.sleep(for: .milliseconds(500))
            let elapsed = Double((ContinuousClock.now - started).components.seconds) + 0.5
            let received = flooder.all()
            let answered = received.filter { $0.payload == .heartbeat }.count
            let refused = received.filter { $0.errorCode == "RATE_LIMITED" }.count
            // The burst (100) plus what the rate refills while the flood lasts; one refusal a second.
            #expect(answered >= 100 && Double(answered) <= 100 + 100 * elapsed + 10, "\(answered) answered in \(elapsed) s")
            #expect(refused >= 1 && Double(refused) <= elapsed + 2, "\(refused) refusals in \(elapsed) s")
            // Once it slows down it is served again.
            try await Task.sleep(for: .seconds(1.5))
            let again = try await flooder.send(.heartbeat)
            #expect(await flooder.expect { $0.re == again && $0.payload == .heartbeat } != nil)
            for client in [flooder, other] { await client.close() }
        }
    }

    @Test("unregistered and revoked keys get nothing through; a department cannot file claims")
    func identityFromKeysOnly() async throws {
        try await HubHarness.run { hub in
            let stranger = try await hub.connect(as: try CurveKeyPair.generate())
            stranger.post(.hello(Hello(nodeVersion: "test", receivedThrough: 0)))
            stranger.post(Self.filing("s", "九江恒通物流有限公司"), seq: 1)
            #expect(await stranger.expect(within: 1.5) { _ in true } == nil)
            await stranger.close()

            let department = try await hub.connect("fgw")
            _ = try await department.send(Self.filing("d", "九江恒通物流有限公司"), seq: 1)
            #expect(await department.expect { $0.errorCode == "NOT_ALLOWED" } != nil)
            await department.close()

            #expect(try await TenantStore.revoke(id: "360403", client: hub.db.client, logger: TestDatabase.logger))
            try await Task.sleep(for: .seconds(3))  // the hub reloads keys every 2 s
            let revoked = try await hub.connect("360403")
            revoked.post(.hello(Hello(nodeVersion: "test", receivedThrough: 0)))
            #expect(await revoked.expect(within: 1.5) { _ in true } == nil)
            await revoked.close()
            #expect(try await hub.count("SELECT count(*)::int FROM claims") == 0)
        }
    }

    @Test("an office cannot read or change another office's claim by any message")
    func tenantIsolation() async throws {
        try await HubHarness.run { hub in
            let a = try await hub.connect("360402")
            let b = try await hub.connect("360403")
            _ = try await a.send(.hello(Hello(nodeVersion: "test", receivedThrough: 0)))
            _ = try await b.send(.hello(Hello(nodeVersion: "test", receivedThrough: 0)))
            _ = try await a.send(Self.filing("a-1", "九江恒通物流有限公司"), seq: 1)
            #expect(await a.expect { $0.claimStatus?.status == .held } != nil)
            // B names A's lead: the hub looks it up among B's own claims only, so nothing changes.
            _ = try await b.send(.leadStage(LeadStageChange(leadRef: "a-1", stage: .dropped, changedAt: Date())), seq: 1)
            #expect(await b.expect { $0.ackThrough == 1 } != nil)
            #expect(try await hub.count("SELECT count(*)::int FROM claims WHERE lead_ref = 'a-1' AND status = 'held'") == 1)
            // B's check says only that someone pursues it; B never receives anything about A's lead.
            let asked = try await b.send(.check(Check(name: "九江恒通物流有限公司")))
            let answer = try #require(await b.expect { $0.re == asked })
            // Without the envelope's own random ids, which can contain "a-1" by chance (seen once in CI).
            let text = String(decoding: answer.frames()[1], as: UTF8.self)
                .replacingOccurrences(of: answer.id, with: "").replacingOccurrences(of: asked, with: "")
            #expect(!text.contains("360402") && !text.contains("a-1"))
            try await Task.sleep(for: .milliseconds(300))
            #expect(b.all().allSatisfy { $0.claimStatus == nil })
            await a.close()
            await b.close()
        }
    }

    @Test("what each role cannot do: offices read only their own events, departments neither file, check nor answer offers, coordinators neither file nor give opinions")
    func roleMatrix() async throws {
        try await HubHarness.run { hub in
            let a = try await hub.connect("360402"), b = try await hub.connect("360403")
            let fgw = try await hub.connect("fgw"), city = try await hub.connect("city")
            _ = try await a.send(.hello(Hello(nodeVersion: "test", receivedThrough: 0)))
            _ = try await a.send(Self.filing("a-1", "九江恒通物流有限公司"), seq: 1)
            _ = try await a.send(.leadStage(LeadStageChange(leadRef: "a-1", stage: .negotiating, changedAt: Date())), seq: 2)
            #expect(await a.expect { $0.ackThrough == 2 } != nil)

            // County B, even asking for every stage topic, reads nothing about A; A reads its own.
            let seenByB = try await Self.drain(b, after: 0, topics: ["stage.*"])
            #expect(seenByB.events.isEmpty && seenByB.cursor >= 1)
            #expect(try await Self.drain(a, after: 0).events.map(\.topic) == ["stage.negotiating"])
            // A department with no grants reads nothing; a coordinator reads everything.
            #expect(try await Self.drain(fgw, after: 0).events.isEmpty)
            #expect(try await Self.drain(city, after: 0).events.count == 1)

            // A department files nothing, checks nothing, answers no offer, moves no stage.
            for (payload, seq) in [(Self.filing("f-1", "九江恒通物流有限公司"), Int64(1)),
                                   (.leadStage(LeadStageChange(leadRef: "a-1", stage: .dropped, changedAt: Date())), Int64(2)),
                                   (.assignmentReply(AssignmentReply(assignmentID: 1, accept: true, reason: nil, repliedAt: Date())), Int64(3))] as [(Payload, Int64)] {
                let id = try await fgw.send(payload, seq: seq)
                #expect(await fgw.expect { $0.re == id && $0.errorCode == "NOT_ALLOWED" } != nil, "\(payload.type.rawValue)")
            }
            let asked = try await fgw.send(.check(Check(name: "九江恒通物流有限公司")))
            #expect(await fgw.expect { $0.re == asked && $0.errorCode == "NOT_ALLOWED" } != nil)
            // A coordinator files nothing and gives no review opinion.
            let filed = try await city.send(Self.filing("c-1", "九江恒通物流有限公司"), seq: 1)
            #expect(await city.expect { $0.re == filed && $0.errorCode == "NOT_ALLOWED" } != nil)
            let opinion = try await city.send(.opinionAdd(OpinionAdd(opinionID: UUID().uuidString.lowercased(), claim: 1, verdict: .approve,
                                                                     text: "同意", conditions: nil)))
            #expect(await city.expect { $0.re == opinion && $0.errorCode == "NOT_ALLOWED" } != nil)

            // Nothing of theirs reached the registry: one claim, still A's, still negotiating.
            #expect(try await hub.count("SELECT count(*)::int FROM claims") == 1)
            #expect(try await hub.count("SELECT count(*)::int FROM claims WHERE office = '360402' AND stage = 'negotiating'") == 1)
            for client in [a, b, fgw, city] { await client.close() }
        }
    }

    @Test("a city dispatch reaches the county, and its answer is applied once")
    func dispatchOverTheWire() async throws {
        try await HubHarness.run { hub in
            let node = try await hub.connect("360404")
            _ = try await node.send(.hello(Hello(nodeVersion: "test", receivedThrough: 0)))
            #expect(await node.expect { if case .welcome = $0.payload { return true } else { return false } } != nil)
            let desk = DispatchDesk(logger: TestDatabase.logger)
            let id = try await desk.addCityLead(investorName: "赣锋锂业集团股份有限公司", creditCode: nil, projectName: "固态电池",
                                                industry: "新能源", chain: nil, investmentWan: 500_000, landMu: 400, energyTce: nil,
                                                environment: nil, filedBy: "city", now: Date(), client: hub.db.client)
            let lead = try await desk.cityLead(String(id.uuidString.prefix(8)), client: hub.db.client)
            _ = try await hub.db.client.withTransaction(logger: TestDatabase.logger) { connection in
                let assignment = try await desk.assign(lead, to: "360404", note: "请评估", score: 90, by: "city",
                                                       deadlines: DispatchDeadlines(), now: Date(), on: connection)
                try await HubOutbox.enqueueOffer(assignment, lead: lead, note: "请评估", explanation: "推荐分 90",
                                                 on: connection, logger: TestDatabase.logger)
            }
            // Written by a coordinator's command, delivered by the running hub within a second or so.
            let offer = try #require(await node.expect { if case .assignmentOffer = $0.payload { return true } else { return false } })
            guard case .assignmentOffer(let body) = offer.payload else { return }
            #expect(body.investorName == "赣锋锂业集团股份有限公司" && body.explanation == "推荐分 90")
            let reply = Payload.assignmentReply(AssignmentReply(assignmentID: body.assignmentID, accept: false, reason: "用地已规划", repliedAt: Date()))
            _ = try await node.send(reply, seq: 1)
            _ = try await node.send(reply, seq: 1)
            #expect(await node.expect { $0.ackThrough == 1 } != nil)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await hub.count("SELECT count(*)::int FROM assignments WHERE status = 'declined' AND reason = '用地已规划'") == 1)
            #expect(try await hub.count("SELECT count(*)::int FROM city_leads WHERE status = 'pool'") == 1)
            #expect(try await hub.count("SELECT count(*)::int FROM audit_chain WHERE action = 'assignment.declined'") == 1)
            await node.close()
        }
    }

    /// Fetches until caught up; returns every event received, in order.
    static func drain(_ client: Client, after start: Int64, topics: [String]? = nil) async throws -> (events: [FeedBatch.Event], cursor: Int64) {
        var cursor = start
        var events: [FeedBatch.Event] = []
        while true {
            let id = try await client.send(.feedFetch(FeedFetch(after: cursor, topics: topics, max: 500, waitMs: 0)))
            let answer = try #require(await client.expect { $0.re == id })
            guard case .feedBatch(let batch) = answer.payload else {
                Issue.record("expected feed.batch, got \(answer.payload)")
                return (events, cursor)
            }
            events += batch.events
            cursor = batch.through
            if batch.events.isEmpty && batch.through >= batch.head { return (events, cursor) }
        }
    }

    @Test("a department offline while 10,000 events are written gets all it is granted, in order, once; a revoked grant stops")
    func feedReplay() async throws {
        try await HubHarness.run { hub in
            try await GrantStore.grant("fgw", [TopicPattern("stage.signed")!], client: hub.db.client, logger: TestDatabase.logger)
            try await hub.db.client.withTransaction(logger: TestDatabase.logger) { connection in
                for index in 0..<10_000 {
                    try await EventLog.append(topic: index % 3 == 0 ? "stage.signed" : "conflict.opened",
                                              county: index % 2 == 0 ? "360402" : "360404", payload: ["n": "\(index)"],
                                              on: connection, logger: TestDatabase.logger)
                }
            }
            let department = try await hub.connect("fgw")
            let first = try await Self.drain(department, after: 0)
            let expected = stride(from: 0, to: 10_000, by: 3).map { Int64($0 + 1) }
            #expect(first.events.map(\.seq) == expected)
            #expect(first.events.allSatisfy { $0.topic == "stage.signed" })
            // Resuming from the cursor after a reconnect: nothing again, then only the new event.
            await department.close()
            let again = try await hub.connect("fgw")
            _ = try await hub.db.client.withTransaction(logger: TestDatabase.logger) { connection in
                try await EventLog.append(topic: "stage.signed", county: "360404", payload: [:], on: connection, logger: TestDatabase.logger)
            }
            #expect(try await Self.drain(again, after: first.cursor).events.map(\.seq) == [10_001])
            // Revoked: the next fetch sees nothing more.
            try await GrantStore.revoke("fgw", [TopicPattern("stage.signed")!], client: hub.db.client, logger: TestDatabase.logger)
            _ = try await hub.db.client.withTransaction(logger: TestDatabase.logger) { connection in
                try await EventLog.append(topic: "stage.signed", county: "360404", payload: [:], on: connection, logger: TestDatabase.logger)
            }
            #expect(try await Self.drain(again, after: 10_001).events.isEmpty)
            // A county sees only events about itself.
            let county = try await hub.connect("360402")
            let own = try await Self.drain(county, after: 0)
            #expect(!own.events.isEmpty && own.events.allSatisfy { $0.county == "360402" })
            await again.close()
            await county.close()
        }
    }

    @Test("a fetch with nothing new waits for the next event; a second concurrent fetch is refused")
    func feedLongPoll() async throws {
        try await HubHarness.run { hub in
            try await GrantStore.grant("fgw", [TopicPattern("stage.*")!], client: hub.db.client, logger: TestDatabase.logger)
            let department = try await hub.connect("fgw")
            let waiting = try await department.send(.feedFetch(FeedFetch(after: 0, max: 10, waitMs: 5_000)))
            let second = try await department.send(.feedFetch(FeedFetch(after: 0, max: 10, waitMs: 0)))
            #expect(await department.expect { $0.re == second && $0.errorCode == "RATE_LIMITED" } != nil)
            try await Task.sleep(for: .milliseconds(500))
            _ = try await hub.db.client.withTransaction(logger: TestDatabase.logger) { connection in
                try await EventLog.append(topic: "stage.signed", county: "360402", payload: ["x": "1"], on: connection, logger: TestDatabase.logger)
            }
            let answer = try #require(await department.expect { $0.re == waiting })
            guard case .feedBatch(let batch) = answer.payload else {
                Issue.record("expected feed.batch")
                return
            }
            #expect(batch.events.map(\.seq) == [1])
            await department.close()
        }
    }

    @Test("an opinion goes from a department to the county's node and into the other departments' feed, once")
    func opinionRoundTrip() async throws {
        try await HubHarness.run { hub in
            for department in ["fgw", "zrzy"] {
                try await GrantStore.grant(department, [TopicPattern("stage.*")!, TopicPattern("opinion.*")!],
                                           client: hub.db.client, logger: TestDatabase.logger)
            }
            let county = try await hub.connect("360402")
            _ = try await county.send(.hello(Hello(nodeVersion: "test", receivedThrough: 0)))
            _ = try await county.send(Self.filing("L1", "九江恒通物流有限公司"), seq: 1)
            _ = try await county.send(.leadStage(LeadStageChange(leadRef: "L1", stage: .negotiating, changedAt: Date())), seq: 2)
            #expect(await county.expect { $0.ackThrough == 2 } != nil)
            let zrzy = try await hub.connect("zrzy")
            let seen = try await Self.drain(zrzy, after: 0)
            let claim = try #require(seen.events.first.flatMap { Int64($0.payload["claim"]?.text ?? "") })

            let opinion = OpinionAdd(opinionID: UUID().uuidString.lowercased(), claim: claim, verdict: .conditional,
                                     text: "用地符合规划", conditions: "须先完成征收报批")
            let first = try await zrzy.send(.opinionAdd(opinion))
            #expect(await zrzy.expect { $0.re == first && $0.payload == .opinionResult(OpinionResult(opinionID: opinion.opinionID, repeated: false)) } != nil)
            let again = try await zrzy.send(.opinionAdd(opinion))
            #expect(await zrzy.expect { $0.re == again && $0.payload == .opinionResult(OpinionResult(opinionID: opinion.opinionID, repeated: true)) } != nil)

            let notice = try #require(await county.expect { if case .opinionNotice = $0.payload { return true } else { return false } })
            guard case .opinionNotice(let body) = notice.payload else { return }
            #expect(body.leadRef == "L1" && body.department == "zrzy" && body.verdict == .conditional)
            let fgw = try await hub.connect("fgw")
            #expect(try await Self.drain(fgw, after: 0).events.contains { $0.topic == "opinion.added" && $0.payload["department"] == .string("zrzy") })
            #expect(try await hub.count("SELECT count(*)::int FROM opinions") == 1)
            #expect(try await hub.count("SELECT count(*)::int FROM audit_chain WHERE action = 'opinion'") == 1)
            // A department not granted the project cannot give an opinion on it; a county cannot at all.
            try await GrantStore.revoke("fgw", [TopicPattern("stage.*")!, TopicPattern("opinion.*")!], client: hub.db.client, logger: TestDatabase.logger)
            let denied = try await fgw.send(.opinionAdd(OpinionAdd(opinionID: UUID().uuidString.lowercased(), claim: claim, verdict: .approve, text: "同意", conditions: nil)))
            #expect(await fgw.expect { $0.re == denied && $0.errorCode == "NOT_ALLOWED" } != nil)
            let byCounty = try await county.send(.opinionAdd(OpinionAdd(opinionID: UUID().uuidString.lowercased(), claim: claim, verdict: .approve, text: "同意", conditions: nil)))
            #expect(await county.expect { $0.re == byCounty && $0.errorCode == "NOT_ALLOWED" } != nil)
            for client in [county, zrzy, fgw] { await client.close() }
        }
    }

    @Test("the office is sent its project's review status: who was asked, who answered, and again when grants change")
    func reviewStatusReachesTheOffice() async throws {
        try await HubHarness.run { hub in
            let logger = TestDatabase.logger
            try await GrantStore.grant("zrzy", [TopicPattern("stage.*")!], client: hub.db.client, logger: logger)
            try await GrantStore.grant("fgw", [TopicPattern("stage.signed")!, TopicPattern("county.360402.conflict.*")!],
                                       client: hub.db.client, logger: logger)
            let county = try await hub.connect("360402")
            _ = try await county.send(.hello(Hello(nodeVersion: "test", receivedThrough: 0)))
            _ = try await county.send(Self.filing("L1", "九江恒通物流有限公司"), seq: 1)
            _ = try await county.send(.leadStage(LeadStageChange(leadRef: "L1", stage: .negotiating, changedAt: Date())), seq: 2)
            // Negotiating: only zrzy (stage.*) is asked; fgw sees signed projects only.
            let first = try #require(await county.expect { $0.reviewStatus != nil }?.reviewStatus)
            #expect(first.leadRef == "L1" && first.departments.map(\.department) == ["zrzy"] && first.departments[0].answeredAt == nil)
            _ = try await county.send(.leadStage(LeadStageChange(leadRef: "L1", stage: .signed, changedAt: Date())), seq: 3)
            let both = try #require(await county.expect { ($0.reviewStatus?.departments.count ?? 0) == 2 }?.reviewStatus)
            #expect(Set(both.departments.map(\.department)) == ["zrzy", "fgw"] && both.departments.allSatisfy { $0.answeredAt == nil })

            let zrzy = try await hub.connect("zrzy")
            let claim = try #require(try await Self.drain(zrzy, after: 0).events.first.flatMap { Int64($0.payload["claim"]?.text ?? "") })
            let opinion = OpinionAdd(opinionID: UUID().uuidString.lowercased(), claim: claim, verdict: .approve, text: "同意", conditions: nil)
            _ = try await zrzy.send(.opinionAdd(opinion))
            let answered = try #require(await county.expect { $0.reviewStatus?.departments.contains { $0.answeredAt != nil } ?? false }?.reviewStatus)
            // Pending first, then the answer with its verdict.
            #expect(answered.departments.map(\.department) == ["fgw", "zrzy"])
            #expect(answered.departments[1].verdict == .approve && answered.departments[0].answeredAt == nil)
            let entries = try await hub.db.client.withConnection { try await ReviewDesk(logger: logger).status(claim: claim, on: $0) }
            #expect(ReviewStatus.counts(entries) == (answered: 1, pending: 1))

            // fgw loses its grants: it is no longer waited for. Refreshing twice sends one message.
            try await GrantStore.revoke("fgw", [TopicPattern("stage.signed")!], client: hub.db.client, logger: logger)
            for _ in 0..<2 {
                try await hub.db.client.withTransaction(logger: logger) { connection in
                    try await HubOutbox.enqueue(try await ReviewDesk(logger: logger).refreshAll(on: connection), on: connection, logger: logger)
                }
            }
            let after = try #require(await county.expect(within: 10) { $0.reviewStatus?.departments.count == 1 }?.reviewStatus)
            #expect(after.departments.map(\.department) == ["zrzy"])
            #expect(try await hub.count("SELECT count(*)::int FROM outbox WHERE type = 'review.status'") == 4)
            let projects = try await ReviewDesk(logger: logger).projects(client: hub.db.client, now: Date())
            #expect(projects.map(\.claim) == [claim] && projects[0].entries.count == 1)
            for client in [county, zrzy] { await client.close() }
        }
    }

    @Test("unacknowledged notices are resent, and hello resumes after what the node has")
    func resendUntilAcknowledged() async throws {
        try await HubHarness.run { hub in
            let node = try await hub.connect("360402")
            _ = try await node.send(.hello(Hello(nodeVersion: "test", receivedThrough: 0)))
            _ = try await node.send(Self.filing("L1", "九江恒通物流有限公司"), seq: 1)
            #expect(await node.expect { $0.claimStatus != nil } != nil)
            // Not acknowledged: the hub sends it again (resend_seconds = 2 in the harness).
            #expect(await node.expect(within: 6) { $0.claimStatus != nil && $0.seq == 1 } != nil)
            _ = try await node.send(.ack(Ack(through: 1)))
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await hub.count("SELECT count(*)::int FROM outbox WHERE acked_at IS NULL") == 0)
            await node.close()
        }
    }
}
