import ConcordStore
import ConcordTestSupport
import Foundation
import Logging
import PostgresNIO
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Real `concord` processes (hub, node) on fresh databases of the test cluster, for guarantees
/// about crashes and outages.
final class ProcessHarness: Sendable {
    let directory: URL
    let admin: DatabaseConfiguration
    let hubDatabase: String
    let nodeDatabase: String
    let hubPort: Int
    private let processes = Mutex<[String: Process]>([:])

    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("concord")
    }

    static func run(_ body: @escaping @Sendable (ProcessHarness) async throws -> Void) async throws {
        let admin = try TestDatabase.server()
        let suffix = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        let hubDB = "phub_\(suffix)", nodeDB = "pnode_\(suffix)"
        try await Database.withDatabase(admin, logger: TestDatabase.logger) { db in
            for name in [hubDB, nodeDB] {
                _ = try await db.client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: TestDatabase.logger)
            }
        } as Void
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("concord-proc-\(suffix)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let harness = ProcessHarness(directory: directory, admin: admin, hubDatabase: hubDB, nodeDatabase: nodeDB,
                                     hubPort: freePort())
        var failure: (any Error)?
        do {
            try await harness.setUp()
            try await body(harness)
        } catch {
            failure = error
        }
        harness.stopAll()
        try? FileManager.default.removeItem(at: directory)
        try? await Database.withDatabase(admin, logger: TestDatabase.logger) { db in
            for name in [hubDB, nodeDB] {
                _ = try await db.client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: TestDatabase.logger)
            }
        } as Void
        if let failure { throw failure }
    }

    private init(directory: URL, admin: DatabaseConfiguration, hubDatabase: String, nodeDatabase: String, hubPort: Int) {
        self.directory = directory
        self.admin = admin
        self.hubDatabase = hubDatabase
        self.nodeDatabase = nodeDatabase
        self.hubPort = hubPort
    }

    func url(_ database: String) -> String { "postgres://\(admin.user)@\(admin.host):\(admin.port)/\(database)" }
    var hubConfig: String { directory.appendingPathComponent("hub.toml").path }
    var nodeConfig: String { directory.appendingPathComponent("360402.toml").path }
    var schemas: String { TestDatabase.schemasDirectory.path }

    /// hub init, migrate the hub database, register 360402.
    func setUp() async throws {
        try runToEnd(["hub", "init", "--out", hubConfig, "--bind", "tcp://127.0.0.1:\(hubPort)", "--database-url", url(hubDatabase), "--console-bind", "off"])
        try runToEnd(["db", "migrate", "--schemas", schemas], environment: ["CONCORD_DATABASE_URL": url(hubDatabase)])
        try runToEnd(["tenant", "add", "--config", hubConfig, "--kind", "county", "--code", "360402", "--name", "濂溪区",
                      "--hub-endpoint", "tcp://127.0.0.1:\(hubPort)", "--out", nodeConfig,
                      "--node-database-url", url(nodeDatabase), "--console-bind", "off"])
    }

    /// Runs a concord command and waits for it; throws with its output when it fails.
    @discardableResult
    func runToEnd(_ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ProcessError(command: arguments.joined(separator: " "), status: process.terminationStatus, output: output)
        }
        return output
    }

    struct ProcessError: Error, CustomStringConvertible {
        let command: String
        let status: Int32
        let output: String
        var description: String { "concord \(command) exited \(status): \(output)" }
    }

    /// Starts a long-running concord command under `name`, its output in a log file.
    func start(_ name: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        let log = directory.appendingPathComponent("\(name).log")
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        processes.withLock { $0[name] = process }
    }

    func startHub() throws { try start("hub", ["hub", "run", "--config", hubConfig, "--schemas", schemas]) }
    /// Starts the node and waits until it has migrated its database and recorded its link state.
    func startNode() async throws {
        try start("node", ["node", "run", "--config", nodeConfig, "--schemas", schemas])
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if (try? await scalar(nodeDatabase, "SELECT count(*)::int FROM node_link")) == 1 { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw ProcessError(command: "node run", status: -1, output: log("node"))
    }

    /// kill -9.
    func crash(_ name: String) {
        guard let process = processes.withLock({ $0.removeValue(forKey: name) }) else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stop(_ name: String) {
        guard let process = processes.withLock({ $0.removeValue(forKey: name) }) else { return }
        process.terminate()
        process.waitUntilExit()
    }

    func stopAll() {
        let all = processes.withLock { p -> [Process] in defer { p = [:] }; return Array(p.values) }
        for process in all where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for process in all { process.waitUntilExit() }
    }

    /// SIGTERM, then waits up to `seconds` for the process to end; kills it and returns false if it does not.
    func terminate(_ name: String, within seconds: Double) async -> Bool {
        guard let process = processes.withLock({ $0.removeValue(forKey: name) }) else { return true }
        process.terminate()
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        guard process.isRunning else { return true }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return false
    }

    /// SIGSTOP / SIGCONT: a stalled peer.
    func pause(_ name: String) { processes.withLock { $0[name] }.map { _ = kill($0.processIdentifier, SIGSTOP) } }
    func resume(_ name: String) { processes.withLock { $0[name] }.map { _ = kill($0.processIdentifier, SIGCONT) } }

    /// Resident memory of a running process, in bytes (VmRSS from /proc).
    func residentBytes(_ name: String) -> Int? {
        guard let pid = processes.withLock({ $0[name]?.processIdentifier }),
              let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return nil }
        return kilobytes * 1024
    }

    func log(_ name: String) -> String {
        (try? String(contentsOf: directory.appendingPathComponent("\(name).log"), encoding: .utf8)) ?? ""
    }

    /// One integer from a query on one of the databases.
    func scalar(_ database: String, _ sql: String) async throws -> Int {
        var configuration = admin
        configuration.database = database
        return try await Database.withDatabase(configuration, logger: TestDatabase.logger) { db in
            let rows = try await db.client.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger)
            for try await value in rows.decode(Int.self) { return value }
            return 0
        }
    }

    /// Waits until `sql` returns `expected` on `database`, or the deadline passes; returns the last value.
    func waitFor(_ database: String, _ sql: String, equals expected: Int, seconds: Int) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var value = -1
        while ContinuousClock.now < deadline {
            value = (try? await scalar(database, sql)) ?? -1
            if value == expected { return value }
            try await Task.sleep(for: .milliseconds(250))
        }
        return value
    }

    /// Writes `count` leads as a CSV file and files them with `concord lead add --csv` (one transaction).
    func fileLeads(_ count: Int, from start: Int) throws {
        var lines = ["investor_name,industry,investment_wan"]
        for index in start..<(start + count) {
            lines.append("测试企业\(Self.brand(index))科技有限公司,电子,\(index)")
        }
        let file = directory.appendingPathComponent("leads-\(start).csv")
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        try runToEnd(["lead", "add", "--config", nodeConfig, "--csv", file.path])
    }

    /// Distinct two-to-three character brands, so that no two leads are the same enterprise.
    static func brand(_ index: Int) -> String {
        precondition(Set(characters).count == characters.count)
        return String([characters[index % characters.count], characters[(index / characters.count) % characters.count],
                       characters[(index / (characters.count * characters.count)) % characters.count]])
    }

    static let characters = Array("甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥金木水火土天地玄黄宇宙洪荒日月盈昃冬宿列张")
}

