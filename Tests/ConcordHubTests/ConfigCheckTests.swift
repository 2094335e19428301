import ConcordTestSupport
import Foundation
import Testing

/// `concord config check` against the files hub init and tenant add write, and broken ones.
@Suite(.serialized) struct ConfigCheckTests {
    @Test("config check accepts what hub init and tenant add write, and names the key of every error")
    func configCheck() async throws {
        try await ProcessHarness.run { harness in
            let hub = try harness.runToEnd(["config", "check", "--connect", harness.hubConfig])
            #expect(hub.contains("角色：协同中心"))
            #expect(hub.contains("数据库连接正常"))
            #expect(hub.contains("配置有效"))
            let node = try harness.runToEnd(["config", "check", harness.nodeConfig])
            #expect(node.contains("角色：区县节点"))
            #expect(!node.contains("secret_key"), "the check prints no secret")

            func broken(_ name: String, _ edit: (String) -> String) throws -> String {
                let path = harness.directory.appendingPathComponent(name).path
                let text = edit(try String(contentsOfFile: harness.nodeConfig, encoding: .utf8))
                FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
                do {
                    _ = try harness.runToEnd(["config", "check", path])
                    Issue.record("config check accepted \(name)")
                    return ""
                } catch let error as ProcessHarness.ProcessError {
                    #expect(error.status == 1)
                    return error.output
                }
            }
            #expect(try broken("typo.toml") { $0 + "heartbeat_second = 5\n" }.contains("heartbeat_second"))
            #expect(try broken("range.toml") { $0 + "heartbeat_seconds = 0\n" }.contains("heartbeat_seconds"))
            #expect(try broken("endpoint.toml") { $0.replacingOccurrences(of: "hub_endpoint = \"tcp://", with: "hub_endpoint = \"http://") }
                .contains("hub_endpoint"))
            #expect(try broken("console.toml") { $0 + "console_bind = \"8701\"\n" }.contains("console_bind"))
            // The .env beside a config (scripts/install keeps the database password there) is read too.
            let envPath = harness.nodeConfig.replacingOccurrences(of: ".toml", with: ".env")
            FileManager.default.createFile(atPath: envPath, contents: Data("CONCORD_HEARTBEAT_SECONDS=0\n".utf8),
                                           attributes: [.posixPermissions: 0o600])
            let fromEnv = #expect(throws: ProcessHarness.ProcessError.self) { try harness.runToEnd(["config", "check", harness.nodeConfig]) }
            #expect(fromEnv?.output.contains("heartbeat_seconds") == true)
            try FileManager.default.removeItem(atPath: envPath)
            // A file others can read is refused before anything else (it holds a secret key).
            let open = harness.directory.appendingPathComponent("open.toml").path
            FileManager.default.createFile(atPath: open, contents: try Data(contentsOf: URL(fileURLWithPath: harness.nodeConfig)),
                                           attributes: [.posixPermissions: 0o644])
            #expect(throws: ProcessHarness.ProcessError.self) { try harness.runToEnd(["config", "check", open]) }
        }
    }
}

/// `concord tenant rekey`: the office keeps its code and history under a new key; the old key is refused.
@Suite(.serialized) struct RekeyTests {
    @Test("after tenant rekey the node links with the new config only, and what it files arrives")
    func rekey() async throws {
        try await ProcessHarness.run { harness in
            try harness.startHub()
            try await harness.startNode()
            #expect(try await harness.waitFor(harness.nodeDatabase, "SELECT count(*)::int FROM node_link WHERE state = 'up'", equals: 1, seconds: 30) == 1)
            try harness.fileLeads(3, from: 0)
            #expect(try await harness.waitFor(harness.hubDatabase, "SELECT count(*)::int FROM claims", equals: 3, seconds: 30) == 3)
            harness.stop("node")

            let old = harness.directory.appendingPathComponent("360402-old.toml").path
            try FileManager.default.moveItem(atPath: harness.nodeConfig, toPath: old)
            let output = try harness.runToEnd(["tenant", "rekey", "--config", harness.hubConfig, "360402",
                                               "--hub-endpoint", "tcp://127.0.0.1:\(harness.hubPort)", "--out", harness.nodeConfig,
                                               "--node-database-url", harness.url(harness.nodeDatabase), "--console-bind", "off"])
            #expect(output.contains("已更换租户 360402"))
            #expect(try await harness.scalar(harness.hubDatabase, "SELECT count(*)::int FROM audit_chain WHERE action = 'tenant.rekey'") == 1)

            // The old key: refused once the running hub has reloaded its keys (every 2 s).
            try await Task.sleep(for: .seconds(3))
            try harness.start("old-node", ["node", "run", "--config", old, "--schemas", harness.schemas])
            try await Task.sleep(for: .seconds(4))
            #expect(try await harness.scalar(harness.nodeDatabase, "SELECT count(*)::int FROM node_link WHERE state = 'up'") == 0)
            harness.stop("old-node")

            // The new key: the same office, its history intact, new filings delivered.
            try await harness.startNode()
            #expect(try await harness.waitFor(harness.nodeDatabase, "SELECT count(*)::int FROM node_link WHERE state = 'up'", equals: 1, seconds: 30) == 1)
            try harness.fileLeads(2, from: 3)
            #expect(try await harness.waitFor(harness.hubDatabase, "SELECT count(*)::int FROM claims WHERE office = '360402'", equals: 5, seconds: 30) == 5)
            #expect(try await harness.scalar(harness.nodeDatabase, "SELECT count(*)::int FROM leads WHERE claim_status IS NULL") == 0)
        }
    }
}

/// `concord hub rekey`: the hub's own key replaced with an overlap, with real processes.
@Suite(.serialized) struct HubRekeyTests {
    @Test("hub rekey: offices on the old key keep delivering until moved to the new one; --finish drops the old key")
    func hubRekey() async throws {
        try await ProcessHarness.run { harness in
            try harness.startHub()
            try await harness.startNode()
            try harness.fileLeads(2, from: 0)
            #expect(try await harness.waitFor(harness.hubDatabase, "SELECT count(*)::int FROM claims", equals: 2, seconds: 30) == 2)

            let newPort = freePort()
            let output = try harness.runToEnd(["hub", "rekey", "--config", harness.hubConfig, "--bind", "tcp://127.0.0.1:\(newPort)"])
            let newKey = try #require(output.split(separator: "\n").first { $0.contains("hub_public_key") }?
                .split(separator: "\"").dropFirst().first.map(String.init))
            let mode = try FileManager.default.attributesOfItem(atPath: harness.hubConfig)[.posixPermissions] as? Int
            #expect(mode == 0o600, "the rewritten config keeps its mode")
            #expect(try harness.runToEnd(["config", "check", harness.hubConfig]).contains("配置有效"))
            #expect(throws: ProcessHarness.ProcessError.self, "a second rekey before --finish is refused") {
                try harness.runToEnd(["hub", "rekey", "--config", harness.hubConfig, "--bind", "tcp://127.0.0.1:\(freePort())"])
            }
            harness.stop("hub")
            try harness.startHub()
            // The node, not yet told, still on the old key and address.
            try harness.fileLeads(2, from: 2)
            #expect(try await harness.waitFor(harness.hubDatabase, "SELECT count(*)::int FROM claims", equals: 4, seconds: 30) == 4)
            #expect(try await harness.waitFor(harness.nodeDatabase, "SELECT count(*)::int FROM leads WHERE claim_status IS NULL", equals: 0, seconds: 30) == 0)

            // The node moved to the new key and address.
            harness.stop("node")
            var node = try String(contentsOfFile: harness.nodeConfig, encoding: .utf8)
            node = node.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                if line.hasPrefix("hub_public_key") { return "hub_public_key = \"\(newKey)\"" }
                if line.hasPrefix("hub_endpoint") { return "hub_endpoint = \"tcp://127.0.0.1:\(newPort)\"" }
                return String(line)
            }.joined(separator: "\n")
            try node.write(toFile: harness.nodeConfig, atomically: false, encoding: .utf8)
            try await harness.startNode()
            try harness.fileLeads(2, from: 4)
            #expect(try await harness.waitFor(harness.hubDatabase, "SELECT count(*)::int FROM claims", equals: 6, seconds: 30) == 6)

            _ = try harness.runToEnd(["hub", "rekey", "--config", harness.hubConfig, "--finish"])
            #expect(!(try String(contentsOfFile: harness.hubConfig, encoding: .utf8)).contains("previous_"))
            harness.stop("hub")
            try harness.startHub()
            try harness.fileLeads(1, from: 6)
            #expect(try await harness.waitFor(harness.hubDatabase, "SELECT count(*)::int FROM claims", equals: 7, seconds: 30) == 7)
            #expect(try await harness.waitFor(harness.nodeDatabase, "SELECT count(*)::int FROM leads WHERE claim_status IS NULL", equals: 0, seconds: 30) == 0)
        }
    }
}

/// `concord status` on both sides, from their databases.
@Suite(.serialized) struct StatusTests {
    @Test("concord status shows the link, what waits and the sequence numbers on both sides")
    func status() async throws {
        try await ProcessHarness.run { harness in
            try await harness.startNode()
            try harness.fileLeads(4, from: 0)
            let offline = try harness.runToEnd(["status", "--config", harness.nodeConfig])
            #expect(offline.contains("离线"))
            #expect(offline.contains("待确认 4 条"))
            try harness.startHub()
            #expect(try await harness.waitFor(harness.nodeDatabase, "SELECT count(*)::int FROM outbox WHERE acked_at IS NULL", equals: 0, seconds: 30) == 0)
            let node = try harness.runToEnd(["status", "--config", harness.nodeConfig])
            #expect(node.contains("正常"))
            #expect(node.contains("已确认至 #4，待确认 0 条"))
            #expect(node.contains("收自协同中心：已应用至 #4"), "the hub answered each filing")
            let hub = try harness.runToEnd(["status", "--config", harness.hubConfig])
            #expect(hub.contains("360402\t濂溪区\t0\t-\t#4\t#4"))
        }
    }
}

/// The Prometheus endpoints of a running hub and node.
@Suite(.serialized) struct MetricsTests {
    static func scrape(_ port: Int) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:\(port)/metrics', timeout=5).read().decode())"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text
    }

    @Test("hub and node serve /metrics: messages by type, outbox depth, link state, open conflicts")
    func metrics() async throws {
        try await ProcessHarness.run { harness in
            let (hubPort, nodePort) = (freePort(), freePort())
            for (config, port) in [(harness.hubConfig, hubPort), (harness.nodeConfig, nodePort)] {
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: config))
                handle.seekToEndOfFile()
                handle.write(Data("metrics_bind = \"127.0.0.1:\(port)\"\n".utf8))
                try handle.close()
            }
            try harness.startHub()
            try await harness.startNode()
            try harness.fileLeads(3, from: 0)
            #expect(try await harness.waitFor(harness.hubDatabase, "SELECT count(*)::int FROM claims", equals: 3, seconds: 30) == 3)
            var hub = ""
            var node = ""
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                hub = (try? Self.scrape(hubPort)) ?? ""
                node = (try? Self.scrape(nodePort)) ?? ""
                // Both samplers run every 5 s: wait for a sample taken after the claims were answered.
                if hub.contains("concord_outbox_waiting{peer=\"360402\"} 0"), node.contains("concord_outbox_waiting{peer=\"hub\"} 0") { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(hub.contains("concord_messages_received_total{type=\"claim.file\"} 3"), "\(hub.prefix(1500))")
            #expect(hub.contains("concord_messages_sent_total{type=\"claim.status\"} 3"))
            #expect(hub.contains("concord_conflicts_open 0"))
            #expect(hub.contains("concord_assignments_overdue 0"))
            #expect(hub.contains("concord_outbox_waiting{peer=\"360402\"} 0"))
            #expect(node.contains("concord_link_up 1"), "\(node.prefix(1500))")
            #expect(node.contains("concord_messages_sent_total{type=\"claim.file\"} 3"))
            #expect(node.contains("concord_outbox_waiting{peer=\"hub\"} 0"))
            #expect(hub.contains("concord_db_connections_max 10"))
            #expect(hub.contains("concord_db_connections_open ") && !hub.contains("concord_db_connections_open 0"),
                    "the pool's connections, found by application_name")
            #expect(node.contains("concord_db_connections_busy "))
            #expect(!hub.contains("secret"), "no keys in the metrics")
        }
    }
}

/// `concord tenant add --public-key`: a key generated elsewhere is registered; no secret key is made
/// at the hub or written into the config it hands over.
@Suite(.serialized) struct ExternalKeyTests {
    @Test("tenant add --public-key registers a key generated elsewhere and writes a template without secret_key that works once completed")
    func externalKey() async throws {
        try await ProcessHarness.run { harness in
            let keys = harness.directory.appendingPathComponent("keys")
            try harness.runToEnd(["keys", "generate", "--name", "zrzy", "--dir", keys.path])
            let publicKey = try String(contentsOf: keys.appendingPathComponent("zrzy.pub"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let secretKey = try String(contentsOf: keys.appendingPathComponent("zrzy.key"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let config = harness.directory.appendingPathComponent("zrzy.toml").path
            // `--public-key=KEY`: a Z85 key may start with '-'.
            let add: @Sendable (_ key: String, _ code: String, _ out: String) throws -> String = { key, code, out in
                try harness.runToEnd(["tenant", "add", "--config", harness.hubConfig, "--kind", "department", "--code", code,
                                      "--name", "自然资源局", "--hub-endpoint", "tcp://127.0.0.1:\(harness.hubPort)", "--out", out,
                                      "--public-key=\(key)"])
            }

            // The .pub file as `keys generate` writes it.
            let output = try add(keys.appendingPathComponent("zrzy.pub").path, "zrzy", config)
            #expect(output.contains("已登记的公钥 (public key)：\(publicKey)"), "\(output)")
            let template = try String(contentsOfFile: config, encoding: .utf8)
            let lines = template.split(separator: "\n")
            #expect(!lines.contains { $0.hasPrefix("secret_key") }, "no secret key in the template")
            #expect(!template.contains(secretKey))
            #expect(lines.contains("role = \"subscriber\""))
            #expect(lines.contains("tenant = \"zrzy\""))
            let mode = try FileManager.default.attributesOfItem(atPath: config)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            let hubKey = try #require(lines.first { $0.hasPrefix("hub_public_key") }?.split(separator: "\"").dropFirst().first.map(String.init))
            #expect(output.contains("协同中心公钥 (hub public key)：\(hubKey)"))
            let listed = try harness.runToEnd(["tenant", "list", "--config", harness.hubConfig])
            #expect(listed.contains("zrzy\tdepartment\t自然资源局\t有效\t\(publicKey)"))

            // Refused before a file is written or a key registered: not a 32-byte Z85 key (40 '#' overflow
            // a 5-character group), one character short, the hub's own key, a key registered already.
            let bad = harness.directory.appendingPathComponent("bad.toml").path
            for (key, code) in [(String(repeating: "#", count: 40), "KEY_INVALID"), (String(publicKey.dropLast()), "KEY_INVALID"),
                                (hubKey, "KEY_INVALID"), (publicKey, "DUPLICATE")] {
                let refused = #expect(throws: ProcessHarness.ProcessError.self) { try add(key, "other", bad) }
                #expect(refused?.output.contains(code) == true, "\(key): \(refused?.output ?? "")")
                #expect(!FileManager.default.fileExists(atPath: bad))
            }
            #expect(!(try harness.runToEnd(["tenant", "list", "--config", harness.hubConfig])).contains("other\t"))

            // Completed by the key's owner, the template is a valid subscriber config, and the hub
            // accepts the key: its fetch is recorded.
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: config))
            handle.seekToEndOfFile()
            handle.write(Data("secret_key = \"\(secretKey)\"\n".utf8))
            try handle.close()
            #expect(try harness.runToEnd(["config", "check", config]).contains("配置有效"))
            try harness.startHub()
            try harness.start("zrzy", ["subscribe", "--config", config, "--until-idle"])
            #expect(try await harness.waitFor(harness.hubDatabase, "SELECT count(*)::int FROM feed_readers WHERE tenant = 'zrzy'",
                                              equals: 1, seconds: 30) == 1, "\(harness.log("zrzy").suffix(500))")
        }
    }
}

/// Changes made with the CLI reach the audit chain with the operating-system user and host.
@Suite(.serialized) struct CLIAuditTests {
    @Test("tenant add, grant, revoke, user add, passwd, disable and a city lead from the CLI are audited as cli:user@host")
    func cliChangesAreAudited() async throws {
        try await ProcessHarness.run { harness in
            let out = harness.directory.appendingPathComponent("fgw.toml").path
            try harness.runToEnd(["tenant", "add", "--config", harness.hubConfig, "--kind", "department", "--code", "fgw2",
                                  "--name", "发改委", "--hub-endpoint", "tcp://127.0.0.1:\(harness.hubPort)", "--out", out])
            try harness.runToEnd(["tenant", "grant", "--config", harness.hubConfig, "fgw2", "stage.signed"])
            try harness.runToEnd(["tenant", "revoke", "--config", harness.hubConfig, "fgw2"])
            try harness.runToEnd(["user", "add", "--config", harness.hubConfig, "--name", "city-li", "--display", "李协调", "--role", "coordinator"])
            try harness.runToEnd(["user", "passwd", "--config", harness.hubConfig, "city-li"])
            try harness.runToEnd(["user", "disable", "--config", harness.hubConfig, "city-li"])
            try harness.runToEnd(["lead", "add", "--config", harness.hubConfig, "--city", "--investor", "赣锋锂业集团股份有限公司"])
            let actor = "cli:\(NSUserName())@\(ProcessInfo.processInfo.hostName)"
            for action in ["tenant.add", "grant.add", "tenant.revoke", "console.user.add", "console.user.passwd", "console.user.disable", "city_lead.add"] {
                let byCLI = try await harness.scalar(harness.hubDatabase,
                                                     "SELECT count(*)::int FROM audit_chain WHERE action = '\(action)' AND actor = '\(actor)'")
                let any = try await harness.scalar(harness.hubDatabase, "SELECT count(*)::int FROM audit_chain WHERE action = '\(action)'")
                #expect(byCLI >= 1 && byCLI == any, "\(action) audited as \(actor): \(any) rows by any actor")
            }
        }
    }
}
