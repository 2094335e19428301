import Foundation
import Testing
@testable import ConcordDomain

@Suite("Lead lifecycle")
struct LeadStageTests {
    @Test("a lead walks the forward path one stage at a time to production")
    func forwardPath() throws {
        var stage = LeadStage.lead
        var walked = [stage]
        while let next = stage.next {
            stage = try stage.transition(to: next).get()
            walked.append(stage)
        }
        #expect(walked == [.lead, .negotiating, .signed, .registered, .construction, .production])
        #expect(walked.map(\.chineseName) == ["线索", "洽谈", "签约", "注册", "建设", "投产"])
    }

    @Test("every transition the rules allow, and no other")
    func transitionTable() {
        for from in LeadStage.allCases {
            for to in LeadStage.allCases {
                let allowed = (try? from.transition(to: to).get()) != nil
                let expected = !from.isFinal && from != to && (to == .dropped || to == from.next)
                #expect(allowed == expected, "\(from) → \(to)")
            }
        }
    }

    @Test("refusals say why, with a stable code")
    func refusals() {
        #expect(LeadStage.lead.transition(to: .signed) == .failure(.notNext(from: .lead, to: .signed, expected: .negotiating)))
        #expect(LeadStage.production.transition(to: .dropped) == .failure(.final(.production)))
        #expect(LeadStage.dropped.transition(to: .lead).failureCode == "STAGE_FINAL")
        #expect(LeadStage.signed.transition(to: .signed).failureCode == "STAGE_UNCHANGED")
        #expect(LeadStage.signed.transition(to: .negotiating).failureCode == "STAGE_BACKWARD")
        #expect(LeadStage.lead.transition(to: .registered).failureCode == "STAGE_SKIPPED")
    }

    @Test("stages parse from English codes and Chinese names")
    func parsing() {
        #expect(LeadStage(text: "签约") == .signed)
        #expect(LeadStage(text: "SIGNED") == .signed)
        #expect(LeadStage(text: "终止") == .dropped)
        #expect(LeadStage(text: "合同") == nil)
    }

    @Test("production settles a claim, dropping releases it, every other stage keeps it active")
    func claimEffects() {
        #expect(LeadStage.production.claimEffect == .settled)
        #expect(LeadStage.dropped.claimEffect == .released)
        for stage in [LeadStage.lead, .negotiating, .signed, .registered, .construction] {
            #expect(stage.claimEffect == .active)
        }
    }
}

extension Result where Failure == LeadStage.TransitionError {
    var failureCode: String? {
        if case .failure(let error) = self { return error.code }
        return nil
    }
}

@Suite("The lead lifecycle rule with the claim's state")
struct LeadLifecycleTests {
    func allowed(_ from: LeadStage, _ claim: ClaimState?) -> [LeadStage] {
        LeadStage.allCases.filter { if case .success = LeadLifecycle.check(from: from, to: $0, claim: claim) { return true }; return false }
    }

    @Test("held, joint, distinct and unanswered leads move forward or drop; contested ones may only drop; closed ones not at all")
    func claimStatesCloseLeads() {
        for state in [ClaimState.held, .heldByOwnOffice, .joint, .distinct, nil] {
            #expect(allowed(.negotiating, state) == [.signed, .dropped], "\(String(describing: state))")
        }
        #expect(allowed(.negotiating, .contested) == [.dropped])
        #expect(LeadLifecycle.check(from: .lead, to: .negotiating, claim: .contested) == .failure(.contested(to: .negotiating)))
        for state in [ClaimState.released, .lapsed] {
            #expect(allowed(.negotiating, state) == [.dropped], "a lost lead may be closed, not advanced")
            #expect(LeadLifecycle.check(from: .negotiating, to: .signed, claim: state) == .failure(.claimClosed(state)))
        }
        #expect(allowed(.negotiating, .taskforce).isEmpty)
        #expect(LeadLifecycle.check(from: .negotiating, to: .dropped, claim: .taskforce) == .failure(.claimClosed(.taskforce)))
        #expect(LeadLifecycle.check(from: .signed, to: .lead, claim: .held).failureCode == "STAGE_BACKWARD")
    }

    @Test("one claim-state vocabulary: stored states, notice-only states, labels, and how each is stored")
    func vocabulary() {
        #expect(ClaimState.stored.map(\.rawValue) == ["held", "contested", "settled", "released", "joint", "taskforce", "distinct"])
        #expect(ClaimState.heldByOwnOffice.stored == .held && ClaimState.lapsed.stored == .released)
        #expect(Set(ClaimState.allCases.map(\.label)).count == ClaimState.allCases.count, "labels tell states apart")
        #expect(ClaimState(text: "撞单待裁决") == .contested)
        #expect(DecisionOutcome(rawValue: "transferred_out")?.label == "已流转出")
    }

    @Test("only a forward move renews protection; an office's date far ahead of the hub's clock or over a year old is refused")
    func hubClockRules() {
        #expect(LeadLifecycle.renewsProtection(from: .lead, to: .negotiating))
        #expect(!LeadLifecycle.renewsProtection(from: .signed, to: .lead), "backwards renews nothing")
        #expect(!LeadLifecycle.renewsProtection(from: .signed, to: .dropped))
        #expect(!LeadLifecycle.renewsProtection(from: .signed, to: .signed))
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        #expect(OfficeDate.check(now, now: now) == nil)
        #expect(OfficeDate.check(now.addingTimeInterval(9 * 60), now: now) == nil, "a small skew is allowed")
        #expect(OfficeDate.check(now.addingTimeInterval(-300 * 86_400), now: now) == nil, "a node offline for months still delivers")
        #expect(OfficeDate.check(now.addingTimeInterval(11 * 60), now: now)?.code == "DATE_IN_FUTURE")
        #expect(OfficeDate.check(Date(timeIntervalSince1970: 4_070_908_800), now: now)?.code == "DATE_IN_FUTURE")
        #expect(OfficeDate.check(now.addingTimeInterval(-400 * 86_400), now: now) == .tooOld(days: 400))
        #expect(OfficeDate.Problem.tooOld(days: 400).explanation.contains("366"))
    }
}
