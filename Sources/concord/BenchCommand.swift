import ArgumentParser
import ConcordDomain
import ConcordHub
import ConcordProtocol
import ConcordStore
import ConcordWeb
import Foundation
import Synchronization
import ZeroMQ

/// `concord bench`: load generators against a running hub (scripts/bench runs them all).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "压测运行中的协同中心：报备吞吐、查询延迟 (load a running hub through the real protocol).",
        subcommands: [BenchClaimsCommand.self, BenchChecksCommand.self, BenchFeedCommand.self, BenchDrainCommand.self],
        defaultSubcommand: BenchClaimsCommand.self
    )

    /// VmHWM: the process's peak resident memory.
    static func peakRSS(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return nil }
        return kilobytes * 1024
    }
}

struct BenchClaimsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "claims",
        abstract: "报备吞吐：模拟多个区县经真实协议报备（默认子命令）(claims through the real protocol; the default).",
        discussion: """
            登记 --offices 个临时区县租户（各有自己的 CURVE 密钥），每个区县按确认窗口尽快报备 --claims 条线索
            （或按 --rate 限速），其中 --duplicates 的比例是另一区县已报备企业的变体名称，用来制造撞单。
            结束时核对：每条报备恰好得到一个裁定，撞单数等于制造的重复数。输出吞吐、裁定延迟分位数与
            协同中心的峰值内存（给出 --hub-pid 时）。仅用于测试环境：租户会留在协同中心的数据库里。

            例: concord bench claims --config hub.toml --offices 8 --claims 2000 --duplicates 0.1 --hub-pid 4242
            """
    )
    @OptionGroup var hub: TenantCommand.HubConfigOption
    @Option(help: "协同中心地址（默认取配置的 bind，0.0.0.0 换成 127.0.0.1）(hub endpoint).") var endpoint: String?
    @Option(help: "模拟的区县数 (offices).") var offices = 8
    @Option(help: "每个区县的报备数 (claims per office).") var claims = 2_000
    @Option(help: "重复报备的比例 (share of duplicate claims).") var duplicates = 0.1
    @Option(help: "总速率，条/秒；0 为尽快 (total claims per second; 0 = as fast as acks allow).") var rate: Double = 0
    @Option(help: "每个区县未确认的最大报备数 (in-flight window per office).") var window = 256
    @Option(help: "协同中心进程号，用于读取峰值内存 (hub PID, for its peak RSS).") var hubPid: Int32?
    @Flag(help: "最后一行输出 JSON 摘要 (print a JSON summary line).") var json = false

    func run() async throws {
        try await reportingErrors {
            guard (1...64).contains(offices), (1...1_000_000).contains(claims), (0...0.5).contains(duplicates),
                  rate >= 0, (1...10_000).contains(window) else {
                throw CLIError("BAD_ARGUMENT", "--offices 1…64，--claims 1…1000000，--duplicates 0…0.5，--window 1…10000，--rate ≥ 0")
            }
            let configuration = try hub.load()
            let target = endpoint ?? configuration.bind.replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1")
            let run = String(UUID().uuidString.lowercased().prefix(6))
            let plan = BenchPlan(offices: offices, claims: claims, duplicateShare: duplicates, run: run)
            // Register the simulated offices, each with its own key.
            var keys: [CurveKeyPair] = []
            let logger = CLILogging.logger("concord.bench")
            for office in plan.offices { _ = office; keys.append(try CurveKeyPair.generate()) }
            let pairs = zip(plan.offices, keys).map { ($0, $1.publicKey) }
            try await Database.withDatabase(configuration.database, logger: logger) { db in
                for (office, publicKey) in pairs {
                    try await TenantStore.add(id: office, kind: .county, name: "压测区县 \(office)", publicKey: publicKey,
                                              client: db.client, logger: logger)
                }
            }
            FileHandle.standardError.write(Data("压测 \(run)：\(offices) 个区县 × \(claims) 条，重复 \(plan.planted) 条，窗口 \(window)，速率 \(rate == 0 ? "不限" : String(rate))\n".utf8))
            try await Task.sleep(for: .seconds(2.5))   // the hub reloads keys every 2 s
            let context = try Context()
            defer { context.terminate() }
            let clock = ContinuousClock()
            let start = clock.now
            let results = try await withThrowingTaskGroup(of: OfficeResult.self) { group in
                for (index, office) in plan.offices.enumerated() {
                    let names = plan.names[index]
                    let perOffice = rate / Double(offices)
                    let (key, hubKey, window) = (keys[index], configuration.keys.publicKey, self.window)
                    group.addTask {
                        try await BenchOffice.run(office: office, names: names, keys: key, hubKey: hubKey, endpoint: target,
                                                  context: context, window: window, rate: perOffice, start: start)
                    }
                }
                var all: [OfficeResult] = []
                for try await result in group { all.append(result) }
                return all
            }
            let elapsed = start.duration(to: results.map(\.finished).max() ?? clock.now)
            let seconds = seconds(elapsed)
            let latencies = results.flatMap(\.latencies).sorted()
            func percentile(_ p: Double) -> Double { concord.percentile(latencies, p) * 1000 }
            let sent = results.map(\.sent).reduce(0, +)
            let verdicts = results.map(\.verdicts).reduce(0, +)
            let contested = results.map(\.contested).reduce(0, +)
            let repeated = results.map(\.repeatedDeliveries).reduce(0, +)
            let peak = hubPid.flatMap(BenchCommand.peakRSS)
            let throughput = Double(verdicts) / seconds
            print("报备 (claims sent)：\(sent)，得到裁定 (with a verdict)：\(verdicts)，重复投递 (repeated deliveries)：\(repeated)")
            print("撞单 (conflicts)：制造 \(plan.planted)，发现 \(contested)")
            print(String(format: "吞吐 (claims/s)：%.0f（%.1f 秒）", throughput, seconds))
            print(String(format: "裁定延迟 (verdict latency, ms)：p50 %.1f  p90 %.1f  p99 %.1f  max %.1f",
                         percentile(0.5), percentile(0.9), percentile(0.99), (latencies.last ?? .nan) * 1000))
            if let peak { print("协同中心峰值内存 (hub peak RSS)：\(peak / 1_048_576) MiB") }
            let ok = verdicts == sent && contested == plan.planted
            if contested != plan.planted {
                // The identity core's own verdict on each planted pair, without the database: a pair
                // it does not judge the same enterprise is a matcher gap, not a lost conflict.
                for pair in plan.pairs {
                    let match = EnterpriseMatch.compare(CompanyName(pair.planted), CompanyName(pair.source))
                    if match.verdict != .same {
                        print("    识别为 \(match.verdict.rawValue) 而非 same (matcher)：\(pair.planted) / \(pair.source)：\(match.reasons.joined(separator: "；"))")
                    }
                }
            }
            print(ok ? "核对通过 (verified)：每条报备恰好一个裁定，撞单数等于制造的重复数"
                     : "核对失败 (NOT verified)：见上面的数字 [BENCH_MISMATCH]")
            if json {
                let fields: [(String, JSONText.Value)] = [
                    ("claims", .number(Double(sent))), ("verdicts", .number(Double(verdicts))),
                    ("planted", .number(Double(plan.planted))), ("conflicts", .number(Double(contested))),
                    ("repeated", .number(Double(repeated))), ("seconds", .number(seconds)), ("claims_per_second", .number(throughput)),
                    ("p50_ms", .number(percentile(0.5))), ("p90_ms", .number(percentile(0.9))), ("p99_ms", .number(percentile(0.99))),
                    ("max_ms", .number((latencies.last ?? 0) * 1000)), ("hub_peak_rss_mb", .number(Double((peak ?? 0) / 1_048_576))),
                    ("verified", .bool(ok)),
                ]
                print(JSONText.render(.object(fields)))
            }
            if !ok { throw ExitCode(1) }
        }
    }

}

/// Which office files which names: distinct enterprises (RegistryPlan's realistic names), and a
/// planted share that re-files, under another spelling, an enterprise another office files.
struct BenchPlan {
    let offices: [String]
    var names: [[String]]
    var planted = 0
    /// Each planted spelling and the name it re-spells.
    var pairs: [(planted: String, source: String)] = []

    init(offices count: Int, claims: Int, duplicateShare: Double, run: String) {
        offices = (1...count).map { String(format: "bench-%@-%02d", run, $0) }
        var generator = SplitMix(seed: UInt64(claims * 31 + count))
        // Each run takes its enterprises from its own stretch of RegistryPlan's numbering, above the
        // first 2,000,000 (which `bench checks` loads), so runs against one hub rarely meet.
        let total = claims * count
        let stretches = max(1, (3_400_000 - 2_000_000) / max(total, 1))
        let base = 2_000_000 + ((Int(run, radix: 16) ?? 0) % stretches) * total
        var next = base
        var sources: [[RegistryPlan.Enterprise?]] = Array(repeating: [], count: count)
        names = Array(repeating: [], count: count)
        var planted = 0
        for i in 0..<claims {
            for office in 0..<count {
                let draw = Double(generator.next() % 1_000_000) / 1_000_000
                // The enterprise the previous office filed at this position (or the last office, one before).
                let source: RegistryPlan.Enterprise?? = office > 0 ? (sources[office - 1].count > i ? sources[office - 1][i] : nil)
                                                                  : (i > 0 ? sources[count - 1][i - 1] : nil)
                if count > 1, draw < duplicateShare, let source = source ?? nil {
                    names[office].append(source.spelling(fuzzy: planted % 2 == 0))
                    pairs.append((names[office].last!, source.name))
                    sources[office].append(nil)
                    planted += 1
                } else {
                    let enterprise = RegistryPlan.enterprise(next)
                    next += 1
                    names[office].append(enterprise.name)
                    sources[office].append(enterprise)
                }
            }
        }
        self.planted = planted
    }
}

/// A small seeded generator, so a plan is the same for the same sizes.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A duration in seconds.
func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// The value at quantile `q` of sorted values (nearest rank).
func percentile(_ sorted: [Double], _ q: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))]
}

struct OfficeResult: Sendable {
    var sent = 0
    var verdicts = 0
    var contested = 0
    var repeatedDeliveries = 0
    var latencies: [Double] = []
    var finished: ContinuousClock.Instant
    var lastSent: ContinuousClock.Instant?
}

/// One simulated office: files its claims in order within a window of unacknowledged ones, and
/// times each claim from sending to its first claim.status.
enum BenchOffice {
    /// The office's counters, shared by its sender, reader and acker tasks.
    final class Shared: Sendable {
        let value: Mutex<State>
        init(_ state: State) { value = Mutex(state) }
        func withLock<T>(_ body: (inout State) -> T) -> T { value.withLock { body(&$0) } }
    }

    struct State {
        var ackedThrough: Int64 = 0
        var sentAt: [String: ContinuousClock.Instant] = [:]
        var result: OfficeResult
        var hubThrough: Int64 = 0
        var pendingVerdicts = 0
    }

    static func run(office: String, names: [String], keys: CurveKeyPair, hubKey: String, endpoint: String, context: Context,
                    window: Int, rate: Double, start: ContinuousClock.Instant,
                    project: (name: String, industry: String, investmentWan: Double)? = nil) async throws -> OfficeResult {
        let loop = try await SocketLoop.start(context: context, configuration: .init(name: "bench-\(office)", inboundCapacity: 8192)) { context in
            let socket = try Socket(context: context, type: .dealer)
            try socket.set(.maxMessageSize, Limits.maxSocketMessageBytes)
            try socket.set(.sendHighWaterMark, 100_000)
            try socket.makeCurveClient(keyPair: keys, serverPublicKey: hubKey)
            try socket.connect(endpoint)
            return [socket]
        }
        let clock = ContinuousClock()
        let state = Shared(State(result: OfficeResult(finished: clock.now)))
        let done = AsyncStream.makeStream(of: Void.self)
        let total = names.count
        let reader = Task {
            for await received in loop.inbound {
                guard case .success(let envelope) = Envelope.decode(received.message.frames) else { continue }
                switch envelope.payload {
                case .ack(let ack):
                    state.withLock { $0.ackedThrough = max($0.ackedThrough, ack.through) }
                case .claimStatus(let status):
                    let now = clock.now
                    let finished = state.withLock { s -> Bool in
                        if let seq = envelope.seq {
                            if seq <= s.hubThrough { s.result.repeatedDeliveries += 1 } else { s.hubThrough = seq }
                        }
                        if let sent = s.sentAt.removeValue(forKey: status.leadRef) {
                            s.result.verdicts += 1
                            if status.status == .contested { s.result.contested += 1 }
                            s.result.latencies.append(seconds(sent.duration(to: now)))
                            s.result.finished = now
                        }
                        return s.result.verdicts == total
                    }
                    if finished { done.continuation.yield() }
                case .error(let body):
                    FileHandle.standardError.write(Data("\(office)：协同中心拒绝 \(body.code) \(body.detail)\n".utf8))
                default:
                    break
                }
            }
        }
        // Acknowledge what arrived every 50 ms, as a node does in batches, so the hub never resends.
        let acker = Task {
            var acked: Int64 = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(50))
                let through = state.withLock { $0.hubThrough }
                if through > acked {
                    try? loop.post(Message(frames: Envelope(payload: .ack(Ack(through: through))).frames()), on: loop.socketIDs[0])
                    acked = through
                }
            }
        }
        try await loop.send(Message(frames: Envelope(payload: .hello(Hello(nodeVersion: "bench", receivedThrough: 0))).frames()),
                            on: loop.socketIDs[0])
        for (index, name) in names.enumerated() {
            let seq = Int64(index + 1)
            if rate > 0 {
                let due = start + .seconds(Double(index) / rate)
                if due > clock.now { try await Task.sleep(until: due) }
            }
            while state.withLock({ seq - $0.ackedThrough > Int64(window) }) { try await Task.sleep(for: .microseconds(200)) }
            let leadRef = String(format: "%06d", index + 1)
            let envelope = Envelope(seq: seq, payload: .claimFile(ClaimFile(
                leadRef: leadRef, investorName: name, projectName: project?.name, industry: project?.industry,
                investmentWan: project?.investmentWan, stage: .lead, reportedAt: Date())))
            state.withLock { $0.sentAt[leadRef] = clock.now; $0.result.sent += 1 }
            try await loop.send(Message(frames: envelope.frames()), on: loop.socketIDs[0])
            state.withLock { $0.result.lastSent = clock.now }
        }
        // Wait for the last verdicts (at most two minutes after the last claim).
        if !state.withLock({ $0.result.verdicts == total }) {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { for await _ in done.stream { return } }
                group.addTask { try? await Task.sleep(for: .seconds(120)) }
                await group.next()
                group.cancelAll()
            }
        }
        try? await Task.sleep(for: .milliseconds(120))   // one more ack round
        acker.cancel()
        await loop.shutdown()
        reader.cancel()
        return state.withLock { $0.result }
    }
}
