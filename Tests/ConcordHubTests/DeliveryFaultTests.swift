import ConcordProtocol
import ConcordStore
import ConcordTestSupport
import Foundation
import PostgresNIO
import Testing
import ZeroMQ

/// Guarantee 1 with real processes: nothing lost, nothing applied twice, in order.
@Suite("Delivery across outages and crashes (real processes)", .serialized)
struct DeliveryFaultTests {
    /// Leads are filed in investment order (investment_wan = filing index): the hub's claim ids,
    /// which it assigns as it applies them, must rise in the same order.
    static let inOrderSQL = """
        SELECT count(*)::int FROM (
            SELECT id, lag(id) OVER (ORDER BY investment_wan) AS previous FROM claims
        ) ordered WHERE previous > id
        """

    @Test("500 leads filed while the hub is down all arrive exactly once, in order, after it starts")
    func offlineNodeCatchesUp() async throws {
        try await ProcessHarness.run { harness in
            try await harness.startNode()
            // The node works with the hub down: officers file 500 leads (five CSV batches).
            for batch in 0..<5 { try harness.fileLeads(100, from: batch * 100) }
            #expect(try await harness.scalar(harness.nodeDatabase, "SELECT count(*)::int FROM outbox WHERE acked_at IS NULL") == 500)
            #expect(try await harness.scalar(harness.hubDatabase, "SELECT count(*)::int FROM claims") == 0)

            try harness.startHub()
            let arrived = try await harness.waitFor(harness.hubDatabase, "SELECT count(*)::int FROM claims", equals: 500, seconds: 90)
            #expect(arrived == 500, "hub log: \(harness.log("hub").suffix(2000)) node log: \(harness.log("node").suffix(2000))")
            #expect(try await harness.scalar(harness.hubDatabase, "SELECT count(DISTINCT lead_ref)::int FROM claims") == 500)
            #expect(try await harness.scalar(harness.hubDatabase, "SELECT count(*)::int FROM audit_chain WHERE action = 'claim'") == 500)
            #expect(try await harness.scalar(harness.hubDatabase, Self.inOrderSQL) == 0)
            #expect(try await harness.scalar(harness.hubDatabase, "SELECT applied_through::int FROM peer_inbox WHERE peer = '360402'") == 500)
            // The decisions come back: every lead shows its claim status, and both outboxes drain.
            let decided = try await harness.waitFor(harness.nodeDatabase, "SELECT count(*)::int FROM leads WHERE claim_status = 'held'",
                                                    equals: 500, seconds: 60)
            #expect(decided == 500)
            #expect(try await harness.waitFor(harness.nodeDatabase, "SELECT count(*)::int FROM outbox WHERE acked_at IS NULL", equals: 0, seconds: 30) == 0)
            #expect(try await harness.waitFor(harness.hubDatabase, "SELECT count(*)::int FROM outbox WHERE acked_at IS NULL", equals: 0, seconds: 30) == 0)
        }
    }

    @Test("kill -9 of the hub in a burst of claims, then a restart: no claim lost, none applied twice")
    func hubCrashMidBurst() async throws {
        try await ProcessHarness.run { harness in
            try harness.startHub()
            try await harness.startNode()
            try harness.fileLeads(150, from: 0)
            // Crash the hub while the burst is being applied.
            _ = try await harness.waitFor(harness.hubDatabase, "SELECT least(count(*), 20)::int FROM claims", equals: 20, seconds: 60)
            harness.crash("hub")
            let atCrash = try await harness.scalar(harness.hubDatabase, "SELECT count(*)::int FROM claims")
            try harness.fileLeads(150, from: 150)
            try await Task.sleep(for: .seconds(1))
            try harness.startHub()
            let arrived = try await harness.waitFor(harness.hubDatabase, "SELECT count(*)::int FROM claims", equals: 300, seconds: 120)
            #expect(arrived == 300, "claims at crash: \(atCrash); hub log: \(harness.log("hub").suffix(2000))")
            #expect(atCrash < 300)
            #expect(try await harness.scalar(harness.hubDatabase, "SELECT count(*)::int FROM audit_chain WHERE action = 'claim'") == 300)
            #expect(try await harness.scalar(harness.hubDatabase, Self.inOrderSQL) == 0)
            #expect(try await harness.waitFor(harness.nodeDatabase, "SELECT count(*)::int FROM leads WHERE claim_status = 'held'",
                                              equals: 300, seconds: 60) == 300)
            let verify = try harness.runToEnd(["audit", "verify"], environment: ["CONCORD_DATABASE_URL": harness.url(harness.hubDatabase)])
            #expect(verify.contains("审计链完整"))
        }
    }
}

@Suite("The departments' feed across a hub crash (real processes)", .serialized)
struct FeedFaultTests {
    /// Appends `count` events to the hub's log; every third is stage.signed (granted), the rest conflict.opened.
    static func writeEvents(_ harness: ProcessHarness, from start: Int, count: Int, padding: Int = 0) async throws {
        let pad = String(repeating: "填", count: padding)
        var configuration = harness.admin
        configuration.database = harness.hubDatabase
        try await Database.withDatabase(configuration, logger: TestDatabase.logger) { db in
            _ = try await db.client.withTransaction(logger: TestDatabase.logger) { connection in
                for index in start..<(start + count) {
                    try await EventLog.append(topic: index % 3 == 0 ? "stage.signed" : "conflict.opened", county: "360402",
                                              payload: padding > 0 ? ["n": "\(index)", "pad": pad] : ["n": "\(index)"], on: connection, logger: TestDatabase.logger)
                }
            }
        } as Void
    }

    @Test("a subscriber following the feed while the hub is killed and restarted misses nothing and repeats nothing")
    func subscriberAcrossHubCrash() async throws {
        try await ProcessHarness.run { harness in
            let config = harness.directory.appendingPathComponent("zrzy.toml").path
            let cursor = harness.directory.appendingPathComponent("zrzy.cursor").path
            try harness.runToEnd(["tenant", "add", "--config", harness.hubConfig, "--kind", "department", "--code", "zrzy",
                                  "--name", "自然资源局", "--hub-endpoint", "tcp://127.0.0.1:\(harness.hubPort)", "--out", config])
            try harness.runToEnd(["tenant", "grant", "--config", harness.hubConfig, "zrzy", "stage.signed"])
            try await Self.writeEvents(harness, from: 0, count: 3_000)
            try harness.startHub()
            try harness.start("subscriber", ["subscribe", "--config", config, "--cursor-file", cursor])
            // Wait until it is part-way through, then crash the hub and write more while it is down.
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline, (Cursor.value(cursor) ?? 0) < 300 { try await Task.sleep(for: .milliseconds(20)) }
            harness.crash("hub")
            try await Self.writeEvents(harness, from: 3_000, count: 1_500)
            try harness.startHub()
            let last = Int64(4_500 - 2)   // the last stage.signed: index 4,497 → seq 4,498
            let end = ContinuousClock.now + .seconds(90)
            while ContinuousClock.now < end, (Cursor.value(cursor) ?? 0) < last { try await Task.sleep(for: .milliseconds(200)) }
            harness.stop("subscriber")
            let lines = harness.log("subscriber").split(separator: "\n").filter { $0.hasPrefix("{") }
            let seqs = lines.compactMap { line -> Int64? in
                ((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])?["seq"].flatMap { ($0 as? NSNumber)?.int64Value }
            }
            let expected = stride(from: 0, to: 4_500, by: 3).map { Int64($0 + 1) }
            let same = seqs == expected
            #expect(same, "got \(seqs.count) events, cursor \(Cursor.value(cursor) ?? -1)")
        }
    }

    static func seqs(_ text: String) -> [Int64] {
        text.split(separator: "\n").filter { $0.hasPrefix("{") }.compactMap { line -> Int64? in
            ((try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any])?["seq"].flatMap { ($0 as? NSNumber)?.int64Value }
        }
    }

    func addDepartment(_ harness: ProcessHarness, database: String? = nil) throws -> String {
        let config = harness.directory.appendingPathComponent("zrzy.toml").path
        try harness.runToEnd(["tenant", "add", "--config", harness.hubConfig, "--kind", "department", "--code", "zrzy",
                              "--name", "自然资源局", "--hub-endpoint", "tcp://127.0.0.1:\(harness.hubPort)", "--out", config]
                             + (database.map { ["--node-database-url", harness.url($0)] } ?? []))
        try harness.runToEnd(["tenant", "grant", "--config", harness.hubConfig, "zrzy", "stage.signed"])
        return config
    }

    @Test("with a database configured the cursor is a row there; --exec advances it only on success, and a rerun resumes exactly")
    func databaseCursorAndExec() async throws {
        try await ProcessHarness.run { harness in
            // The node's fresh database stands in for the department's own.
            let config = try addDepartment(harness, database: harness.nodeDatabase)
            try await Self.writeEvents(harness, from: 0, count: 3_000)
            try harness.startHub()
            let first = try harness.runToEnd(["subscribe", "--config", config, "--until-idle"])
            let all = Self.seqs(first) == stride(from: 0, to: 3_000, by: 3).map { Int64($0 + 1) }
            #expect(all, "\(Self.seqs(first).count) events")
            #expect(try await harness.scalar(harness.nodeDatabase,
                "SELECT position::int FROM concord_subscriber_cursors WHERE tenant = 'zrzy' AND name = 'default'") == 3_000)
            #expect(!FileManager.default.fileExists(atPath: config + ".cursor"))

            // An importer that fails on event 3,010: the cursor stops just before it, and nothing after it is handed on.
            try await Self.writeEvents(harness, from: 3_000, count: 300)
            let out = harness.directory.appendingPathComponent("imported.jsonl").path
            let failing = "read l; case \"$l\" in *'\"seq\":3010,'*) exit 3;; esac; printf '%s\\n' \"$l\" >> \(out)"
            do {
                try harness.runToEnd(["subscribe", "--config", config, "--until-idle", "--exec", failing])
                Issue.record("the failing importer should stop the subscriber")
            } catch let error as ProcessHarness.ProcessError {
                #expect(error.output.contains("EXEC_FAILED"))
            }
            #expect(try await harness.scalar(harness.nodeDatabase, "SELECT position::int FROM concord_subscriber_cursors") == 3_007)
            // Fixed, it resumes at 3,010: every event imported once, in order.
            try harness.runToEnd(["subscribe", "--config", config, "--until-idle", "--exec", "cat >> \(out)"])
            let imported = Self.seqs((try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
            let once = imported == stride(from: 3_000, to: 3_300, by: 3).map { Int64($0 + 1) }
            #expect(once, "\(imported.count) imported, last \(imported.last ?? 0)")

            // Following live, it ends on SIGTERM (the database's service group catches the signal).
            try harness.start("follower", ["subscribe", "--config", config])
            try await Task.sleep(for: .seconds(2))
            #expect(await harness.terminate("follower", within: 10), "subscribe ignored SIGTERM: \(harness.log("follower").suffix(500))")
            #expect(try await harness.scalar(harness.nodeDatabase, "SELECT position::int FROM concord_subscriber_cursors") == 3_300)
        }
    }

    @Test("--out repairs a torn last line and resumes after the last whole one, whatever the cursor says")
    func outputFileRecovery() async throws {
        try await ProcessHarness.run { harness in
            let config = try addDepartment(harness)
            try await Self.writeEvents(harness, from: 0, count: 300)
            try harness.startHub()
            let out = harness.directory.appendingPathComponent("feed.jsonl").path
            let cursor = harness.directory.appendingPathComponent("feed.cursor").path
            // A crash left two whole lines, half of a third, and a cursor saved before either line.
            try Data(#"{"seq":1,"topic":"stage.signed"}\#n{"seq":4,"topic":"stage.signed"}\#n{"county":"3604"#.utf8)
                .write(to: URL(fileURLWithPath: out))
            try "1\n".write(toFile: cursor, atomically: true, encoding: .utf8)
            try harness.runToEnd(["subscribe", "--config", config, "--until-idle", "--out", out, "--cursor-file", cursor])
            let text = try String(contentsOfFile: out, encoding: .utf8)
            let lines = Self.seqs(text)
            let exact = lines == stride(from: 0, to: 300, by: 3).map { Int64($0 + 1) }
            #expect(exact, "\(lines.count) lines, first \(lines.prefix(4))")
            #expect(text.hasSuffix("\n") && !text.contains(#"{"county":"3604{"#))
            #expect(Cursor.value(cursor) == 300)
        }
    }

    @Test("a subscriber stalled (SIGSTOP) while 40 MB of events are written costs the hub no memory and loses nothing")
    func stalledSubscriber() async throws {
        try await ProcessHarness.run { harness in
            let config = try addDepartment(harness)
            let cursor = harness.directory.appendingPathComponent("zrzy.cursor").path
            try harness.startHub()
            try harness.start("subscriber", ["subscribe", "--config", config, "--cursor-file", cursor])
            try await Self.writeEvents(harness, from: 0, count: 30)
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline, (Cursor.value(cursor) ?? 0) < 28 { try await Task.sleep(for: .milliseconds(50)) }
            harness.pause("subscriber")
            let before = try #require(harness.residentBytes("hub"))
            // 9,000 events of about 4 KB each (every third granted): far more than any socket buffer.
            for chunk in 0..<9 { try await Self.writeEvents(harness, from: 30 + chunk * 1_000, count: 1_000, padding: 1_300) }
            try await Task.sleep(for: .seconds(3))
            let during = try #require(harness.residentBytes("hub"))
            harness.resume("subscriber")
            let end = ContinuousClock.now + .seconds(120)
            let last = Int64(9_030 - 2)   // index 9,027 is the last stage.signed → seq 9,028
            while ContinuousClock.now < end, (Cursor.value(cursor) ?? 0) < last { try await Task.sleep(for: .milliseconds(200)) }
            let after = try #require(harness.residentBytes("hub"))
            harness.stop("subscriber")
            let received = Self.seqs(harness.log("subscriber"))
            let expected = stride(from: 0, to: 9_030, by: 3).map { Int64($0 + 1) }
            let complete = received == expected
            #expect(complete, "received \(received.count) of \(expected.count), last \(received.last ?? 0)")
            let mib = { (bytes: Int) in bytes / 1_048_576 }
            print("hub RSS: before \(mib(before)) MiB, stalled \(mib(during)) MiB, after catch-up \(mib(after)) MiB")
            // The feed is pulled: the hub holds at most one batch for a reader, whatever it has not read.
            #expect(during - before < 16 * 1_048_576, "hub RSS grew from \(mib(before)) to \(mib(during)) MiB while the reader was stalled")
        }
    }
}

enum Cursor {
    static func value(_ path: String) -> Int64? {
        FileManager.default.contents(atPath: path).flatMap { Int64(String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
}

@Suite("Hostile peers against a hub process", .serialized)
struct HostilePeerTests {
    /// The secret key written into a tenant's config file.
    static func value(_ key: String, in config: String) throws -> String {
        let text = try String(contentsOfFile: config, encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix(key + " ") || $0.hasPrefix(key + "=") })
        return String(line.split(separator: "\"")[1])
    }

    @Test("100 MiB frames, with and without a key, cost the hub no memory and do not stop it serving others")
    func hugeFrames() async throws {
        try await ProcessHarness.run { harness in
            try harness.startHub()
            try await Task.sleep(for: .seconds(2))
            let before = try #require(harness.residentBytes("hub"))
            let context = try Context()
            defer { context.terminate() }
            let hubKey = try Self.value("hub_public_key", in: harness.nodeConfig)
            let keys = try CurveKeyPair(secretKey: try Self.value("secret_key", in: harness.nodeConfig))
            let huge = [UInt8](repeating: 0x41, count: 100 * 1_048_576)
            for withKey in [true, false] {
                let endpoint = "tcp://127.0.0.1:\(harness.hubPort)"
                let loop = try await SocketLoop.start(context: context, configuration: .init(name: "hostile")) { context in
                    let socket = try Socket(context: context, type: .dealer)
                    if withKey { try socket.makeCurveClient(keyPair: keys, serverPublicKey: hubKey) }
                    try socket.connect(endpoint)
                    return [socket]
                }
                for _ in 0..<3 { try? loop.post(Message(frames: [Array(Wire.signature.utf8), huge]), on: loop.socketIDs[0]) }
                try await Task.sleep(for: .seconds(3))
                await loop.shutdown()
            }
            let after = try #require(harness.residentBytes("hub"))
            // The hub still answers a well-behaved office.
            let answer = try harness.runToEnd(["check", "--config", harness.nodeConfig, "--name", "九江恒通物流有限公司"])
            #expect(answer.contains("暂无区县在跟进"), "\(answer)")
            print("hub RSS: \(before / 1_048_576) MiB before, \(after / 1_048_576) MiB after six 100 MiB frames")
            #expect(after - before < 32 * 1_048_576, "hub RSS grew from \(before / 1_048_576) to \(after / 1_048_576) MiB")
        }
    }
}

@Suite("Hostile text through node and hub (real processes)", .serialized)
struct HostileTextTests {
    static let accepted = [
        "江西'; DROP TABLE claims; --科技有限公司",
        #"九江"恒通"\物流有限公司 OR 1=1"#,
        "江西😀星辰科技有限公司",
        "江西Ωmega数据科技有限公司",
        "九江ＡＢＣ贸易有限公司",
        "江西👨‍👩‍👧家庭服务有限公司",
        "江西$1$$星河$$科技有限公司",
        String(repeating: "长", count: 190) + "科技有限公司",
    ]

    @Test("SQL metacharacters, emoji, mixed scripts and long names arrive exactly; control characters and oversized fields are refused clearly")
    func oddNames() async throws {
        try await ProcessHarness.run { harness in
            try await harness.startNode()   // migrates the node's database; the hub is not up yet
            for name in Self.accepted {
                try harness.runToEnd(["lead", "add", "--config", harness.nodeConfig, "--investor", name, "--industry", "科技",
                                      "--notes", "第一行\n第二行\t制表"])
            }
            // Refused, each with a clear reason, and nothing stored.
            let refusals: [([String], String)] = [
                (["--investor", String(repeating: "长", count: 10_000) + "科技有限公司"], "投资方名称超过 200 字"),
                (["--investor", String(repeating: "👨‍👩‍👧", count: 45) + "科技有限公司"], "投资方名称超过 200 字"),
                (["--investor", "江西星\u{07}科技有限公司"], "投资方名称含控制字符 U+0007"),
                (["--investor", "江西星光科技有限公司", "--notes", String(repeating: "备", count: 10_000)], "备注超过 4000 字"),
            ]
            for (arguments, reason) in refusals {
                do {
                    try harness.runToEnd(["lead", "add", "--config", harness.nodeConfig] + arguments)
                    Issue.record("accepted: \(arguments.joined(separator: " ").prefix(80))")
                } catch let error as ProcessHarness.ProcessError {
                    #expect(error.output.contains(reason) && error.output.contains("LEAD_INVALID"), "\(error.output.prefix(300))")
                }
            }
            // A NUL can only come from a file: the CSV import refuses the batch and names the row.
            let csv = harness.directory.appendingPathComponent("nul.csv")
            try Data("investor_name,industry\n江西星\u{0}光科技有限公司,科技\n".utf8).write(to: csv)
            do {
                try harness.runToEnd(["lead", "add", "--config", harness.nodeConfig, "--csv", csv.path])
                Issue.record("a NUL in a name was accepted")
            } catch let error as ProcessHarness.ProcessError {
                #expect(error.output.contains("U+0000"), "\(error.output.prefix(300))")
            }
            #expect(try await harness.scalar(harness.nodeDatabase, "SELECT count(*)::int FROM leads") == Self.accepted.count)

            try harness.startHub()
            let arrived = try await harness.waitFor(harness.hubDatabase, "SELECT count(*)::int FROM claims", equals: Self.accepted.count, seconds: 60)
            #expect(arrived == Self.accepted.count, "hub log: \(harness.log("hub").suffix(1500))")
            var configuration = harness.admin
            configuration.database = harness.hubDatabase
            let names = try await Database.withDatabase(configuration, logger: TestDatabase.logger) { db in
                var names: [String] = []
                let rows = try await db.client.query("SELECT investor_name FROM claims", logger: TestDatabase.logger)
                for try await name in rows.decode(String.self) { names.append(name) }
                return names
            }
            #expect(Set(names) == Set(Self.accepted))
            #expect(try await harness.scalar(harness.hubDatabase, "SELECT count(*)::int FROM pg_tables WHERE tablename = 'claims'") == 1)
            let shown = try harness.runToEnd(["lead", "list", "--config", harness.nodeConfig])
            for name in Self.accepted { #expect(shown.contains(name), "lead list lacks \(name.prefix(20))") }
        }
    }
}
