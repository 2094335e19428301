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
        #expect(total.leadsFiled == 4)
        #expect(total.byStage == [.signed: 2, .lead: 1, .dropped: 1])
        let lianxi = try #require(rows["360402"])
        #expect(lianxi.leadsFiled == 3)
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
