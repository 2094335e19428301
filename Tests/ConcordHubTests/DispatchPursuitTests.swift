import ConcordDomain
import ConcordProtocol
import ConcordStore
import ConcordTestSupport
import Foundation
import Logging
import PostgresNIO
import Testing
@testable import ConcordHub

/// The city's own dispatch respects pursuit: the holder is offered the lead first, another county
/// only with an override, and an accepted override is a transfer ruling, never an open conflict.
@Suite("City dispatch and pursuit", .serialized)
struct DispatchPursuitTests {
    static let logger = TestDatabase.logger

    static func isOffer(_ envelope: Envelope) -> Bool {
        if case .assignmentOffer = envelope.payload { return true } else { return false }
    }

    static func refusalCode(_ body: () async throws -> Void) async -> String? {
        do {
            try await body()
            return nil
        } catch let error as PostgresTransactionError {
            return (error.closureError as? StoreError)?.code.rawValue ?? "\(error)"
        } catch let error as StoreError {
            return error.code.rawValue
        } catch {
            return "\(error)"
        }
    }

    @Test("a city lead on an enterprise a county holds goes to that county; another only by override, which becomes a transfer ruling")
    func overrideBecomesTransfer() async throws {
        try await HubHarness.run { hub in
            let offices = try await hub.greeted("360402", "360403")
            let (holder, other) = (offices[0], offices[1])
            defer { Task { for office in offices { await office.close() } } }
            _ = try await holder.send(.claimFile(ClaimFile(leadRef: "h-1", investorName: "九江恒通物流有限公司", industry: "现代物流",
                                                            stage: .lead, reportedAt: Date())), seq: 1)
            #expect(await holder.expect { $0.ackThrough == 1 } != nil)
            #expect(await holder.expect { $0.claimStatus?.status == .held } != nil)

            let desk = DispatchDesk(logger: Self.logger)
            // 360403's profile fits the lead better than the holder's does.
            try await desk.setProfile(CountyProfile(county: "360403", industries: ["现代物流"], landByPark: ["物流园": 500]), client: hub.db.client)
            try await desk.setProfile(CountyProfile(county: "360402", industries: ["文化旅游"]), client: hub.db.client)
            let id = try await desk.addCityLead(investorName: "恒通物流（九江）有限公司", creditCode: nil, projectName: "冷链仓储",
                                                industry: "现代物流", chain: nil, investmentWan: 50_000, landMu: 200, energyTce: nil,
                                                environment: nil, filedBy: "city", now: Date(), client: hub.db.client)
            let prefix = String(id.uuidString.lowercased().prefix(8))
            let lead = try await desk.cityLead(prefix, client: hub.db.client)

            let advice = try await desk.advise(lead, client: hub.db.client)
            #expect(advice.holder?.office == "360402")
            #expect(advice.ranked.first?.county == "360402", "the holder ranks first whatever its fit")
            #expect(advice.ranked.first?.pursuit?.hasPrefix("已在跟进") == true)
            #expect(advice.preferred == "360402")

            // Without a reason, another county is refused; the holder is not.
            let refused = await Self.refusalCode {
                _ = try await CoordinatorActions.assign(lead: prefix, to: "360403", note: nil, coordinator: "city",
                                                        deadlines: DispatchDeadlines(), client: hub.db.client, logger: Self.logger)
            }
            #expect(refused == "ENTERPRISE_PURSUED")
            #expect(try await hub.count("SELECT count(*)::int FROM assignments") == 0)

            _ = try await CoordinatorActions.assign(lead: prefix, to: "360403", note: nil, coordinator: "city",
                                                    override: "项目用地只能落在该区物流园", deadlines: DispatchDeadlines(),
                                                    client: hub.db.client, logger: Self.logger)
            #expect(try await hub.count("SELECT count(*)::int FROM assignments WHERE override_reason IS NOT NULL AND overrides_claim IS NOT NULL") == 1)
            let offer = try #require(await other.expect(within: 10, Self.isOffer))
            guard case .assignmentOffer(let body) = offer.payload else { return }
            #expect(body.explanation.contains("市级改派理由"))

            // The county accepts and files the lead, as a node does: reply, then claim.file.
            _ = try await other.send(.assignmentReply(AssignmentReply(assignmentID: body.assignmentID, accept: true, reason: nil,
                                                                      repliedAt: Date())), seq: 1)
            _ = try await other.send(.claimFile(ClaimFile(leadRef: "o-1", investorName: body.investorName, industry: body.industry,
                                                          stage: .lead, reportedAt: Date())), seq: 2)
            #expect(await other.expect { $0.ackThrough == 2 } != nil)
            let won = try #require(await other.expect { $0.claimStatus?.leadRef == "o-1" })
            #expect(won.claimStatus?.status == .held)
            #expect(won.claimStatus?.decision?.outcome == "transferred_in")
            let lost = try #require(await holder.expect { $0.claimStatus?.decision != nil })
            #expect(lost.claimStatus?.status == .released && lost.claimStatus?.decision?.outcome == "transferred_out")
            #expect(await other.expect(within: 0.5) { $0.claimStatus?.status == .contested } == nil, "never told it contests")

            #expect(try await hub.count("SELECT count(*)::int FROM conflicts WHERE status = 'open'") == 0, "no conflict is open")
            #expect(try await hub.count("SELECT count(*)::int FROM decisions WHERE kind = 'transfer' AND coordinator = 'city'") == 1)
            #expect(try await hub.count("SELECT count(*)::int FROM assignments WHERE transfer_decision IS NOT NULL") == 1)
            #expect(try await hub.count("SELECT count(*)::int FROM events WHERE topic = 'conflict.opened'") == 0)
            #expect(try await hub.count("SELECT count(*)::int FROM events WHERE topic = 'conflict.decided'") == 1)
            #expect(try await hub.count("SELECT count(*)::int FROM audit_chain WHERE action = 'dispatch.transfer'") == 1)
            #expect(try await hub.count("""
                SELECT count(*)::int FROM enterprise_holders h JOIN claims c ON c.id = h.claim_id WHERE c.office <> '360403'
                """) == 0, "the enterprise's keys moved to the county")
            let cockpit = try await CockpitSource.load(client: hub.db.client, logger: Self.logger)
            #expect(cockpit.conflicts.isEmpty, "the cockpit counts no 撞单 for it")
        }
    }

    @Test("the holder can be offered the lead without a reason; an override on an unruled conflict is refused")
    func holderAndContested() async throws {
        try await HubHarness.run { hub in
            let offices = try await hub.greeted("360402", "360403")
            let (a, b) = (offices[0], offices[1])
            defer { Task { for office in offices { await office.close() } } }
            _ = try await a.send(.claimFile(ClaimFile(leadRef: "a-1", investorName: "江西翔宇新材料科技有限公司", stage: .lead, reportedAt: Date())), seq: 1)
            #expect(await a.expect { $0.ackThrough == 1 } != nil)
            let desk = DispatchDesk(logger: Self.logger)
            func cityLead() async throws -> String {
                let id = try await desk.addCityLead(investorName: "江西翔宇新材料科技有限公司", creditCode: nil, projectName: nil, industry: nil,
                                                    chain: nil, investmentWan: nil, landMu: nil, energyTce: nil, environment: nil,
                                                    filedBy: "city", now: Date(), client: hub.db.client)
                return String(id.uuidString.lowercased().prefix(8))
            }
            _ = try await CoordinatorActions.assign(lead: try await cityLead(), to: "360402", note: nil, coordinator: "city",
                                                    deadlines: DispatchDeadlines(), client: hub.db.client, logger: Self.logger)
            _ = try await b.send(.claimFile(ClaimFile(leadRef: "b-1", investorName: "翔宇新材料（江西）有限公司", stage: .lead, reportedAt: Date())), seq: 1)
            #expect(await b.expect { $0.claimStatus?.status == .contested } != nil)
            let lead = try await cityLead()
            let refused = await Self.refusalCode {
                _ = try await CoordinatorActions.assign(lead: lead, to: "360404", note: nil, coordinator: "city", override: "试试",
                                                        deadlines: DispatchDeadlines(), client: hub.db.client, logger: Self.logger)
            }
            #expect(refused == "ENTERPRISE_CONTESTED")
        }
    }

    @Test("an override whose holder let go before the county filed settles without a ruling, and never rules a later filing; an over-long reason is refused")
    func overrideSettlesOnce() async throws {
        try await HubHarness.run { hub in
            let offices = try await hub.greeted("360402", "360403", "360404")
            let (holder, county, third) = (offices[0], offices[1], offices[2])
            defer { Task { for office in offices { await office.close() } } }
            _ = try await holder.send(.claimFile(ClaimFile(leadRef: "h-1", investorName: "江西博睿新材料科技有限公司", stage: .lead,
                                                            reportedAt: Date())), seq: 1)
            #expect(await holder.expect { $0.ackThrough == 1 } != nil)
            let desk = DispatchDesk(logger: Self.logger)
            let id = try await desk.addCityLead(investorName: "江西博睿新材料科技有限公司", creditCode: nil, projectName: nil, industry: nil,
                                                chain: nil, investmentWan: nil, landMu: nil, energyTce: nil, environment: nil,
                                                filedBy: "city", now: Date(), client: hub.db.client)
            let prefix = String(id.uuidString.lowercased().prefix(8))
            let tooLong = await Self.refusalCode {
                _ = try await CoordinatorActions.assign(lead: prefix, to: "360403", note: nil, coordinator: "city",
                                                        override: String(repeating: "理", count: 1_901), deadlines: DispatchDeadlines(),
                                                        client: hub.db.client, logger: Self.logger)
            }
            #expect(tooLong == "INVALID_INPUT")
            _ = try await CoordinatorActions.assign(lead: prefix, to: "360403", note: nil, coordinator: "city", override: "两县协商同意",
                                                    deadlines: DispatchDeadlines(), client: hub.db.client, logger: Self.logger)
            let offer = try #require(await county.expect(within: 10, Self.isOffer))
            guard case .assignmentOffer(let body) = offer.payload else { return }
            // The holder drops the project before the county accepts: the county's filing simply holds it.
            _ = try await holder.send(.leadStage(LeadStageChange(leadRef: "h-1", stage: .dropped, changedAt: Date())), seq: 2)
            #expect(await holder.expect { $0.ackThrough == 2 } != nil)
            _ = try await county.send(.assignmentReply(AssignmentReply(assignmentID: body.assignmentID, accept: true, reason: nil,
                                                                       repliedAt: Date())), seq: 1)
            _ = try await county.send(.claimFile(ClaimFile(leadRef: "c-1", investorName: body.investorName, stage: .lead, reportedAt: Date())), seq: 2)
            #expect(await county.expect { $0.claimStatus?.leadRef == "c-1" }?.claimStatus?.status == .held)
            #expect(try await hub.count("SELECT count(*)::int FROM assignments WHERE override_settled_at IS NOT NULL AND transfer_decision IS NULL") == 1)
            #expect(try await hub.count("SELECT count(*)::int FROM audit_chain WHERE action = 'dispatch.override.unused'") == 1)
            // Later the third office holds another enterprise and the county contests it: an ordinary conflict.
            _ = try await third.send(.claimFile(ClaimFile(leadRef: "t-1", investorName: "江西恒润新材料科技有限公司", stage: .lead,
                                                           reportedAt: Date())), seq: 1)
            #expect(await third.expect { $0.ackThrough == 1 } != nil)
            _ = try await county.send(.claimFile(ClaimFile(leadRef: "c-2", investorName: "恒润新材料（江西）有限公司", stage: .lead, reportedAt: Date())), seq: 3)
            #expect(await county.expect { $0.claimStatus?.leadRef == "c-2" }?.claimStatus?.status == .contested)
            #expect(try await hub.count("SELECT count(*)::int FROM decisions") == 0, "no ruling made for it")
            #expect(try await hub.count("SELECT count(*)::int FROM conflicts WHERE status = 'open'") == 1)
        }
    }
}
