import Foundation
import Testing
@testable import ConcordDomain

@Suite("Dispatch recommendations")
struct DispatchScoringTests {
    let profiles = [
        CountyProfile(county: "360404", industries: ["新能源", "装备制造"], chains: ["锂电池"], landByPark: ["城西工业园": 600, "港口园": 200],
                      energyTce: 50_000, environment: 400),
        CountyProfile(county: "360402", industries: ["文旅", "现代服务业"], landByPark: ["濂溪园": 80], energyTce: 5_000, environment: 50),
        CountyProfile(county: "360423", industries: ["新材料"], chains: ["有机硅"], landByPark: ["武宁工业园": 300, "东区": 300],
                      energyTce: 30_000, environment: 300),
    ]

    @Test("counties are ranked by fit, and every factor explains its points")
    func ranking() {
        let needs = CityLeadNeeds(industry: "新能源", chain: "锂电池", landMu: 500, energyTce: 20_000, environment: 100)
        let ranked = DispatchScoring.rank(needs, profiles: profiles, openLoad: ["360404": 3])
        #expect(ranked.map(\.county) == ["360404", "360423", "360402"])
        let best = ranked[0]
        #expect(best.score == 40 + 20 + 20 + 10 + 10 - 6)
        #expect(best.factors.map(\.name) == ["industry", "chain", "land", "energy", "environment", "load"])
        #expect(best.factors.first?.explanation == "主导产业包含「新能源」")
        let wuning = ranked[1]
        #expect(wuning.factors.first { $0.name == "land" }?.points == 10)
        let lianxi = ranked[2]
        #expect(lianxi.score == 0)
        #expect(lianxi.factors.first { $0.name == "land" }?.explanation.contains("不足") == true)
    }

    @Test("load lowers a score by 2 per open lead, at most 20")
    func load() {
        let needs = CityLeadNeeds(industry: "新能源")
        #expect(DispatchScoring.rank(needs, profiles: [profiles[0]], openLoad: ["360404": 50])[0].score == 20)
        #expect(DispatchScoring.rank(needs, profiles: [profiles[0]], openLoad: [:])[0].score == 40)
    }

    @Test("no county is marked 首选 when none reaches the minimum fit; the holder ranks first with 「已在跟进」")
    func minimumFitAndPursuit() {
        let needs = CityLeadNeeds(industry: "现代物流", landMu: 100)
        let profiles = [CountyProfile(county: "A", industries: ["文化旅游"], landByPark: ["园": 500]),
                        CountyProfile(county: "B", industries: ["生物医药"], landByPark: ["园": 50])]
        let none = DispatchScoring.advise(needs, profiles: profiles, openLoad: [:], pursuits: [])
        #expect(none.ranked.allSatisfy { !$0.fits })
        #expect(none.preferred == nil, "an industry mismatch everywhere: nobody is 首选")
        let fitting = DispatchScoring.advise(needs, profiles: profiles + [CountyProfile(county: "C", industries: ["现代物流"], landByPark: ["园": 200])],
                                             openLoad: [:], pursuits: [])
        #expect(fitting.preferred == "C")
        let held = DispatchPursuit(claimID: 7, office: "B", state: .held, receivedAt: Date(timeIntervalSince1970: 1_790_000_000),
                                   isHolder: true, sameEnterprise: true, reasons: ["统一社会信用代码相同"])
        let advice = DispatchScoring.advise(needs, profiles: profiles + [CountyProfile(county: "C", industries: ["现代物流"], landByPark: ["园": 200])],
                                            openLoad: [:], pursuits: [held])
        #expect(advice.ranked.map(\.county) == ["B", "C", "A"])
        #expect(advice.preferred == "B")
        #expect(advice.ranked[0].pursuit == "已在跟进（占有，首报 2026-09-21）")
        #expect(advice.ranked[0].explanation.hasPrefix("已在跟进"))
        // A pursuing office without a profile is still listed.
        let unprofiled = DispatchScoring.advise(needs, profiles: profiles, openLoad: [:],
                                                pursuits: [DispatchPursuit(claimID: 8, office: "Z", state: .held, receivedAt: Date(),
                                                                           isHolder: true, sameEnterprise: true, reasons: [])])
        #expect(unprofiled.ranked.first?.county == "Z")
    }
}
