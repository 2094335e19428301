import ConcordDomain
import Foundation
import Testing

@Suite("Review status (联审进度)")
struct ReviewStatusTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    func at(_ hours: Double) -> Date { t0.addingTimeInterval(hours * 3600) }

    var readers: [ReviewStatus.Reader] {
        [
            .init(id: "zrzy", name: "自然资源局", patterns: [TopicPattern("stage.*")!]),
            .init(id: "fgw", name: "发改委", patterns: [TopicPattern("stage.signed")!]),
            .init(id: "yjj", name: "应急管理局", patterns: [TopicPattern("conflict.*")!, TopicPattern("opinion.*")!]),
            .init(id: "scj", name: "市场监管局", patterns: [TopicPattern("county.360403.*")!]),
        ]
    }

    @Test("asked from the first project event a department may see; answered by its latest opinion; pending first")
    func computesEntries() {
        let events: [ReviewStatus.Event] = [
            .init(topic: "conflict.opened", county: "360402", at: at(0)),
            .init(topic: "stage.negotiating", county: "360402", at: at(1)),
            .init(topic: "stage.signed", county: "360402", at: at(5)),
            .init(topic: "opinion.added", county: "360402", at: at(7)),
        ]
        let opinions: [ReviewStatus.Opinion] = [
            .init(department: "zrzy", verdict: "conditional", at: at(6)),
            .init(department: "zrzy", verdict: "approve", at: at(30)),
        ]
        let entries = ReviewStatus.compute(readers: readers, events: events, opinions: opinions)
        // yjj sees only conflicts and opinions: informed, not asked. scj is granted another county.
        #expect(entries.map(\.department) == ["fgw", "zrzy"])
        #expect(entries[0].since == at(5) && entries[0].isPending)
        #expect(entries[1].since == at(1) && entries[1].answeredAt == at(30) && entries[1].verdict == "approve")
        #expect(entries[1].waited(now: at(100)) == 29 * 3600)
        #expect(entries[0].waited(now: at(29)) == 24 * 3600)
        #expect(ReviewStatus.counts(entries) == (answered: 1, pending: 1))
        #expect(ReviewStatus.describe(entries[0], now: at(31)) == "发改委 待答复，已等 1 天 2 小时")
        #expect(ReviewStatus.describe(entries[1], now: at(31)) == "自然资源局 同意，用时 1 天 5 小时")
    }

    @Test("a department that answered without being asked, or is no longer a reader, is still listed as answered")
    func answeredWithoutBeingAsked() {
        let events: [ReviewStatus.Event] = [.init(topic: "conflict.opened", county: "360402", at: at(0))]
        let opinions: [ReviewStatus.Opinion] = [
            .init(department: "yjj", verdict: "reject", at: at(2)),
            .init(department: "gone", verdict: "approve", at: at(3)),
        ]
        let entries = ReviewStatus.compute(readers: readers, events: events, opinions: opinions, names: ["gone": "已撤销部门"])
        #expect(entries.map(\.department) == ["yjj", "gone"])
        #expect(entries[0].since == at(0) && entries[0].answeredAt == at(2))
        #expect(entries[1].departmentName == "已撤销部门" && entries[1].waited(now: at(9)) == 0)
    }

    @Test("no project event, no opinion: nobody is waited for")
    func nothingAsked() {
        #expect(ReviewStatus.compute(readers: readers, events: [], opinions: []).isEmpty)
        #expect(ReviewStatus.chineseDuration(59) == "0 分钟")
        #expect(ReviewStatus.chineseDuration(3 * 86_400) == "3 天")
    }
}
