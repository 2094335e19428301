import ArgumentParser
import ConcordConfig
import ConcordDomain
import ConcordHub
import ConcordNode
import ConcordProtocol
import ConcordStore
import ConcordWeb
import Foundation
import Logging
import PostgresNIO
import Synchronization
import ZeroMQ

// Two scenarios of issue 8 besides the claim load of `concord bench`: the departments' event feed
// (live fan-out and cold replay) and the offline drain of a county node. Both drive a running hub
// through the real protocol (CURVE, ZeroMQ) and write through the store; both end with human lines
// and, with --json, one JSON object on the last line, and exit 1 when the verification fails.

/// `concord bench feed`: N departments follow the feed while events are appended, then one more
/// replays the whole log from cursor 0.
///
/// Live fan-out latency is measured per (subscriber, event): from the instant the writer's
/// transaction returned from COMMIT to the instant the subscriber decoded the `feed.batch` holding
/// the event, both on this process's monotonic clock. Cold replay is measured from the first
/// `feed.fetch` to the batch that reaches the head.
struct BenchFeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feed",
        abstract: "压测事件流：实时分发延迟与冷回放吞吐 (feed fan-out latency and cold replay rate against a running hub).",
        discussion: """
            登记 --subscribers 个临时部门租户（各有自己的 CURVE 密钥，授权 *），每个部门经真实协议（feed.fetch
            长轮询）从当前最新序号开始订阅；同时按 --rate 条/秒经存储层写入 --events 条事件（小事务，记录每条的
            提交时刻），统计 提交→收到 的分发延迟，并核对每个部门恰好按序收到每条事件一次。随后按每事务
            --replay-batch 条批量写入 --replay 条事件，再由一个新部门从游标 0 读到最新，统计每秒事件数并核对
            数量与顺序。仅用于测试环境：租户与事件会留在协同中心的数据库里。

            例: concord bench feed --config hub.toml --subscribers 20 --events 2000 --rate 200 --replay 100000 --json
            """
    )
    @OptionGroup var hub: TenantCommand.HubConfigOption
    @Option(help: "协同中心地址（默认取配置的 bind，0.0.0.0 换成 127.0.0.1）(hub endpoint).") var endpoint: String?
    @Option(help: "实时订阅的部门数 (live subscribers).") var subscribers = 20
    @Option(help: "实时阶段写入的事件数 (events appended while they follow).") var events = 2_000
    @Option(help: "实时阶段的写入速率，条/秒 (events per second while they follow).") var rate: Double = 200
    @Option(help: "冷回放前批量写入的事件数 (events bulk-appended before the cold replay).") var replay = 100_000
    @Option(help: "批量写入时每个事务的事件数 (events per bulk transaction).") var replayBatch = 5_000
    @Option(help: "实时事件的写入方：store 为本进程经存储层写入；hub 为模拟区县报备 30000 万元的项目，由协同中心在裁定事务中写入 claim.filed (who appends the live events: store | hub).")
    var writer: FeedLive.Writer = .store
    @Option(help: "协同中心进程号，用于读取峰值内存 (hub PID, for its peak RSS).") var hubPid: Int32?
    @Flag(help: "最后一行输出 JSON 摘要 (print a JSON summary line).") var json = false

    static let liveTarget = 100.0      // ms, p99
    static let replayTarget = 20_000.0 // events/s

    func run() async throws {
        try await reportingErrors {
            guard (1...200).contains(subscribers), (1...1_000_000).contains(events), rate > 0,
                  (0...10_000_000).contains(replay), (1...100_000).contains(replayBatch) else {
                throw CLIError("BAD_ARGUMENT", "--subscribers 1…200，--events 1…1000000，--rate > 0，--replay 0…10000000，--replay-batch 1…100000")
            }
            let configuration = try hub.load()
            let target = endpoint ?? configuration.bind.replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1")
            let run = String(UUID().uuidString.lowercased().prefix(6))
            let logger = CLILogging.logger("concord.bench")
            // Live readers, then one fresh reader for the cold replay; each its own key.
            let readers = (1...subscribers).map { String(format: "feed-%@-%02d", run, $0) } + ["feed-\(run)-cold"]
            let keys = try readers.map { _ in try CurveKeyPair.generate() }
            let registrations = zip(readers, keys.map(\.publicKey)).map { ($0, $1) }
            let office = (id: "feed-\(run)-office", keys: try CurveKeyPair.generate())
            let (hubKey, total, rate, replay, replayBatch, writer) = (configuration.keys.publicKey, events, self.rate, self.replay,
                                                                      self.replayBatch, self.writer)
            let note = "事件流压测 \(run)：\(subscribers) 个部门实时订阅 \(total) 条（\(String(format: "%.0f", rate)) 条/秒），冷回放前批量写入 \(replay) 条\n"
            FileHandle.standardError.write(Data(note.utf8))

            let outcome = try await Database.withDatabase(configuration.database, logger: logger) { db -> FeedOutcome in
                for (id, publicKey) in registrations {
                    try await TenantStore.add(id: id, kind: .department, name: "压测部门 \(id)", publicKey: publicKey,
                                              client: db.client, logger: logger)
                    // "*" as the last word matches one or more words: every topic.
                    try await GrantStore.grant(id, [TopicPattern("*")!], client: db.client, logger: logger)
                }
                if writer == .hub {
                    try await TenantStore.add(id: office.id, kind: .county, name: "压测区县 \(office.id)", publicKey: office.keys.publicKey,
                                              client: db.client, logger: logger)
                }
                try await refreshReviews(db, logger: logger)
                try await Task.sleep(for: .seconds(2.5))   // the hub reloads keys every 2 s
                let context = try Context()
                defer { context.terminate() }
                let live = try await FeedLive.run(keys: Array(keys.dropLast()), office: office, writer: writer, hubKey: hubKey,
                                                  endpoint: target, context: context,
                                                  total: total, rate: rate, run: run, db: db, logger: logger)
                let bulk = try await FeedBulk.append(replay, perTransaction: replayBatch, run: run, client: db.client, logger: logger)
                let cold = try await FeedCold.run(keys: keys[keys.count - 1], hubKey: hubKey, endpoint: target, context: context,
                                                  db: db, logger: logger)
                return FeedOutcome(live: live, bulk: bulk, cold: cold)
            }
            try report(outcome)
        }
    }

    func report(_ outcome: FeedOutcome) throws {
        let live = outcome.live, cold = outcome.cold, bulk = outcome.bulk
        let latencies = live.latencies.sorted()
        let p = { (q: Double) in percentile(latencies, q) * 1000 }
        let maxMs = (latencies.last ?? .nan) * 1000
        let liveOK = live.problems.isEmpty
        let coldOK = cold.problems.isEmpty
        let met = { (ok: Bool) in ok ? "达到 (met)" : "未达到 (not met)" }
        print("实时分发 (live fan-out)：\(live.subscribers) 个部门 × \(live.written) 条，共收到 \(live.delivered) 条"
              + "（应为 \(live.subscribers * live.written)），重连 (reconnects) \(live.reconnects) 次")
        let how = writer == .store ? "本进程经存储层，\(live.transactions) 个事务" : "协同中心在 \(live.transactions) 条报备的裁定事务中写入"
        print("写入 (writer, \(writer.rawValue))：\(live.written) 条（\(how)），"
              + String(format: "%.1f 秒（%.0f 条/秒）", live.writerSeconds, Double(live.written) / live.writerSeconds))
        print(String(format: "分发延迟 (fan-out latency, ms)：p50 %.1f  p90 %.1f  p99 %.1f  max %.1f", p(0.5), p(0.9), p(0.99), maxMs)
              + "（目标 p99 ≤ \(Int(Self.liveTarget)) ms：\(met(p(0.99) <= Self.liveTarget))）")
        print("批量写入 (bulk append)：\(bulk.count) 条，"
              + String(format: "%.1f 秒（%.0f 条/秒）", bulk.seconds, bulk.seconds > 0 ? Double(bulk.count) / bulk.seconds : 0))
        print("冷回放 (cold replay)：从游标 0 读到 \(cold.head)，收到 \(cold.received) 条，\(cold.batches) 批，"
              + String(format: "%.2f 秒，%.0f 条/秒", cold.seconds, cold.rate)
              + "（目标 ≥ \(Int(Self.replayTarget)) 条/秒：\(met(cold.rate >= Self.replayTarget))）")
        if let pid = hubPid, let peak = BenchCommand.peakRSS(pid) { print("协同中心峰值内存 (hub peak RSS)：\(peak / 1_048_576) MiB") }
        for problem in live.problems.prefix(10) + cold.problems.prefix(10) { print("  问题 (problem)：\(problem)") }
        let ok = liveOK && coldOK
        print(ok ? "核对通过 (verified)：每个部门按序收到每条事件恰好一次；冷回放从 1 到最新无缺无重"
                 : "核对失败 (NOT verified)：见上面的问题 [BENCH_MISMATCH]")
        if json {
            let peak = hubPid.flatMap(BenchCommand.peakRSS) ?? 0
            let fields: [(String, JSONText.Value)] = [
                ("writer", .string(writer.rawValue)),
                ("subscribers", .number(Double(live.subscribers))), ("events", .number(Double(live.written))),
                ("delivered", .number(Double(live.delivered))), ("expected", .number(Double(live.subscribers * live.written))),
                ("writer_events_per_second", .number(Double(live.written) / live.writerSeconds)),
                ("p50_ms", .number(p(0.5))), ("p90_ms", .number(p(0.9))), ("p99_ms", .number(p(0.99))),
                ("max_ms", .number(latencies.isEmpty ? 0 : maxMs)), ("live_verified", .bool(liveOK)),
                ("bulk_events", .number(Double(bulk.count))), ("bulk_seconds", .number(bulk.seconds)),
                ("replay_head", .number(Double(cold.head))), ("replay_events", .number(Double(cold.received))),
                ("replay_seconds", .number(cold.seconds)), ("replay_events_per_second", .number(cold.rate)),
                ("replay_verified", .bool(coldOK)), ("hub_peak_rss_mb", .number(Double(peak / 1_048_576))),
                ("verified", .bool(ok)),
            ]
            print(JSONText.render(.object(fields)))
        }
        if !ok { throw ExitCode(1) }
    }
}

struct FeedOutcome: Sendable {
    var live: FeedLive.Outcome
    var bulk: FeedBulk.Outcome
    var cold: FeedCold.Outcome
}

/// Shared between the live writer and its readers: how many readers are connected, and the last
/// event the writer appended once it is done.
final class FeedSignals: Sendable {
    private let state = Mutex<(ready: Int, last: Int64?)>((0, nil))
    func markReady() { state.withLock { $0.ready += 1 } }
    var ready: Int { state.withLock { $0.ready } }
    func finish(at seq: Int64) { state.withLock { $0.last = seq } }
    var last: Int64? { state.withLock { $0.last } }
}

/// One department reading the feed through the real protocol, as `concord subscribe` does: a
/// DEALER socket with CURVE, `feed.fetch` after its cursor, the cursor moved to the batch's last
/// event or `through`, and a fresh connection when no answer comes in time.
enum FeedReader {
    struct Result: Sendable {
        /// Every event received, in arrival order (repeats kept, so they can be found).
        var seqs: [Int64] = []
        var arrivals: [ContinuousClock.Instant] = []
        var wallArrivals: [Date] = []
        var recordedAt: [String] = []
        var batches = 0
        var reconnects = 0
        var first: ContinuousClock.Instant?
        var last: ContinuousClock.Instant?
    }

    /// Reads after `cursor` until the cursor reaches `stop()` (once it is known) or `deadline`.
    /// The first fetch does not wait, so `ready` is called once the hub has answered.
    static func read(keys: CurveKeyPair, hubKey: String, endpoint: String, context: Context, after start: Int64,
                     waitMs: Int, deadline: ContinuousClock.Instant, ready: (@Sendable () -> Void)? = nil,
                     stop: @Sendable () -> Int64?) async throws -> Result {
        let clock = ContinuousClock()
        var loop = try await SubscribeCommand.connect(context, keys: keys, hubKey: hubKey, endpoint: endpoint)
        var result = Result()
        var cursor = start
        var answered = false
        while clock.now < deadline {
            if let stop = stop(), cursor >= stop { break }
            let wait = answered ? waitMs : 0
            let request = Envelope(payload: .feedFetch(FeedFetch(after: cursor, max: 500, waitMs: wait)))
            if result.first == nil { result.first = clock.now }
            try? loop.post(Message(frames: request.frames()), on: loop.socketIDs[0])
            guard let batch = try await SubscribeCommand.answer(to: request.id, on: loop, within: .milliseconds(wait + 5_000)) else {
                await loop.shutdown()
                try await Task.sleep(for: .milliseconds(200))
                loop = try await SubscribeCommand.connect(context, keys: keys, hubKey: hubKey, endpoint: endpoint)
                result.reconnects += 1
                continue
            }
            let (now, wall) = (clock.now, Date())
            result.batches += 1
            for event in batch.events {
                result.seqs.append(event.seq)
                result.arrivals.append(now)
                result.wallArrivals.append(wall)
                result.recordedAt.append(event.recordedAt)
            }
            if !batch.events.isEmpty { result.last = now }
            cursor = max(cursor, batch.events.last?.seq ?? cursor, batch.through)
            if !answered {
                answered = true
                ready?()
            }
        }
        await loop.shutdown()
        return result
    }
}

/// Phase (a): readers follow from the head while a paced writer appends events.
enum FeedLive {
    /// Who appends the live events.
    enum Writer: String, ExpressibleByArgument, Sendable {
        /// This process, through the store (EventLog.append in small transactions): latency from
        /// the instant COMMIT returned, on the monotonic clock.
        case store
        /// The hub itself: a simulated county office files claims of 30,000 万元 through the protocol
        /// and the hub appends a claim.filed event in each claim's transaction. The commit instant is
        /// not visible here, so latency runs from the event's recorded_at (now() of the hub's
        /// transaction, i.e. its start) on the wall clock: a slight overestimate.
        case hub
    }

    struct Outcome: Sendable {
        var subscribers: Int
        var written: Int
        var transactions: Int
        var writerSeconds: Double
        var delivered: Int
        var reconnects: Int
        /// Seconds from commit (or recorded_at) to receipt, one per (reader, event).
        var latencies: [Double]
        var problems: [String]
    }

    /// What the writer appended: the events' numbers in order and, for the store writer, when each
    /// one's transaction committed.
    struct Written: Sendable {
        var seqs: [Int64] = []
        var committedAt: [Int64: ContinuousClock.Instant] = [:]
        var transactions = 0
        var seconds = 0.0
    }

    static func run(keys: [CurveKeyPair], office: (id: String, keys: CurveKeyPair), writer: Writer, hubKey: String, endpoint: String,
                    context: Context, total: Int, rate: Double, run: String, db: Database, logger: Logger) async throws -> Outcome {
        let clock = ContinuousClock()
        let head = try await EventLog.head(client: db.client, logger: logger)
        let signals = FeedSignals()
        // Room for the writer, then 45 s for the readers to catch up.
        let deadline = clock.now + .seconds(Double(total) / rate + 45)
        let (results, written) = try await withThrowingTaskGroup(
            of: FeedReader.Result.self, returning: ([FeedReader.Result], Written).self
        ) { group in
            for key in keys {
                group.addTask {
                    try await FeedReader.read(keys: key, hubKey: hubKey, endpoint: endpoint, context: context, after: head,
                                              waitMs: 2_000, deadline: deadline, ready: { signals.markReady() },
                                              stop: { signals.last })
                }
            }
            let waitUntil = clock.now + .seconds(15)
            while signals.ready < keys.count && clock.now < waitUntil { try await Task.sleep(for: .milliseconds(20)) }
            guard signals.ready == keys.count else {
                group.cancelAll()
                throw CLIError("BENCH_NOT_READY", "15 秒内只有 \(signals.ready)/\(keys.count) 个部门连上协同中心（密钥未加载？）")
            }
            let written: Written
            switch writer {
            case .store:
                written = try await appendPaced(total: total, rate: rate, run: run, db: db, logger: logger)
            case .hub:
                written = try await FeedOffice.file(total: total, rate: rate, office: office.id, keys: office.keys, hubKey: hubKey,
                                                    endpoint: endpoint, context: context, run: run, db: db, logger: logger)
            }
            signals.finish(at: written.seqs.last ?? head)
            var results: [FeedReader.Result] = []
            for try await result in group { results.append(result) }
            return (results, written)
        }
        // Verify: each reader got exactly the writer's events, in order, once; and nothing out of order.
        let ours = Set(written.seqs)
        var latencies: [Double] = []
        var problems: [String] = []
        if written.seqs.count != total { problems.append("写入方只写入了 \(written.seqs.count)/\(total) 条事件") }
        for (index, result) in results.enumerated() {
            let mine = result.seqs.filter { ours.contains($0) }
            if mine != written.seqs {
                let missing = ours.subtracting(mine).count
                let repeated = mine.count - Set(mine).count
                problems.append("部门 \(index + 1)：收到 \(mine.count)/\(written.seqs.count) 条，缺 \(missing) 条，重复 \(repeated) 条")
            }
            if zip(result.seqs, result.seqs.dropFirst()).contains(where: { $0 >= $1 }) {
                problems.append("部门 \(index + 1)：序号未严格递增 (out of order)")
            }
            for i in result.seqs.indices where ours.contains(result.seqs[i]) {
                if let commit = written.committedAt[result.seqs[i]] {
                    latencies.append(seconds(commit.duration(to: result.arrivals[i])))
                } else if let recorded = Timestamp.parse(result.recordedAt[i]) {
                    latencies.append(result.wallArrivals[i].timeIntervalSince(recorded))
                }
            }
        }
        return Outcome(subscribers: keys.count, written: written.seqs.count, transactions: written.transactions,
                       writerSeconds: written.seconds, delivered: latencies.count,
                       reconnects: results.map(\.reconnects).reduce(0, +), latencies: latencies, problems: problems)
    }

    /// The store writer: everything due is appended in one small transaction (one event each at a
    /// rate the database keeps up with); the commit instant is taken as soon as COMMIT returns.
    static func appendPaced(total: Int, rate: Double, run: String, db: Database, logger: Logger) async throws -> Written {
        let clock = ContinuousClock()
        var written = Written()
        var index = 0
        let start = clock.now
        while index < total {
            let due = start + .seconds(Double(index) / rate)
            if due > clock.now { try await Task.sleep(until: due, clock: .continuous) }
            let upTo = min(total, max(index + 1, Int(seconds(start.duration(to: clock.now)) * rate) + 1))
            let range = index..<upTo
            let seqs = try await db.client.withTransaction(logger: logger) { connection -> [Int64] in
                var seqs: [Int64] = []
                for n in range {
                    seqs.append(try await EventLog.append(topic: "bench.live", county: nil, payload: FeedBulk.payload(run: run, n: n),
                                                          on: connection, logger: logger))
                }
                return seqs
            }
            let committed = clock.now
            for seq in seqs { written.committedAt[seq] = committed }
            written.seqs.append(contentsOf: seqs)
            written.transactions += 1
            index = upTo
        }
        written.seconds = seconds(start.duration(to: clock.now))
        return written
    }
}

/// The hub writer's office: files claims of 30,000 万元 at a paced rate through the real protocol
/// (BenchOffice: hello, claim.file with seq, acks for the hub's claim.status), so that the hub
/// appends each claim.filed event in its own apply transaction, as in production.
enum FeedOffice {
    static func file(total: Int, rate: Double, office: String, keys: CurveKeyPair, hubKey: String, endpoint: String,
                     context: Context, run: String, db: Database, logger: Logger) async throws -> FeedLive.Written {
        let start = ContinuousClock.now
        // Every claim decided means every claim.filed committed.
        let result = try await BenchOffice.run(office: office, names: DrainNames.names(count: total, run: office), keys: keys,
                                               hubKey: hubKey, endpoint: endpoint, context: context, window: 256, rate: rate,
                                               start: start, project: ("储能电池生产基地", "新能源", 30_000))
        var written = FeedLive.Written()
        let rows = try await db.client.query(
            "SELECT seq FROM events WHERE topic = 'claim.filed' AND county = \(office) ORDER BY seq", logger: logger)
        for try await seq in rows.decode(Int64.self) { written.seqs.append(seq) }
        written.transactions = total
        written.seconds = seconds(start.duration(to: result.lastSent ?? start))
        return written
    }
}

/// Phase (b), first half: events appended in large transactions. Each transaction takes a range of
/// the gap-free "events" stream at once (the counter row stays locked until commit, exactly as
/// `Sequences.next` does for one) and inserts the range in the same statement.
enum FeedBulk {
    struct Outcome: Sendable {
        var count: Int
        var seconds: Double
    }

    /// An event the size of a real stage event.
    static func payload(run: String, n: Int) -> [String: String] {
        ["bench": run, "n": String(n), "stage": "signed", "investor_name": "江西\(n)号储能科技有限公司",
         "project_name": "储能电池生产基地", "industry": "新能源", "investment_wan": "30000"]
    }

    static func append(_ total: Int, perTransaction: Int, run: String, client: PostgresClient, logger: Logger) async throws -> Outcome {
        let clock = ContinuousClock()
        let start = clock.now
        var done = 0
        while done < total {
            let count = min(perTransaction, total - done)
            try await client.query("""
                WITH taken AS (
                    INSERT INTO sequence_counters (stream, last) VALUES ('events', \(count))
                    ON CONFLICT (stream) DO UPDATE SET last = sequence_counters.last + EXCLUDED.last
                    RETURNING last
                )
                INSERT INTO events (seq, topic, county, payload)
                SELECT n, 'bench.replay', NULL, jsonb_build_object(
                    'bench', \(run)::text, 'n', n::text, 'stage', 'signed', 'investor_name', '江西' || n::text || '号储能科技有限公司',
                    'project_name', '储能电池生产基地', 'industry', '新能源', 'investment_wan', '30000')
                FROM taken, generate_series(taken.last - \(count) + 1, taken.last) AS n
                """, logger: logger)
            done += count
        }
        return Outcome(count: total, seconds: seconds(start.duration(to: clock.now)))
    }
}

/// Phase (b), second half: a fresh reader from cursor 0 to the head, as fast as it can fetch.
enum FeedCold {
    struct Outcome: Sendable {
        var head: Int64
        var received: Int
        var batches: Int
        var seconds: Double
        var rate: Double
        var problems: [String]
    }

    static func run(keys: CurveKeyPair, hubKey: String, endpoint: String, context: Context, db: Database,
                    logger: Logger) async throws -> Outcome {
        let head = try await EventLog.head(client: db.client, logger: logger)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(max(60, Double(head) / 1_000))
        let result = try await FeedReader.read(keys: keys, hubKey: hubKey, endpoint: endpoint, context: context, after: 0,
                                               waitMs: 0, deadline: deadline, stop: { head })
        let elapsed = result.first.flatMap { first in result.last.map { seconds(first.duration(to: $0)) } } ?? 0
        var problems: [String] = []
        // A reader granted everything sees the gap-free log whole: 1, 2, …, head.
        let upToHead = result.seqs.filter { $0 <= head }
        if upToHead.count != Int(head) || upToHead.enumerated().contains(where: { $0.element != Int64($0.offset) + 1 }) {
            let repeated = upToHead.count - Set(upToHead).count
            problems.append("冷回放：收到 \(upToHead.count)/\(head) 条，重复 \(repeated) 条，或有缺失/乱序")
        }
        let received = result.seqs.count
        return Outcome(head: head, received: received, batches: result.batches, seconds: elapsed,
                       rate: elapsed > 0 ? Double(received) / elapsed : 0, problems: problems)
    }
}

/// `concord bench drain`: a county node that queued leads while it was offline delivers them.
///
/// The command registers a county tenant, creates and migrates the node's database, files the
/// leads there through the node's own store code (LeadBook: lead rows and outbox rows, in one
/// transaction per chunk) while no node daemon runs, writes the node's config and then starts
/// `concord node run` as a child process. The drain is timed from that start (and, separately, from
/// the node's link coming up, as the node recorded it) to the moment the hub's high-water mark for
/// the office (peer_inbox.applied_through) reaches the last lead, polled every 20 ms.
struct BenchDrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain",
        abstract: "压测离线补报：节点恢复连接后上报积压线索的速度 (offline drain of a node's queued leads).",
        discussion: """
            登记一个临时区县租户，在协同中心所在的 PostgreSQL 上为其节点新建数据库（或用 --node-database-url 给出的
            空库），在节点未运行时经节点自己的存储代码写入 --leads 条待上报线索，写出节点配置，然后以子进程启动
            concord node run，直到协同中心应用完全部线索、节点发件箱全部确认、裁定全部写回。输出从节点启动
            （及从连上协同中心）起算的每秒线索数，并核对协同中心恰有该区县的 --leads 条报备、无重复。
            仅用于测试环境：租户与报备会留在协同中心的数据库里；核对通过时删除新建的节点库与默认的临时工作目录。

            例: concord bench drain --config hub.toml --schemas schemas --leads 10000 --json
            """
    )
    @OptionGroup var hub: TenantCommand.HubConfigOption
    @OptionGroup var schemas: DBCommand.Schemas
    @Option(help: "协同中心地址（默认取配置的 bind，0.0.0.0 换成 127.0.0.1）(hub endpoint).") var endpoint: String?
    @Option(help: "积压的线索数 (queued leads).") var leads = 10_000
    @Option(help: "节点数据库（须为空库；默认在协同中心的 PostgreSQL 上新建）(the node's database URL).") var nodeDatabaseURL: String?
    @Option(help: "节点配置与日志的目录（默认临时目录）(folder for the node's config and log).") var workDir: String?
    @Option(help: "最长等待秒数 (give up after this many seconds).") var timeout = 300
    @Option(help: "协同中心进程号，用于读取峰值内存 (hub PID, for its peak RSS).") var hubPid: Int32?
    @Flag(help: "最后一行输出 JSON 摘要 (print a JSON summary line).") var json = false

    static let target = 2_000.0   // leads/s

    func run() async throws {
        try await reportingErrors {
            guard (1...1_000_000).contains(leads), (10...86_400).contains(timeout) else {
                throw CLIError("BAD_ARGUMENT", "--leads 1…1000000，--timeout 10…86400")
            }
            let configuration = try hub.load()
            let target = endpoint ?? configuration.bind.replacingOccurrences(of: "0.0.0.0", with: "127.0.0.1")
            let run = String(UUID().uuidString.lowercased().prefix(6))
            let tenant = "drain-\(run)"
            let logger = CLILogging.logger("concord.bench")
            let directory = workDir ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("concord-drain-\(run)")
            let schemaDirectory = try schemas.directory()
            let migrations = try Migration.load(from: schemaDirectory)
            let keys = try CurveKeyPair.generate()
            let createDatabase = nodeDatabaseURL == nil
            var nodeDatabase: DatabaseConfiguration
            if let url = nodeDatabaseURL {
                do { nodeDatabase = try DatabaseConfiguration.parse(url: url) } catch let error as StoreError {
                    throw CLIError("BAD_ARGUMENT", "--node-database-url：\(error.message)")
                }
            } else {
                nodeDatabase = configuration.database
                nodeDatabase.database = "concord_drain_\(run)"
            }
            let plan = DrainPlan(tenant: tenant, leads: leads, hubEndpoint: target, hubKey: configuration.keys.publicKey,
                                 keys: keys, nodeDatabase: nodeDatabase, directory: directory,
                                 schemas: schemaDirectory.path, timeout: .seconds(timeout), migrations: migrations)
            let (nodeDB, hubPid) = (nodeDatabase, self.hubPid)
            let outcome = try await Database.withDatabase(configuration.database, logger: logger) { hubDB -> DrainOutcome in
                try await TenantStore.add(id: tenant, kind: .county, name: "压测区县 \(tenant)", publicKey: keys.publicKey,
                                          client: hubDB.client, logger: logger)
                if createDatabase {
                    try await hubDB.client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \"\(nodeDB.database)\""), logger: logger)
                }
                var outcome = try await Database.withDatabase(nodeDB, logger: logger) { node in
                    try await plan.run(hub: hubDB, node: node, logger: logger)
                }
                outcome.hubPeakRSS = hubPid.flatMap(BenchCommand.peakRSS)
                if createDatabase && outcome.verified {
                    do {
                        try await hubDB.client.query(PostgresQuery(unsafeSQL: "DROP DATABASE \"\(nodeDB.database)\""), logger: logger)
                        outcome.droppedDatabase = true
                    } catch {
                        logger.warning("could not drop the node's database", metadata: ["error": "\(String(reflecting: error))"])
                    }
                }
                return outcome
            }
            if outcome.verified && workDir == nil { try? FileManager.default.removeItem(atPath: directory) }
            try report(outcome, database: nodeDatabase.database, directory: directory)
        }
    }

    func report(_ o: DrainOutcome, database: String, directory: String) throws {
        let fromStart = o.appliedSeconds.map { Double(o.leads) / $0 } ?? 0
        var fromLink = 0.0
        if let applied = o.appliedSeconds, let up = o.linkUpSeconds, applied > up { fromLink = Double(o.leads) / (applied - up) }
        let format = { (value: Double?) in value.map { String(format: "%.2f 秒", $0) } ?? "未发生 (never)" }
        print("离线补报 (offline drain)：区县 \(o.tenant) 的节点库 \(database) 积压 \(o.leads) 条线索"
              + String(format: "（写入 %.1f 秒）", o.fillSeconds))
        print("节点启动后 (after node start)：连上协同中心 (link up) \(format(o.linkUpSeconds))，"
              + "首条应用 (first applied) \(format(o.firstAppliedSeconds))，全部应用 (all applied) \(format(o.appliedSeconds))")
        print(String(format: "补报速度 (drain rate)：自节点启动 %.0f 条/秒，自连上 %.0f 条/秒", fromStart, fromLink)
              + "（目标 ≥ \(Int(Self.target)) 条/秒，按自节点启动计：\(fromStart >= Self.target ? "达到 (met)" : "未达到 (not met)")）")
        print("裁定写回节点 (verdicts written back)：\(o.writtenBack)/\(o.leads) 条，\(format(o.writtenBackSeconds))；"
              + "节点发件箱待确认 (unacknowledged)：\(o.unacknowledged)")
        print("协同中心报备 (claims at the hub)：\(o.claims) 条，不同线索 (distinct) \(o.distinct) 条，对应本节点线索 \(o.matching) 条")
        var memory: [String] = []
        if let peak = o.nodePeakRSS { memory.append("节点 (node) \(peak / 1_048_576) MiB") }
        if let peak = o.hubPeakRSS { memory.append("协同中心 (hub) \(peak / 1_048_576) MiB") }
        if !memory.isEmpty { print("峰值内存 (peak RSS)：" + memory.joined(separator: "，")) }
        print(o.verified ? "核对通过 (verified)：协同中心恰有 \(o.leads) 条该区县的报备，无重复；发件箱全部确认，裁定全部写回"
                         : "核对失败 (NOT verified)：见上面的数字；节点库 \(database) 与目录 \(directory)（含日志 node.log）已保留 [BENCH_MISMATCH]")
        if json {
            let fields: [(String, JSONText.Value)] = [
                ("leads", .number(Double(o.leads))), ("claims", .number(Double(o.claims))), ("distinct", .number(Double(o.distinct))),
                ("matching", .number(Double(o.matching))), ("fill_seconds", .number(o.fillSeconds)),
                ("link_up_seconds", o.linkUpSeconds.map(JSONText.Value.number) ?? .null),
                ("applied_seconds", o.appliedSeconds.map(JSONText.Value.number) ?? .null),
                ("leads_per_second", .number(fromStart)), ("leads_per_second_from_link_up", .number(fromLink)),
                ("written_back", .number(Double(o.writtenBack))),
                ("written_back_seconds", o.writtenBackSeconds.map(JSONText.Value.number) ?? .null),
                ("unacknowledged", .number(Double(o.unacknowledged))),
                ("node_peak_rss_mb", .number(Double((o.nodePeakRSS ?? 0) / 1_048_576))),
                ("hub_peak_rss_mb", .number(Double((o.hubPeakRSS ?? 0) / 1_048_576))),
                ("verified", .bool(o.verified)),
            ]
            print(JSONText.render(.object(fields)))
        }
        if !o.verified { throw ExitCode(1) }
    }
}

struct DrainOutcome: Sendable {
    var tenant: String
    var leads: Int
    var fillSeconds: Double
    /// Seconds after the node process started.
    var linkUpSeconds: Double?
    var firstAppliedSeconds: Double?
    var appliedSeconds: Double?
    var writtenBackSeconds: Double?
    var writtenBack = 0
    var unacknowledged = 0
    var claims = 0
    var distinct = 0
    var matching = 0
    var nodePeakRSS: Int?
    var hubPeakRSS: Int?
    var droppedDatabase = false

    var verified: Bool {
        appliedSeconds != nil && claims == leads && distinct == leads && matching == leads && unacknowledged == 0 && writtenBack == leads
    }
}

/// The drain's steps once the tenant and the node's database exist.
struct DrainPlan: Sendable {
    let tenant: String
    let leads: Int
    let hubEndpoint: String
    let hubKey: String
    let keys: CurveKeyPair
    let nodeDatabase: DatabaseConfiguration
    let directory: String
    let schemas: String
    let timeout: Duration
    let migrations: [Migration]

    func run(hub: Database, node: Database, logger: Logger) async throws -> DrainOutcome {
        _ = try await Migrator(migrations: migrations, logger: logger).migrate(node)
        guard try await count("SELECT count(*)::int FROM leads", node, logger: logger) == 0 else {
            throw CLIError("BAD_ARGUMENT", "节点数据库 \(nodeDatabase.database) 已有线索；请给一个空库")
        }
        // File the leads while no node runs: they wait in the outbox, as after an outage.
        let book = LeadBook(client: node.client, logger: logger)
        let fillStart = Date()
        var ids: [String] = []
        let names = DrainNames.names(count: leads, run: tenant)
        for chunk in stride(from: 0, to: names.count, by: 500).map({ names[$0..<min($0 + 500, names.count)] }) {
            let filed = try await book.add(chunk.map { NewLead(investorName: $0) })
            ids.append(contentsOf: filed.map { $0.uuidString.lowercased() })
        }
        let fillSeconds = Date().timeIntervalSince(fillStart)
        let lastSeq = try await count("SELECT coalesce(max(seq), 0)::int FROM outbox WHERE peer = 'hub'", node, logger: logger)
        let (config, log) = try writeConfig()
        FileHandle.standardError.write(Data("离线补报压测：\(leads) 条线索已排队（\(String(format: "%.1f", fillSeconds)) 秒），启动节点 \(tenant)，日志 \(log)\n".utf8))

        var outcome = DrainOutcome(tenant: tenant, leads: leads, fillSeconds: fillSeconds)
        let started = Date()
        let process = try startNode(config: config, log: log)
        do {
            try await watch(process, started: started, lastSeq: Int64(lastSeq), hub: hub, node: node, book: book,
                            outcome: &outcome, logger: logger)
        } catch {
            await stop(process)
            throw error
        }
        outcome.nodePeakRSS = BenchCommand.peakRSS(process.processIdentifier)
        await stop(process)
        // The hub's record: exactly one claim per lead of this office.
        let rows = try await hub.client.query("""
            SELECT count(*)::int, count(DISTINCT lead_ref)::int, (count(*) FILTER (WHERE lead_ref = ANY(\(ids))))::int
            FROM claims WHERE office = \(tenant)
            """, logger: logger)
        for try await (claims, distinct, matching) in rows.decode((Int, Int, Int).self) {
            (outcome.claims, outcome.distinct, outcome.matching) = (claims, distinct, matching)
        }
        return outcome
    }

    /// Polls the hub's high-water mark for the office every 20 ms until it reaches `lastSeq`, then
    /// the node until every outbox row is acknowledged and every verdict written back. Gives up at
    /// the timeout, or when the hub has applied nothing new for 30 s.
    func watch(_ process: Process, started: Date, lastSeq: Int64, hub: Database, node: Database, book: LeadBook,
               outcome: inout DrainOutcome, logger: Logger) async throws {
        let deadline = started.addingTimeInterval(Double(timeout.components.seconds))
        var nextNodePoll = started
        var progress: (through: Int64, at: Date) = (0, started)
        while Date() < deadline {
            guard process.isRunning else {
                throw CLIError("NODE_EXITED", "节点进程提前退出（状态 \(process.terminationStatus)），见日志 \(directory)/node.log")
            }
            let now = Date()
            if outcome.appliedSeconds == nil {
                let through = try await Inbox.appliedThrough(peer: tenant, client: hub.client, logger: logger)
                if through > progress.through {
                    progress = (through, now)
                } else if now.timeIntervalSince(progress.at) > 30 {
                    FileHandle.standardError.write(Data("离线补报压测：协同中心 30 秒没有新的应用（停在 \(through)/\(lastSeq)），放弃等待 (stalled)\n".utf8))
                    return
                }
                if through > 0 && outcome.firstAppliedSeconds == nil { outcome.firstAppliedSeconds = now.timeIntervalSince(started) }
                if through >= lastSeq { outcome.appliedSeconds = now.timeIntervalSince(started) }
            }
            if now >= nextNodePoll {
                nextNodePoll = now.addingTimeInterval(0.1)
                if outcome.linkUpSeconds == nil, let link = try await book.link(), link.up {
                    outcome.linkUpSeconds = link.since.timeIntervalSince(started)
                }
                outcome.unacknowledged = try await book.waiting().count
                outcome.writtenBack = try await count("SELECT count(*)::int FROM leads WHERE claim_status IS NOT NULL", node, logger: logger)
                if outcome.writtenBack == leads && outcome.writtenBackSeconds == nil {
                    outcome.writtenBackSeconds = now.timeIntervalSince(started)
                }
                if outcome.appliedSeconds != nil && outcome.unacknowledged == 0 && outcome.writtenBackSeconds != nil { return }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        FileHandle.standardError.write(Data("离线补报压测：\(timeout) 内未完成，按当前进度报告\n".utf8))
    }

    /// Writes the node's config as `concord tenant add` would (mode 600: it holds the secret key).
    func writeConfig() throws -> (config: String, log: String) {
        var url = URLComponents()
        url.scheme = "postgres"
        url.user = nodeDatabase.user
        url.password = nodeDatabase.password
        url.host = nodeDatabase.host
        url.port = nodeDatabase.port
        url.path = "/" + nodeDatabase.database
        guard let databaseURL = url.string else { throw CLIError("BAD_ARGUMENT", "无法生成节点数据库地址") }
        let text = ConfigFile.render([
            ("role", .string("node")), ("tenant", .string(tenant)), ("name", .string("压测区县 \(tenant)")),
            ("hub_endpoint", .string(hubEndpoint)), ("hub_public_key", .string(hubKey)),
            ("database_url", .string(databaseURL)), ("secret_key", .string(keys.secretKey)),
        ], header: ["Concord node configuration for the drain benchmark (\(tenant)). Holds a secret key."])
        let config = (directory as NSString).appendingPathComponent("\(tenant).toml")
        try ConfigLoading.writeSecret(text, to: config)
        return (config, (directory as NSString).appendingPathComponent("node.log"))
    }

    /// `concord node run` from this very executable, its output in the log file.
    func startNode(config: String, log: String) throws -> Process {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        guard FileManager.default.createFile(atPath: log, contents: nil), let output = FileHandle(forWritingAtPath: log) else {
            throw CLIError("FILE_WRITE_FAILED", "无法创建日志文件 \(log)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["node", "run", "--config", config, "--schemas", schemas]
        process.standardOutput = output
        process.standardError = output
        try process.run()
        return process
    }

    /// SIGTERM, then SIGKILL after 10 s.
    func stop(_ process: Process) async {
        guard process.isRunning else { return }
        process.terminate()
        let limit = Date().addingTimeInterval(10)
        while process.isRunning && Date() < limit { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    func count(_ sql: String, _ db: Database, logger: Logger) async throws -> Int {
        let rows = try await db.client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        for try await value in rows.decode(Int.self) { return value }
        return 0
    }
}

/// Distinct enterprise names for the queued leads, spelled like real ones (RegistryPlan: a region, a
/// three-character brand, industry words). Each run takes its own block of plan indices above the
/// ones the other scenarios register, so its names are new to the hub.
enum DrainNames {
    static func names(count: Int, run: String) -> [String] {
        let seed = run.unicodeScalars.reduce(0) { ($0 &* 31 &+ Int($1.value)) & 0x7FFF_FFFF }
        let base = 3_000_000 + (seed % 200) * 10_000
        return (0..<count).map { RegistryPlan.enterprise(base + $0).name }
    }
}
