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
}
