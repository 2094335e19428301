import Foundation
import Testing
@testable import ConcordDomain

@Suite("Cockpit metrics on a fixture with known answers")
struct CockpitTests {
    let t0 = Date(timeIntervalSince1970: 1_790_000_000)
    func day(_ n: Double) -> Date { t0.addingTimeInterval(n * 86_400) }
    func hour(_ n: Double) -> Date { t0.addingTimeInterval(n * 3600) }

    var input: CockpitInput {
        CockpitInput(
            claims: [
                // 360402: one signed after 10 days (negotiating at day 4), one still a lead, one dropped while negotiating.
                .init(office: "360402", filedAt: day(0), stage: .signed, reached: [.lead: day(0), .negotiating: day(4), .signed: day(10)]),
                .init(office: "360402", filedAt: day(1), stage: .lead, reached: [.lead: day(1)]),
                .init(office: "360402", filedAt: day(2), stage: .dropped, reached: [.lead: day(2), .negotiating: day(5), .dropped: day(9)]),
                // 360404: one signed after 30 days.
                .init(office: "360404", filedAt: day(3), stage: .signed, reached: [.lead: day(3), .negotiating: day(13), .signed: day(33)]),
                // Outside the window.
                .init(office: "360404", filedAt: day(100), stage: .lead, reached: [.lead: day(100)]),
            ],
            assignments: [
                .init(county: "360404", assignedAt: hour(0), respondBy: hour(24), respondedAt: hour(6)),
                .init(county: "360404", assignedAt: hour(10), respondBy: hour(34), respondedAt: hour(40)),
                .init(county: "360423", assignedAt: hour(20), respondBy: hour(44), respondedAt: nil),
            ],
            conflicts: [
                .init(offices: ["360402", "360404"], openedAt: day(3), decidedAt: day(5), outcome: "transfer"),
                .init(offices: ["360402", "360423"], openedAt: day(6), decidedAt: nil, outcome: nil),
            ],
            checks: [.init(asker: "360423", at: day(1)), .init(asker: "360423", at: day(2)), .init(asker: "360402", at: day(3))])
    }

    func rows() -> [String: CockpitRow] {
        Dictionary(uniqueKeysWithValues: Cockpit.compute(input, from: day(0), to: day(50), now: day(60)).map { ($0.scope, $0) })
    }

    @Test("leads filed, by stage, and conversion rates")
    func leadsAndConversions() throws {
        let rows = rows()
        let total = try #require(rows[Cockpit.total])
        #expect(total.enterprises == 4 && total.claimsFiled == 4)
        #expect(total.byStage == [.signed: 2, .lead: 1, .dropped: 1])
        #expect(total.reached == [.lead: 4, .negotiating: 3, .signed: 2])
        let lianxi = try #require(rows["360402"])
        #expect(lianxi.enterprises == 3)
        // 3 reached 线索; 2 reached 洽谈; 1 reached 签约.
        #expect(lianxi.conversions.first { $0.from == .lead }?.rate == 2.0 / 3.0)
        #expect(lianxi.conversions.first { $0.from == .negotiating }?.rate == 0.5)
        #expect(total.conversions.first { $0.from == .negotiating }?.rate == 2.0 / 3.0)
    }

    @Test("days to 签约 and between stages: median and p90 by nearest rank")
    func durations() throws {
        let total = try #require(rows()[Cockpit.total])
        #expect(total.daysToSigned == Spread(median: 10, p90: 30, count: 2))
        let leadToNegotiating = try #require(total.daysBetween.first { $0.from == .lead })
        #expect(leadToNegotiating.spread == Spread(median: 4, p90: 10, count: 3))
        #expect(Spread.of([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) == Spread(median: 5, p90: 9, count: 10))
        #expect(Spread.of([]) == nil)
    }

    @Test("assignment response times and overdue offers")
    func assignments() throws {
        let rows = rows()
        let chaisang = try #require(rows["360404"])
        #expect(chaisang.responseHours == Spread(median: 6, p90: 30, count: 2))
        #expect(chaisang.overdue == 1)
        #expect(rows["360423"]?.overdue == 1)
        #expect(rows[Cockpit.total]?.overdue == 2)
    }

    @Test("conflicts, decisions and checks; the total counts a conflict once")
    func conflictsAndChecks() throws {
        let rows = rows()
        let total = try #require(rows[Cockpit.total])
        #expect(total.conflictsOpened == 2 && total.conflictsResolved == 1)
        #expect(total.daysToDecision == Spread(median: 2, p90: 2, count: 1))
        #expect(total.outcomes == ["transfer": 1])
        #expect(rows["360402"]?.conflictsOpened == 2)
        #expect(rows["360423"]?.checks == 2)
        #expect(total.checks == 3)
    }
}

@Suite("The cockpit counts enterprises once, under the office holding them")
struct CockpitEnterpriseTests {
    let t0 = Date(timeIntervalSince1970: 1_790_000_000)
    func day(_ n: Double) -> Date { t0.addingTimeInterval(n * 86_400) }

    /// 5 enterprises, 7 claims, as `CockpitSource` reads them after the rulings.
    var input: CockpitInput {
        CockpitInput(claims: [
            // 观途: 360402 filed first; the city transferred it to 360404 (流转).
            .init(id: 1, office: "360402", filedAt: day(0), stage: .negotiating, reached: [.lead: day(0), .negotiating: day(1)],
                  status: "released", outcome: "transferred_out", enterprise: 2, counts: false),
            .init(id: 2, office: "360404", filedAt: day(1), stage: .signed, reached: [.lead: day(1), .negotiating: day(3), .signed: day(9)],
                  status: "held", outcome: "transferred_in", enterprise: 2, counts: true),
            // 晶科: 360423 holds it; 360402's claim lost.
            .init(id: 3, office: "360423", filedAt: day(2), stage: .lead, reached: [.lead: day(2)],
                  status: "held", outcome: "won", enterprise: 3, counts: true),
            .init(id: 4, office: "360402", filedAt: day(3), stage: .lead, reached: [.lead: day(3)],
                  status: "released", outcome: "lost", enterprise: 3, counts: false),
            // 赣锋: 360404 alone.
            .init(id: 5, office: "360404", filedAt: day(4), stage: .negotiating, reached: [.lead: day(4), .negotiating: day(6)],
                  status: "held", enterprise: 5, counts: true),
            // Dropped by 360402 and taken over by nobody: still one enterprise, at 终止.
            .init(id: 6, office: "360402", filedAt: day(5), stage: .dropped, reached: [.lead: day(5), .negotiating: day(7), .dropped: day(8)],
                  status: "released", enterprise: 6, counts: true),
            // A new lead of 360423.
            .init(id: 7, office: "360423", filedAt: day(6), stage: .lead, reached: [.lead: day(6)], status: "held", enterprise: 7, counts: true),
        ])
    }

    func rows() -> [String: CockpitRow] {
        Dictionary(uniqueKeysWithValues: Cockpit.compute(input, from: day(0), to: day(50), now: day(60)).map { ($0.scope, $0) })
    }

    @Test("7 claims on 5 enterprises: the funnel, the counties and the total count 5")
    func fiveEnterprises() throws {
        let rows = rows()
        let total = try #require(rows[Cockpit.total])
        #expect(total.enterprises == 5)
        #expect(total.claimsFiled == 7)
        #expect(total.reached[.lead] == 5, "the funnel starts at 5 enterprises, not 7 claims")
        #expect(total.reached == [.lead: 5, .negotiating: 3, .signed: 1])
        #expect(total.byStage == [.lead: 2, .negotiating: 1, .signed: 1, .dropped: 1])
        #expect(Cockpit.path.map { total.reached[$0] ?? 0 } == [5, 3, 1, 0, 0, 0])
        let counties = ["360402", "360404", "360423"].map { rows[$0]?.enterprises }
        #expect(counties == [1, 2, 2], "each enterprise under the office holding it")
        #expect(counties.compactMap { $0 }.reduce(0, +) == total.enterprises)
        #expect(rows["360402"]?.claimsFiled == 3)
    }

    @Test("transfers are stated: in under the receiving office, out under the giving one")
    func transfers() throws {
        let rows = rows()
        #expect(rows["360404"]?.transfersIn == 1)
        #expect(rows["360404"]?.transfersOut == 0)
        #expect(rows["360402"]?.transfersOut == 1)
        #expect(rows["360402"]?.transfersIn == 0)
        #expect(rows[Cockpit.total]?.transfersIn == 1 && rows[Cockpit.total]?.transfersOut == 1)
        // The transferred enterprise's stages are the receiving office's: 签约 after 8 days.
        #expect(rows["360404"]?.daysToSigned == Spread(median: 8, p90: 8, count: 1))
    }

    @Test("a joint holding is counted once, under the holder, with its partners listed")
    func jointHolding() throws {
        let input = CockpitInput(claims: [
            .init(id: 10, office: "360423", filedAt: day(0), stage: .lead, reached: [:], status: "joint", outcome: "joint",
                  enterprise: 10, counts: true),
            .init(id: 11, office: "360402", filedAt: day(1), stage: .lead, reached: [:], status: "joint", outcome: "joint",
                  enterprise: 10, counts: false),
            .init(id: 12, office: "360404", filedAt: day(2), stage: .lead, reached: [:], status: "released", outcome: "lost",
                  enterprise: 10, counts: false),
        ])
        let rows = Dictionary(uniqueKeysWithValues: Cockpit.compute(input, from: day(0), to: day(50), now: day(60)).map { ($0.scope, $0) })
        let total = try #require(rows[Cockpit.total])
        #expect(total.enterprises == 1 && total.claimsFiled == 3 && total.jointHeld == 1 && total.jointShared == 1)
        #expect(total.jointPartners.isEmpty)
        let holder = try #require(rows["360423"])
        #expect(holder.enterprises == 1 && holder.jointHeld == 1 && holder.jointPartners == ["360402"])
        let partner = try #require(rows["360402"])
        #expect(partner.enterprises == 0 && partner.jointShared == 1 && partner.claimsFiled == 1)
        #expect(rows["360404"]?.enterprises == 0)
    }

    @Test("the enterprise is counted in the window its holding claim was filed in")
    func window() throws {
        let rows = Dictionary(uniqueKeysWithValues: Cockpit.compute(input, from: day(0), to: day(2), now: day(60)).map { ($0.scope, $0) })
        // Claims 1 and 2 are in the window; only claim 2 counts (观途 under 360404).
        #expect(rows[Cockpit.total]?.enterprises == 1)
        #expect(rows[Cockpit.total]?.claimsFiled == 2)
        #expect(rows["360402"]?.enterprises == 0 && rows["360402"]?.transfersOut == 1)
    }
}
