import Foundation

/// What the hub knows about a county for dispatch: leading industries and chains, available land
/// by park, energy and environmental headroom, policy tags.
public struct CountyProfile: Sendable, Equatable {
    public var county: String
    public var industries: [String]
    public var chains: [String]
    public var landByPark: [String: Double]
    public var energyTce: Double
    public var environment: Double
    public var policyTags: [String]

    public init(county: String, industries: [String] = [], chains: [String] = [], landByPark: [String: Double] = [:],
                energyTce: Double = 0, environment: Double = 0, policyTags: [String] = []) {
        self.county = county
        self.industries = industries
        self.chains = chains
        self.landByPark = landByPark
        self.energyTce = energyTce
        self.environment = environment
        self.policyTags = policyTags
    }
}

/// A city-level lead's needs, as dispatch sees them.
public struct CityLeadNeeds: Sendable, Equatable {
    public var industry: String?
    public var chain: String?
    public var landMu: Double?
    public var energyTce: Double?
    public var environment: Double?

    public init(industry: String? = nil, chain: String? = nil, landMu: Double? = nil, energyTce: Double? = nil, environment: Double? = nil) {
        self.industry = industry
        self.chain = chain
        self.landMu = landMu
        self.energyTce = energyTce
        self.environment = environment
    }
}

/// An office's claim on the enterprise a city lead names, found the way a filing is matched.
public struct DispatchPursuit: Sendable, Equatable {
    public let claimID: Int64
    public let office: String
    public let state: ClaimState
    /// 首报: when the office reported it.
    public let receivedAt: Date
    /// The office holding the enterprise (protected by 首报首谈 or a ruling).
    public let isHolder: Bool
    /// `same`: judged the same enterprise; `possible`: possibly the same (shown, blocks nobody).
    public let sameEnterprise: Bool
    /// Why the names match (the identity core's reasons).
    public let reasons: [String]

    public init(claimID: Int64, office: String, state: ClaimState, receivedAt: Date, isHolder: Bool, sameEnterprise: Bool,
                reasons: [String]) {
        self.claimID = claimID
        self.office = office
        self.state = state
        self.receivedAt = receivedAt
        self.isHolder = isHolder
        self.sameEnterprise = sameEnterprise
        self.reasons = reasons
    }
}

/// A recommendation for a city lead: every county ranked, the offices already pursuing the
/// enterprise, and which county (if any) to offer it to.
public struct DispatchAdvice: Sendable, Equatable {
    /// The holder first (「已在跟进」), then by fit.
    public let ranked: [CountyRecommendation]
    public let pursuits: [DispatchPursuit]
    /// The office holding the enterprise: a dispatch to anyone else needs an override reason.
    public var holder: DispatchPursuit? { pursuits.first { $0.isHolder } }
    /// The county to mark 首选: the holder, else the best county that reaches the minimum fit;
    /// nil when none does (the page and `recommend` say so instead).
    public var preferred: String? { holder?.office ?? ranked.first { $0.fits }?.county }
}

/// One county's place in a recommendation, with every factor that moved its score.
public struct CountyRecommendation: Sendable, Equatable {
    public struct Factor: Sendable, Equatable {
        public let name: String
        public let points: Double
        public let explanation: String
    }

    public let county: String
    /// 0…100; the sum of the factors, clamped.
    public let score: Double
    public let factors: [Factor]
    /// Reaches the minimum fit (DispatchScoring.minimumScore, and the industry when the lead names one).
    public var fits: Bool {
        score >= DispatchScoring.minimumScore && (factors.first { $0.name == "industry" }.map { $0.points > 0 } ?? true)
    }
    /// 「已在跟进」 with the claim's state and 首报 time, when this county already pursues the enterprise.
    public var pursuit: String?

    /// One line an officer reads: the score and every factor with its points.
    public var explanation: String {
        (pursuit.map { $0 + "；" } ?? "") + "推荐分 \(DispatchScoring.format(score))：" + factors.map {
            "\($0.explanation)（\($0.points >= 0 ? "+" : "")\(DispatchScoring.format($0.points))）"
        }.joined(separator: "；")
    }
}

/// The dispatch score. Every factor and its weight is defined here, in one place:
/// - industry fit: +40 when the lead's industry is among the county's leading industries, +15 when
///   only related (one contains the other), 0 otherwise; +20 more when the industry chain matches;
/// - land: +20 when one park has the land the project needs, +10 when the parks together do,
///   −20 when they do not; 0 when the lead states no need;
/// - energy: +10 when the headroom covers the need, −15 when it does not;
/// - environment: +10 when the headroom covers the need, −15 when it does not;
/// - load: −2 for each lead the county holds or was offered and has not finished, at most −20.
///
/// A county fits when it scores at least `minimumScore` and, when the lead names an industry, its
/// industries match it at least in part. An office already pursuing the enterprise ranks first
/// whatever its score (首报首谈: the city does not dispatch a pursued enterprise to another county).
public enum DispatchScoring {
    /// The least score a county needs to be recommended at all.
    public static let minimumScore = 30.0

    public static func rank(_ needs: CityLeadNeeds, profiles: [CountyProfile], openLoad: [String: Int]) -> [CountyRecommendation] {
        profiles.map { score(needs, $0, load: openLoad[$0.county] ?? 0) }
            .sorted { ($0.score, $1.county) > ($1.score, $0.county) }
    }

    /// The ranking with the enterprise's pursuers: the holder first with 「已在跟进」, every other
    /// pursuing office marked; a pursuing office without a profile is still listed.
    public static func advise(_ needs: CityLeadNeeds, profiles: [CountyProfile], openLoad: [String: Int],
                              pursuits: [DispatchPursuit]) -> DispatchAdvice {
        var ranked = rank(needs, profiles: profiles, openLoad: openLoad)
        for pursuit in pursuits where !ranked.contains(where: { $0.county == pursuit.office }) {
            ranked.append(CountyRecommendation(county: pursuit.office, score: 0, factors: []))
        }
        for index in ranked.indices {
            let mine = pursuits.filter { $0.office == ranked[index].county }
            guard let first = mine.first(where: \.isHolder) ?? mine.first else { continue }
            let since = ArbitrationRules.day(first.receivedAt)
            ranked[index].pursuit = first.isHolder
                ? "已在跟进（\(first.state.label)，首报 \(since)）"
                : first.sameEnterprise ? "也在跟进（\(first.state.label)，报备于 \(since)）" : "可能在跟进同一企业（报备于 \(since)）"
        }
        if let holder = pursuits.first(where: \.isHolder), let at = ranked.firstIndex(where: { $0.county == holder.office }) {
            ranked.insert(ranked.remove(at: at), at: 0)
        }
        return DispatchAdvice(ranked: ranked, pursuits: pursuits)
    }


    static func score(_ needs: CityLeadNeeds, _ profile: CountyProfile, load: Int) -> CountyRecommendation {
        var factors: [CountyRecommendation.Factor] = []
        func add(_ name: String, _ points: Double, _ text: String) {
            factors.append(.init(name: name, points: points, explanation: text))
        }
        if let industry = needs.industry, !industry.isEmpty {
            if profile.industries.contains(industry) {
                add("industry", 40, "主导产业包含「\(industry)」")
            } else if let related = profile.industries.first(where: { $0.contains(industry) || industry.contains($0) }) {
                add("industry", 15, "主导产业「\(related)」与「\(industry)」相关")
            } else {
                add("industry", 0, "主导产业（\(profile.industries.joined(separator: "、")))不含「\(industry)」")
            }
        }
        if let chain = needs.chain, !chain.isEmpty, profile.chains.contains(where: { $0.contains(chain) || chain.contains($0) }) {
            add("chain", 20, "产业链包含「\(chain)」")
        }
        if let need = needs.landMu, need > 0 {
            let best = profile.landByPark.max { $0.value < $1.value }
            let total = profile.landByPark.values.reduce(0, +)
            if let best, best.value >= need {
                add("land", 20, "「\(best.key)」可用地 \(format(best.value)) 亩，满足 \(format(need)) 亩")
            } else if total >= need {
                add("land", 10, "各园区合计可用地 \(format(total)) 亩，满足 \(format(need)) 亩，但需分园区")
            } else {
                add("land", -20, "可用地合计 \(format(total)) 亩，不足 \(format(need)) 亩")
            }
        }
        if let need = needs.energyTce, need > 0 {
            profile.energyTce >= need
                ? add("energy", 10, "能耗指标余量 \(format(profile.energyTce)) 吨标煤，满足 \(format(need))")
                : add("energy", -15, "能耗指标余量 \(format(profile.energyTce)) 吨标煤，不足 \(format(need))")
        }
        if let need = needs.environment, need > 0 {
            profile.environment >= need
                ? add("environment", 10, "环境容量余量 \(format(profile.environment))，满足 \(format(need))")
                : add("environment", -15, "环境容量余量 \(format(profile.environment))，不足 \(format(need))")
        }
        if load > 0 {
            add("load", -Double(min(20, 2 * load)), "正在跟进或待答复的项目 \(load) 个")
        }
        let total = min(100, max(0, factors.map(\.points).reduce(0, +)))
        return CountyRecommendation(county: profile.county, score: total, factors: factors)
    }

    public static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// Deadlines of a city dispatch (Jiangmen 2024: respond in 1 day, assess in 3 days).
public struct DispatchDeadlines: Sendable, Equatable {
    public var respondHours: Int
    public var assessHours: Int

    public init(respondHours: Int = 24, assessHours: Int = 72) {
        self.respondHours = respondHours
        self.assessHours = assessHours
    }
}
