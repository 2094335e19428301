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
        #expect(LeadStage.signed.transition(to: .negotiating).failureCode == "STAGE_SKIPPED")
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
