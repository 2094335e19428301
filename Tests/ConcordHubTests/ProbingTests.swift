import ConcordProtocol
import ConcordStore
import ConcordTestSupport
import Foundation
import Testing
@testable import ConcordHub

/// What a tenant can learn by asking the hub what it is not granted (issue 20, the low items).
@Suite("Probing the hub", .serialized)
struct ProbingTests {
    @Test("a department learns nothing of a project number it is not granted: an existing and a missing one are refused alike")
    func opinionNumbersDoNotLeak() async throws {
        try await HubHarness.run { hub in
            let county = try await hub.connect("360402")
            let fgw = try await hub.connect("fgw")
            defer { Task { await county.close(); await fgw.close() } }
            try await county.greet()
            _ = try await county.send(.claimFile(ClaimFile(leadRef: "a-1", investorName: "江西翔宇新材料科技有限公司", investmentWan: 20_000,
                                                           stage: .lead, reportedAt: Date())), seq: 1)
            #expect(await county.expect { $0.ackThrough == 1 } != nil)
            let existing = Int64(try await hub.count("SELECT id::int FROM claims"))
            func refusal(_ claim: Int64) async throws -> ErrorBody? {
                let id = try await fgw.send(.opinionAdd(OpinionAdd(opinionID: UUID().uuidString.lowercased(), claim: claim,
                                                                   verdict: .approve, text: "同意", conditions: nil)))
                guard case .error(let body)? = await fgw.expect({ $0.re == id })?.payload else { return nil }
                return body
            }
            let known = try #require(try await refusal(existing))
            let unknown = try #require(try await refusal(existing + 1000))
            #expect(known.code == unknown.code)
            #expect(known.code == "NOT_ALLOWED")
            #expect(known.detail.replacingOccurrences(of: "\(existing)", with: "N")
                    == unknown.detail.replacingOccurrences(of: "\(existing + 1000)", with: "N"))
        }
    }
}
