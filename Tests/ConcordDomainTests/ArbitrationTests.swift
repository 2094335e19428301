import Foundation
import Testing
@testable import ConcordDomain

@Suite("Arbitration rules")
struct ArbitrationTests {
    let policy = ProtectionPolicy(windowDays: 180, taskforceThresholdWan: 1_000_000)
    let t0 = Date(timeIntervalSince1970: 1_790_000_000)
    func days(_ n: Double) -> TimeInterval { n * 86_400 }

    @Test("the first valid report wins by default")
    func firstReportWins() {
        let parties = [
            ConflictParty(claimID: 2, office: "360404", receivedAt: t0.addingTimeInterval(days(3))),
            ConflictParty(claimID: 1, office: "360402", receivedAt: t0),
        ]
        let recommendation = ArbitrationRules.recommend(parties, policy: policy, now: t0.addingTimeInterval(days(10)))
        #expect(recommendation.decision == .award(office: "360402"))
        #expect(recommendation.reasons.first?.contains("首报首谈") == true)
    }

    @Test("a claim with no progress past its window loses protection; progress renews it")
    func lapsedClaimLosesProtection() {
        let stale = ConflictParty(claimID: 1, office: "360402", receivedAt: t0)
        let later = ConflictParty(claimID: 2, office: "360404", receivedAt: t0.addingTimeInterval(days(100)))
        let now = t0.addingTimeInterval(days(200))
        let recommendation = ArbitrationRules.recommend([stale, later], policy: policy, now: now)
        #expect(recommendation.decision == .award(office: "360404"))
        #expect(recommendation.reasons.first?.contains("保护已失效") == true)
        #expect(policy.isLapsed(receivedAt: t0, lastProgressAt: nil, now: now))
        #expect(!policy.isLapsed(receivedAt: t0, lastProgressAt: t0.addingTimeInterval(days(90)), now: now))
        let renewed = ConflictParty(claimID: 1, office: "360402", receivedAt: t0, lastProgressAt: t0.addingTimeInterval(days(90)))
        #expect(ArbitrationRules.recommend([renewed, later], policy: policy, now: now).decision == .award(office: "360402"))
    }

    @Test("projects above the threshold go to the task force, and only the task force may take them")
    func taskforce() {
        let parties = [ConflictParty(claimID: 1, office: "360402", receivedAt: t0, investmentWan: 1_200_000),
                       ConflictParty(claimID: 2, office: "360404", receivedAt: t0.addingTimeInterval(60))]
        #expect(ArbitrationRules.recommend(parties, policy: policy, now: t0).decision == .taskforce)
        #expect(ArbitrationRules.validate(.award(office: "360402"), parties: parties, reason: "首报", currentDecision: nil,
                                          supersedes: nil, policy: policy)?.code == "TASKFORCE_REQUIRED")
        #expect(ArbitrationRules.validate(.taskforce, parties: parties, reason: "超过门槛", currentDecision: nil,
                                          supersedes: nil, policy: policy) == nil)
    }

    @Test("a decided conflict is changed only by a decision that supersedes the current one")
    func supersede() {
        let parties = [ConflictParty(claimID: 1, office: "360402", receivedAt: t0),
                       ConflictParty(claimID: 2, office: "360404", receivedAt: t0.addingTimeInterval(60))]
        let award = ArbitrationDecision.award(office: "360404")
        #expect(ArbitrationRules.validate(award, parties: parties, reason: "改判", currentDecision: 7, supersedes: nil,
                                          policy: policy) == .alreadyDecided(decisionID: 7))
        #expect(ArbitrationRules.validate(award, parties: parties, reason: "改判", currentDecision: 7, supersedes: 6,
                                          policy: policy)?.code == "WRONG_SUPERSEDE")
        #expect(ArbitrationRules.validate(award, parties: parties, reason: "改判", currentDecision: 7, supersedes: 7,
                                          policy: policy) == nil)
    }

    @Test("transfers and joint pursuit check their parties and splits; every decision needs a reason")
    func splits() {
        let parties = [ConflictParty(claimID: 1, office: "360402", receivedAt: t0),
                       ConflictParty(claimID: 2, office: "360404", receivedAt: t0.addingTimeInterval(60))]
        func check(_ decision: ArbitrationDecision, reason: String = "理由") -> String? {
            ArbitrationRules.validate(decision, parties: parties, reason: reason, currentDecision: nil, supersedes: nil, policy: policy)?.code
        }
        #expect(check(.transfer(from: "360402", to: "360404", fromShare: 50, toShare: 50, years: 5)) == nil)
        #expect(check(.transfer(from: "360402", to: "360404", fromShare: 60, toShare: 50, years: 5)) == "BAD_SPLIT")
        #expect(check(.transfer(from: "360423", to: "360404", fromShare: 50, toShare: 50, years: 5)) == "NOT_A_PARTY")
        #expect(check(.transfer(from: "360402", to: "360423", fromShare: 50, toShare: 50, years: 5)) == "NOT_A_PARTY")
        #expect(check(.joint(offices: ["360402", "360404"], shares: [60, 40])) == nil)
        #expect(check(.joint(offices: ["360402", "360404"], shares: [60, 30])) == "BAD_SPLIT")
        #expect(check(.award(office: "360423")) == "NOT_A_PARTY")
        #expect(check(.reject(claimID: 9)) == "UNKNOWN_CLAIM")
        #expect(check(.distinct, reason: "  ") == "REASON_REQUIRED")
        #expect(ArbitrationRules.shares("50:50") == [50, 50])
        #expect(ArbitrationRules.shares("50") == nil)
    }

    @Test("every refusal has a stable code and a Chinese explanation")
    func explanations() {
        let errors: [ArbitrationError] = [.notCoordinator("360402"), .alreadyDecided(decisionID: 1), .wrongSupersede(current: 1, given: 2),
                                          .notAParty("x"), .badSplit("x"), .taskforceRequired(investmentWan: 2, thresholdWan: 1),
                                          .reasonRequired, .unknownClaim(3)]
        #expect(Set(errors.map(\.code)).count == errors.count)
        for error in errors { #expect(error.explanation.unicodeScalars.contains { $0.value >= 0x4E00 }) }
    }
}
