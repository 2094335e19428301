import ConcordDomain
import ConcordProtocol
import ConcordStore
import ConcordTestSupport
import Foundation
import Testing
import ZeroMQ
@testable import ConcordHub

/// A key that leaked is revoked or replaced; the connection opened with it before must be dead
/// within 2 s: nothing answered, nothing sent to it, nothing it sends applied or acknowledged.
@Suite("A retired key's open connection", .serialized)
struct RetiredKeyTests {
    static func filing(_ lead: String, _ name: String) -> Payload {
        .claimFile(ClaimFile(leadRef: lead, investorName: name, creditCode: nil, stage: .lead, reportedAt: Date()))
    }

    /// Everything an attacker holding the old connection would try, after which it must have
    /// received nothing at all.
    static func probe(_ old: Client, nextSeq: Int64) async -> [Envelope] {
        let before = old.all().count
        old.post(.heartbeat)
        old.post(.hello(Hello(nodeVersion: "test", receivedThrough: 0)))
        old.post(.check(Check(name: "九江恒通物流有限公司")))
        old.post(filing("stolen-\(nextSeq)", "九江稳固建材有限公司"), seq: nextSeq)
        old.post(.ack(Ack(through: 1_000)))
        _ = await old.expect(within: 1.5) { _ in false }
        return Array(old.all().dropFirst(before))
    }

    @Test("after tenant rekey the old key's connection gets nothing and changes nothing; the office's notices go to the new key's connection")
    func rekeyCutsTheOldConnection() async throws {
        try await HubHarness.run { hub in
            let old = try await hub.connect("360402")
            try await old.greet()
            _ = try await old.send(Self.filing("L1", "九江恒通物流有限公司"), seq: 1)
            #expect(await old.expect { $0.claimStatus?.status == .held } != nil)

            let replacement = try CurveKeyPair.generate()
            #expect(try await TenantStore.rekey(id: "360402", publicKey: replacement.publicKey,
                                               client: hub.db.client, logger: TestDatabase.logger) == .county)
            try await Task.sleep(for: .seconds(2))
            let heard = await Self.probe(old, nextSeq: 2)
            #expect(heard.isEmpty, "the old key's connection still hears: \(heard.map(\.payload.type.rawValue))")
            #expect(try await hub.count("SELECT count(*)::int FROM claims WHERE lead_ref LIKE 'stolen-%'") == 0)
            #expect(try await hub.count("SELECT applied_through::int FROM peer_inbox WHERE peer = '360402'") == 1)

            // The office's node, on its new key, carries on; a notice about its claim reaches it and
            // not the old connection.
            let node = try await hub.connect(as: replacement)
            #expect(try await node.greet(receivedThrough: 1)?.appliedThrough == 1)
            let other = try await hub.connect("360404")
            try await other.greet()
            _ = try await other.send(Self.filing("B1", "九江恒通物流有限公司"), seq: 1)
            #expect(await node.expect { $0.claimStatus?.contestedBy == ["360404"] } != nil)
            _ = try await node.send(Self.filing("L2", "九江稳固建材有限公司"), seq: 2)
            #expect(await node.expect { $0.ackThrough == 2 } != nil)
            try await Task.sleep(for: .milliseconds(500))
            #expect(old.all().allSatisfy { $0.claimStatus?.contestedBy == nil }, "a notice went to the old key's connection")

            // Logged and audited once, with the key's fingerprint.
            let fingerprint = String(hub.tenantKeys["360402"]!.publicKey.prefix(8))
            #expect(try await hub.count("""
                SELECT count(*)::int FROM audit_chain WHERE action = 'key.refused' AND actor = '360402' AND detail->>'key' = '\(fingerprint)'
                """) == 1)
            await old.close()
            await node.close()
            await other.close()
        }
    }

    @Test("after tenant revoke the open connection's hello, heartbeats and acks go unanswered, and it is sent no notice")
    func revokeCutsTheOpenConnection() async throws {
        try await HubHarness.run { hub in
            let old = try await hub.connect("360402")
            try await old.greet()
            _ = try await old.send(Self.filing("L1", "九江恒通物流有限公司"), seq: 1)
            let held = try #require(await old.expect { $0.claimStatus?.status == .held })
            #expect(try await TenantStore.revoke(id: "360402", client: hub.db.client, logger: TestDatabase.logger))
            try await Task.sleep(for: .seconds(2))

            // Another office files the same enterprise: the notice for 360402 waits in the outbox
            // and is not sent on the revoked connection, whose ack cannot clear it either.
            let other = try await hub.connect("360404")
            try await other.greet()
            _ = try await other.send(Self.filing("B1", "九江恒通物流有限公司"), seq: 1)
            #expect(await other.expect { $0.claimStatus?.status == .contested } != nil)
            let heard = await Self.probe(old, nextSeq: 2)
            #expect(heard.isEmpty, "the revoked connection still hears: \(heard.map(\.payload.type.rawValue))")
            #expect(try await hub.count("SELECT count(*)::int FROM outbox WHERE peer = '360402' AND seq > \(held.seq ?? 0) AND acked_at IS NULL") >= 1)
            #expect(try await hub.count("SELECT count(*)::int FROM claims WHERE lead_ref LIKE 'stolen-%'") == 0)
            await old.close()
            await other.close()
        }
    }
}
