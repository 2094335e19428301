import ConcordProtocol
import ConcordStore
import ConcordTestSupport
import Foundation
import Testing
import ZeroMQ
@testable import ConcordHub

/// One office cannot stall the others: what costs the hub database work is limited per office
/// before that work is done. Figures are printed; the bound is loose (the machine is shared), and
/// far below what a flood cost before (2,000 hellos kept another office's check waiting 13–19 s).
@Suite("One office's flood does not stall the others", .serialized)
struct FloodTests {
    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Checks one after another from `client`, each timed; returns the latencies in ms.
    static func timedChecks(_ client: Client, count: Int) async throws -> [Double] {
        var latencies: [Double] = []
        for _ in 0..<count {
            let started = ContinuousClock.now
            let id = try await client.send(.check(Check(name: "九江恒通物流有限公司")))
            guard await client.expect(within: 30, { $0.re == id }) != nil else { latencies.append(30_000); continue }
            latencies.append(seconds(started.duration(to: .now)) * 1000)
        }
        return latencies
    }

    @Test("2,000 hellos, 2,000 repeated acks and 500 opinions from one tenant cost another office's checks at most a few milliseconds")
    func floodDoesNotStallOthers() async throws {
        try await HubHarness.run(messagesPerSecond: 5_000) { hub in
            let flooder = try await hub.connect("360402")
            let department = try await hub.connect("fgw")
            let other = try await hub.connect("360403")
            try await flooder.greet()
            try await other.greet()
            let baseline = try await Self.timedChecks(other, count: 20)

            let started = ContinuousClock.now
            let flood = Task {
                for _ in 0..<2_000 { flooder.post(.hello(Hello(nodeVersion: "test", receivedThrough: 0))) }
                for _ in 0..<2_000 { flooder.post(.ack(Ack(through: 0))) }
            }
            let opinions = Task {
                for _ in 0..<500 {
                    department.post(.opinionAdd(OpinionAdd(opinionID: UUID().uuidString.lowercased(), claim: 1, verdict: .approve, text: "同意", conditions: nil)))
                }
            }
            let during = try await Self.timedChecks(other, count: 40)
            await flood.value
            await opinions.value
            try await Task.sleep(for: .milliseconds(500))
            let elapsed = Self.seconds(started.duration(to: .now))
            let sortedBase = baseline.sorted(), sortedDuring = during.sorted()
            let worst = sortedDuring.last ?? 0, median = sortedDuring[sortedDuring.count / 2]
            print("flood: another office's check p50 \(String(format: "%.1f", sortedBase[sortedBase.count / 2])) ms before, "
                  + "p50 \(String(format: "%.1f", median)) ms and max \(String(format: "%.1f", worst)) ms during the flood")
            // Measured alone on the 2-core machine: p50 unchanged (10.4 ms), max 190–400 ms, most of it
            // the CPU this process spends encrypting and decrypting the flood for both sides (2,000
            // acks alone, which cost no database work, give a max of 80 ms; no flood, 40 ms). Before
            // the per-sender turns and limits, 2,000 hellos alone stalled it for 13–19 s. The bound
            // leaves room for the other suites running beside this one (with them: p50 94 ms before,
            // max 2.1 s during), and still fails the way it did before.
            let bound = max(5_000, 40 * sortedBase[sortedBase.count / 2])
            #expect(worst < bound, "another office's check waited \(worst) ms during the flood (bound \(bound) ms)")

            // The flooder's hellos were coalesced: five a second answered, not 2,000; the
            // department's opinions were handled twenty a second, the rest refused unread.
            let welcomes = flooder.all().filter { if case .welcome = $0.payload { return true } else { return false } }.count
            #expect(Double(welcomes) <= 1 + 5 * (elapsed + 1), "\(welcomes) hellos answered in \(elapsed) s")
            let answered = department.all().filter { $0.errorCode != "RATE_LIMITED" }.count
            #expect(Double(answered) <= 20 + 20 * (elapsed + 1), "\(answered) opinions handled in \(elapsed) s")
            print("flood: \(welcomes) of 2,000 hellos and \(answered) of 500 opinions handled in \(String(format: "%.1f", elapsed)) s")
            for client in [flooder, department, other] { await client.close() }
        }
    }
}

@Suite("Messages taken in turn per sender")
struct FairOrderTests {
    @Test("a sender with many waiting does not hold back another's one; a full sender's next message is dropped, others' are not")
    func turns() {
        var order = FairOrder<String>(perSenderLimit: 3)
        var pushed: [Bool] = []
        for i in 0..<4 { pushed.append(order.push("a\(i)", from: "flooder")) }
        #expect(pushed == [true, true, true, false], "the flooder's fourth is dropped: its queue is full")
        pushed = [order.push("b0", from: "other")]
        var taken = [order.pop(), order.pop()]
        #expect(taken == ["a0", "b0"], "the other sender's message comes after one of the flooder's, not after all")
        pushed.append(order.push("b1", from: "other"))
        taken = [order.pop(), order.pop(), order.pop(), order.pop()]
        #expect(pushed == [true, true] && taken == ["a1", "b1", "a2", nil] && order.count == 0)
        // Long runs keep order within a sender.
        var long = FairOrder<Int>(perSenderLimit: 10_000)
        for i in 0..<1_000 { _ = long.push(i, from: i % 2 == 0 ? "x" : "y") }
        var seen: [String: [Int]] = [:]
        while let next = long.pop() { seen[next % 2 == 0 ? "x" : "y", default: []].append(next) }
        #expect(seen["x"] == Array(stride(from: 0, to: 1_000, by: 2)) && seen["y"] == Array(stride(from: 1, to: 1_000, by: 2)))
    }
}

@Suite("Limits survive a restart", .serialized)
struct RestartedLimitTests {
    @Test("an office that spent its check budget has not got a fresh one from a hub restart")
    func checkBudgetAfterRestart() async throws {
        try await HubHarness.run { hub in
            let office = try await hub.connect("360402")
            for _ in 0..<5 {
                let id = try await office.send(.check(Check(name: "九江恒通物流有限公司")))
                #expect(await office.expect { $0.re == id } != nil)
            }
            // A new hub process on the same database, with a budget of five checks a minute.
            let configuration = HubConfiguration(bind: "tcp://127.0.0.1:*", keys: try CurveKeyPair.generate(), database: hub.db.configuration,
                                                 checksPerMinute: 5)
            let restarted = HubService(configuration: configuration, database: hub.db, logger: TestDatabase.logger)
            try await restarted.seedCheckBudgets()
            #expect(!restarted.takeToken("360402"), "the five checks before the restart still count")
            #expect(restarted.takeToken("360403"), "another office's budget is untouched")
            await office.close()
        }
    }
}
