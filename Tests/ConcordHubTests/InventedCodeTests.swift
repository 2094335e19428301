import ConcordDomain
import ConcordProtocol
import ConcordStore
import ConcordTestSupport
import Foundation
import Testing
@testable import ConcordHub

/// An office that files exactly a name another office holds, with a made-up but checksum-valid
/// credit code, must not come back free: names are unique within a registration authority.
@Suite("An invented credit code does not dodge detection", .serialized)
struct InventedCodeTests {
    static let held = "91360400MA35ABCD19"
    static let invented = "91360400MA35ABCE1A"

    static func checkResult(_ envelope: Envelope) -> CheckResult? {
        if case .checkResult(let result) = envelope.payload { return result } else { return nil }
    }

    static func filing(_ lead: String, _ name: String, code: String?) -> Payload {
        .claimFile(ClaimFile(leadRef: lead, investorName: name, creditCode: code, stage: .lead, reportedAt: Date()))
    }

    @Test("the same full name under another valid code opens a same_name_other_code conflict showing both codes; the check says possibly pursued")
    func sameNameOtherCode() async throws {
        #expect(CreditCode.parse(Self.held).validCode != nil && CreditCode.parse(Self.invented).validCode != nil)
        try await HubHarness.run { hub in
            let clients = try await hub.greeted("360402", "360404")
            let (holder, prober) = (clients[0], clients[1])
            _ = try await holder.send(Self.filing("a-1", "九江恒通物流有限公司", code: Self.held), seq: 1)
            #expect(await holder.expect { $0.claimStatus?.status == .held } != nil)

            let asked = try await prober.send(.check(Check(name: "九江恒通物流有限公司", creditCode: Self.invented)))
            let answer = try #require(await prober.expect { $0.re == asked })
            let result = try #require(Self.checkResult(answer))
            #expect(result.verdict == .possiblyPursued, "the check still says \(result.verdict)")
            #expect(!result.reasons.joined().contains("恒通"), "the check does not spell out the holder's name")

            // Full-width brackets and spaces change nothing.
            _ = try await prober.send(Self.filing("b-1", "九江 恒通物流有限公司", code: Self.invented), seq: 1)
            let contested = try #require(await prober.expect { $0.claimStatus != nil }?.claimStatus)
            #expect(contested.status == .contested && contested.holderOffice == "360402")
            #expect(await holder.expect { $0.claimStatus?.contestedBy == ["360404"] } != nil, "the holder is told")
            let conflictID = try #require(contested.conflictID)
            let shown = try await hub.db.client.withConnection { connection in
                try await ConflictDesk(logger: TestDatabase.logger).show(conflictID, on: connection)
            }
            let view = try #require(shown)
            let mismatch = try #require(view.nameCodeMismatch)
            #expect(mismatch.contains(Self.held) && mismatch.contains(Self.invented))
            #expect(try await hub.count("""
                SELECT count(*)::int FROM audit_chain WHERE action = 'conflict.opened' AND detail->>'kind' = 'same_name_other_code'
                """) == 1)
            await holder.close()
            await prober.close()
        }
    }

    @Test("another region's enterprise with the same brand and its own code stays another enterprise")
    func otherRegionIsAnotherEnterprise() async throws {
        try await HubHarness.run { hub in
            let clients = try await hub.greeted("360402", "360404")
            _ = try await clients[0].send(Self.filing("a-1", "九江恒通物流有限公司", code: Self.held), seq: 1)
            #expect(await clients[0].expect { $0.claimStatus?.status == .held } != nil)
            _ = try await clients[1].send(Self.filing("b-1", "南昌恒通物流有限公司", code: "91360100MA35ABCE2X"), seq: 1)
            #expect(await clients[1].expect { $0.claimStatus != nil }?.claimStatus?.status == .held)
            #expect(try await hub.count("SELECT count(*)::int FROM conflicts") == 0)
            for client in clients { await client.close() }
        }
    }
}

/// A check tells an office whether someone pursues the enterprise, not what the other office filed.
@Suite("A check does not spell out another office's filing", .serialized)
struct CheckProbingTests {
    @Test("the check's reasons name kinds of agreement, never the holder's brand, industry words or region")
    func reasonsWithoutTheHolder() async throws {
        try await HubHarness.run { hub in
            let clients = try await hub.greeted("360402", "360404")
            _ = try await clients[0].send(.claimFile(ClaimFile(leadRef: "a-1", investorName: "九江恒通达物流科技有限公司", stage: .lead,
                                                               reportedAt: Date())), seq: 1)
            #expect(await clients[0].expect { $0.claimStatus?.status == .held } != nil)
            for probe in ["恒通达物流（南昌）有限公司", "恒通物流有限公司", "九江恒通达物流科技股份有限公司"] {
                let asked = try await clients[1].send(.check(Check(name: probe)))
                let answer = try #require(await clients[1].expect { $0.re == asked })
                let result = try #require(InventedCodeTests.checkResult(answer))
                #expect(result.verdict != .free, "\(probe)")
                let text = result.reasons.joined(separator: "；")
                for secret in ["九江", "恒通达", "科技", "股份"] where !probe.contains(secret) {
                    #expect(!text.contains(secret), "\(probe): \(text)")
                }
                #expect(!result.reasons.isEmpty, "\(probe): the kinds are still told")
            }
            // The holder's own check keeps the full reasons.
            let own = try await clients[0].send(.check(Check(name: "恒通达物流（南昌）有限公司")))
            let ownAnswer = try #require(await clients[0].expect { $0.re == own })
            let mine = try #require(InventedCodeTests.checkResult(ownAnswer))
            #expect(mine.ownOffice && mine.reasons.joined().contains("九江"))
            for client in clients { await client.close() }
        }
    }
}
