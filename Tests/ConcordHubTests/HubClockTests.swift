import ConcordDomain
import ConcordProtocol
import ConcordStore
import ConcordTestSupport
import Foundation
import Testing
@testable import ConcordHub

/// 首报首谈 on the hub's clock: an office cannot win, or stay protected, by the dates it sends.
@Suite("First report runs on the hub's clock", .serialized)
struct HubClockTests {
    static func filing(_ lead: String, _ name: String, reportedAt: Date) -> Payload {
        .claimFile(ClaimFile(leadRef: lead, investorName: name, creditCode: nil, stage: .lead, reportedAt: reportedAt))
    }

    static func error(_ envelope: Envelope) -> ErrorBody? {
        if case .error(let body) = envelope.payload { return body } else { return nil }
    }

    @Test("an office filing second with its date moved 30 days back does not win the rule's recommendation")
    func backdatedFilingDoesNotWin() async throws {
        try await HubHarness.run { hub in
            let clients = try await hub.greeted("360402", "360404")
            let (first, second) = (clients[0], clients[1])
            _ = try await first.send(Self.filing("a-1", "九江恒通物流有限公司", reportedAt: Date()), seq: 1)
            #expect(await first.expect { $0.claimStatus?.status == .held } != nil)
            let month = Date().addingTimeInterval(-30 * 86_400)
            _ = try await second.send(Self.filing("b-1", "九江恒通物流有限公司", reportedAt: month), seq: 1)
            let contested = try #require(await second.expect { $0.claimStatus != nil }?.claimStatus)
            #expect(contested.status == .contested && contested.holderOffice == "360402")

            let conflictID = try #require(contested.conflictID)
            let shown = try await hub.db.client.withConnection { connection in
                try await ConflictDesk(logger: TestDatabase.logger).show(conflictID, on: connection)
            }
            let view = try #require(shown)
            let recommendation = ArbitrationRules.recommend(view.parties.map(\.rules), policy: ProtectionPolicy(), now: Date())
            #expect(recommendation.decision == .award(office: "360402"), "\(recommendation.reasons)")
            // The office's date is kept and shown as its own.
            let backdated = try #require(view.parties.first { $0.office == "360404" })
            #expect(abs(backdated.countyReportedAt.timeIntervalSince(month)) < 1)
            #expect(abs(backdated.receivedAt.timeIntervalSinceNow) < 60)
            await first.close()
            await second.close()
        }
    }

    @Test("a filing dated in 2099 or years back, and a stage change dated ahead, are refused with DATE_OUT_OF_RANGE; the seq is used up")
    func impossibleDatesRefused() async throws {
        try await HubHarness.run { hub in
            let node = try await hub.greeted("360402")[0]
            let future = Date(timeIntervalSince1970: 4_070_908_800)  // 2099-01-01
            let id = try await node.send(Self.filing("a-1", "九江恒通物流有限公司", reportedAt: future), seq: 1)
            let refused = try #require(await node.expect { $0.re == id && Self.error($0) != nil }.flatMap(Self.error))
            #expect(refused.code == "DATE_OUT_OF_RANGE" && refused.detail.hasPrefix("DATE_IN_FUTURE:"))
            #expect(await node.expect { $0.ackThrough == 1 } != nil)
            let old = try await node.send(Self.filing("a-2", "九江恒通物流有限公司", reportedAt: Date().addingTimeInterval(-3 * 365 * 86_400)), seq: 2)
            #expect(try #require(await node.expect { $0.re == old && Self.error($0) != nil }.flatMap(Self.error)).detail.hasPrefix("DATE_TOO_OLD:"))
            #expect(try await hub.count("SELECT count(*)::int FROM claims") == 0)

            // A small skew is fine; a stage change dated a day ahead is refused and changes nothing.
            _ = try await node.send(Self.filing("a-3", "九江恒通物流有限公司", reportedAt: Date().addingTimeInterval(120)), seq: 3)
            #expect(await node.expect { $0.claimStatus?.status == .held } != nil)
            let ahead = try await node.send(.leadStage(LeadStageChange(leadRef: "a-3", stage: .negotiating, changedAt: Date().addingTimeInterval(86_400))), seq: 4)
            #expect(try #require(await node.expect { $0.re == ahead && Self.error($0) != nil }.flatMap(Self.error)).code == "DATE_OUT_OF_RANGE")
            #expect(await node.expect { $0.ackThrough == 4 } != nil)
            #expect(try await hub.count("SELECT count(*)::int FROM claims WHERE stage = 'lead' AND last_progress_at IS NULL") == 1)
            await node.close()
        }
    }
}
