import Testing
@testable import ConcordDomain

@Suite("Feed topics and grants")
struct TopicPatternTests {
    func p(_ text: String) -> TopicPattern { TopicPattern(text)! }

    @Test("exact words, one-word wildcards and a trailing wildcard")
    func matching() {
        #expect(p("stage.signed").matches("stage.signed"))
        #expect(!p("stage.signed").matches("stage.registered"))
        #expect(p("stage.*").matches("stage.signed"))
        #expect(!p("stage.*").matches("stage"))
        #expect(p("*.decided").matches("conflict.decided"))
        #expect(!p("*.decided").matches("conflict.opened"))
        #expect(p("county.360402.*").matches("county.360402.stage.signed"))
        #expect(!p("county.360402.*").matches("county.360403.stage.signed"))
    }

    @Test("an event about a county is visible through its county address too, and nothing else leaks")
    func grants() {
        let land = [p("stage.signed"), p("stage.registered")]
        #expect(TopicPattern.allows(land, topic: "stage.signed", county: "360402"))
        #expect(!TopicPattern.allows(land, topic: "conflict.decided", county: "360402"))
        let oneCounty = [p("county.360402.*")]
        #expect(TopicPattern.allows(oneCounty, topic: "conflict.decided", county: "360402"))
        #expect(!TopicPattern.allows(oneCounty, topic: "conflict.decided", county: "360404"))
        #expect(!TopicPattern.allows([], topic: "stage.signed", county: "360402"))
    }

    @Test("malformed patterns are refused")
    func malformed() {
        #expect(TopicPattern("") == nil)
        #expect(TopicPattern("stage..signed") == nil)
        #expect(TopicPattern("stage.sig ned") == nil)
        #expect(TopicPattern("stage.%") == nil)
    }
}
