import ArgumentParser
import ConcordConfig
import ConcordDomain
import ConcordNode
import ConcordProtocol
import ConcordStore
import Foundation
import ServiceLifecycle
import ZeroMQ

struct SubscribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscribe",
        abstract: "订阅协同中心的事件流（联审联办部门），逐行输出 JSON (follow the hub's event feed).",
        discussion: """
            按授权（concord tenant grant）读取事件：先补齐游标之后的全部，再等待新事件；断线、协同中心重启后
            从游标继续，不漏不重。游标在处理完每个事件后持久保存：配置了 database_url 时存入该数据库的
            concord_subscriber_cursors 表（按 --cursor-name 区分），否则原子写入文件（默认为 配置文件名.cursor）。
            --exec 对每个事件运行一个命令（事件 JSON 从标准输入给出），命令成功才前进游标，失败则停止并报错。

            例: concord subscribe --config zrzy.toml
                concord subscribe --config zrzy.toml --topics stage.signed --from 1 --exec 'python3 import.py'
            """
    )
    @Option(help: "部门配置文件 (subscriber config from tenant add).") var config: String
    @Option(help: "只要这些主题（逗号分隔，须在授权之内） (topics).") var topics: String?
    @Option(help: "从该序号开始（含） (start at this sequence number).") var from: Int64?
    @Flag(help: "从保存的游标继续（默认） (resume from the saved cursor).") var resume = false
    @Option(help: "每个事件运行的命令 (command per event).") var exec: String?
    @Option(help: "游标文件；给出时即使配置了数据库也用文件 (cursor file; overrides the database).") var cursorFile: String?
    @Option(help: "数据库游标的名称：同一部门的多个订阅各用一个 (cursor name in the database).") var cursorName = "default"
    @Flag(help: "追上最新事件后退出 (exit once caught up).") var untilIdle = false
    @Flag(help: "事件内容中的编号与金额输出为 JSON 数字而非字符串（协议 1.2） (identifiers and amounts as JSON numbers).") var typed = false
    @Option(help: "把事件追加到该文件而非标准输出；崩溃后据文件末行恢复，既不重复也不遗漏 (append events to FILE, exactly once).")
    var out: String?

    func run() async throws {
        try await reportingErrors {
            let file = try ConfigLoading.load(config)
            let configuration = try ConfigLoading.checked { try SubscriberConfiguration.load(file) }
            let (tenant, endpoint, hubKey, keys) = (configuration.tenant, configuration.hubEndpoint, configuration.hubPublicKey, configuration.keys)
            if out != nil && exec != nil { throw CLIError("BAD_ARGUMENT", "--out 与 --exec 只能选一个") }
            let requested = topics.map { list($0, ",") }
            for topic in requested ?? [] where TopicPattern(topic) == nil {
                throw CLIError("BAD_ARGUMENT", "主题模式不合法：\(topic)")
            }
            let feed = Feed(tenant: tenant, endpoint: endpoint, hubKey: hubKey, keys: keys, topics: requested,
                            from: from, exec: exec, out: out, untilIdle: untilIdle, typed: typed)
            // The cursor lives in the department's database when one is configured, else in a file.
            if cursorFile == nil, let database = configuration.database {
                let logger = CLILogging.logger("concord.subscribe")
                let name = cursorName
                try await Database.withDatabase(database, logger: logger) { db in
                    let cursor = SubscriberCursor(tenant: tenant, name: name, client: db.client, logger: logger)
                    try await cursor.prepare()
                    // The database runs under a service group that catches SIGTERM/SIGINT: end the
                    // subscription then, after the event in hand, instead of waiting forever.
                    try await cancelWhenGracefulShutdown { try await feed.follow(cursor: .database(cursor)) }
                }
            } else {
                let path = cursorFile ?? configuration.cursorFile ?? config + ".cursor"
                try await feed.follow(cursor: .file(path))
            }
        }
    }

    /// Where the cursor is kept.
    enum CursorStore: Sendable {
        case file(String)
        case database(SubscriberCursor)

        func read() async throws -> Int64? {
            switch self {
            case .file(let path): return Cursor.read(path)
            case .database(let cursor): return try await cursor.read()
            }
        }

        func write(_ value: Int64) async throws {
            switch self {
            case .file(let path): try Cursor.write(value, to: path)
            case .database(let cursor): try await cursor.write(value)
            }
        }

        var description: String {
            switch self {
            case .file(let path): return "游标文件 \(path)"
            case .database(let cursor): return "数据库游标 \(cursor.tenant)/\(cursor.name)"
            }
        }
    }

    /// One subscription: fetches batches after the cursor, hands each event on, then moves the cursor.
    struct Feed: Sendable {
        let tenant: String
        let endpoint: String
        let hubKey: String
        let keys: CurveKeyPair
        let topics: [String]?
        let from: Int64?
        let exec: String?
        let out: String?
        let untilIdle: Bool
        let typed: Bool

        func follow(cursor store: CursorStore) async throws {
            let saved = try await store.read()
            var cursor: Int64 = from.map { $0 - 1 } ?? saved ?? 0
            if from != nil { try await store.write(cursor) }
            // The output file is the record of what was handed on: its last line wins over a cursor
            // that a crash kept from being saved.
            var sink: FileHandle?
            if let out {
                if let written = try OutputFile.recover(out), written > cursor, from == nil {
                    cursor = written
                    try await store.write(cursor)
                }
                sink = try OutputFile.open(out)
            }
            defer { try? sink?.close() }
            FileHandle.standardError.write(Data("订阅 \(tenant)：从序号 \(cursor + 1) 开始（\(store.description)）\n".utf8))
            let context = try Context()
            defer { context.terminate() }
            var loop = try await SubscribeCommand.connect(context, keys: keys, hubKey: hubKey, endpoint: endpoint)
            while !Task.isCancelled {
                let request = Envelope(payload: .feedFetch(FeedFetch(after: cursor, topics: topics, max: 500, waitMs: untilIdle ? 0 : 20_000,
                                                                          typed: typed ? true : nil)))
                try? loop.post(Message(frames: request.frames()), on: loop.socketIDs[0])
                guard let batch = try await SubscribeCommand.answer(to: request.id, on: loop, within: .seconds(30)) else {
                    if Task.isCancelled { break }
                    // No answer: the hub is down or the connection is stale. Start a fresh one and ask again.
                    await loop.shutdown()
                    try? await Task.sleep(for: .seconds(1))
                    if Task.isCancelled { return }
                    loop = try await SubscribeCommand.connect(context, keys: keys, hubKey: hubKey, endpoint: endpoint)
                    continue
                }
                if let sink, !batch.events.isEmpty {
                    // One append and one fsync per batch, then the cursor: the file never has a gap,
                    // and a crash in between is repaired from the file at the next start.
                    var lines = Data()
                    for event in batch.events {
                        lines.append(try JSONEncoder.sorted.encode(event))
                        lines.append(0x0A)
                    }
                    try sink.write(contentsOf: lines)
                    try sink.synchronize()
                    cursor = batch.events[batch.events.count - 1].seq
                    try await store.write(cursor)
                }
                for event in batch.events where sink == nil {
                    let line = String(decoding: try JSONEncoder.sorted.encode(event), as: UTF8.self)
                    if let exec {
                        let status = try SubscribeCommand.run(exec, input: line)
                        guard status == 0 else {
                            throw CLIError("EXEC_FAILED", "命令对事件 \(event.seq) 返回 \(status)：游标停在 \(cursor)，修复后重新运行即可从该事件继续")
                        }
                    } else {
                        FileHandle.standardOutput.write(Data((line + "\n").utf8))
                    }
                    cursor = event.seq
                    try await store.write(cursor)
                }
                if batch.through > cursor {
                    cursor = batch.through
                    try await store.write(cursor)
                }
                if untilIdle && batch.events.isEmpty { break }
            }
            await loop.shutdown()
        }
    }

    static func connect(_ context: Context, keys: CurveKeyPair, hubKey: String, endpoint: String) async throws -> SocketLoop {
        try await SocketLoop.start(context: context, configuration: .init(name: "concord-subscribe")) { context in
            let socket = try Socket(context: context, type: .dealer)
            try socket.set(.maxMessageSize, Limits.maxSocketMessageBytes)
            try socket.makeCurveClient(keyPair: keys, serverPublicKey: hubKey)
            try socket.connect(endpoint)
            return [socket]
        }
    }

    /// The batch answering `id`, or nil after `timeout`; an error reply is thrown.
    static func answer(to id: String, on loop: SocketLoop, within timeout: Duration) async throws -> FeedBatch? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let received = await firstMessage(of: loop, within: deadline - ContinuousClock.now) else { return nil }
            guard case .success(let envelope) = Envelope.decode(received.message.frames), envelope.re == id else { continue }
            switch envelope.payload {
            case .feedBatch(let batch): return batch
            case .error(let body) where body.code == "RATE_LIMITED" || body.code == "UNAVAILABLE":
                // An earlier fetch of ours is still being served (after a reconnect), or the hub's
                // database is down: wait and ask again from the same cursor.
                return nil
            case .error(let body): throw CLIError(body.code, body.message + "（\(body.detail)）")
            default: continue
            }
        }
        return nil
    }

    static func run(_ command: String, input: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let pipe = Pipe()
        process.standardInput = pipe
        try process.run()
        pipe.fileHandleForWriting.write(Data((input + "\n").utf8))
        try pipe.fileHandleForWriting.close()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// `--out FILE`: events appended one JSON line each. At start a torn last line (a crash in the
/// middle of a write) is cut off and the last whole line's `seq` is where the subscriber resumes.
enum OutputFile {
    static func recover(_ path: String) throws -> Int64? {
        guard let handle = FileHandle(forUpdatingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        guard size > 0 else { return nil }
        // Read back far enough to hold the last line (an event is far smaller than an envelope).
        let window = min(size, UInt64(Limits.maxEnvelopeBytes))
        try handle.seek(toOffset: size - window)
        let tail = try handle.readToEnd() ?? Data()
        var end = tail.count
        if tail.last != 0x0A {
            let cut = tail.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
            try handle.truncate(atOffset: size - window + UInt64(cut))
            try handle.synchronize()
            end = cut
        }
        guard end > 0 else { return nil }
        let body = tail[..<(end - 1)]
        let start = body.lastIndex(of: 0x0A).map { $0 + 1 } ?? body.startIndex
        let line = body[start...]
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
              let seq = (object["seq"] as? NSNumber)?.int64Value else {
            throw CLIError("OUTPUT_CORRUPT", "输出文件 \(path) 的最后一行不是事件 JSON，无法确定已输出到哪里")
        }
        return seq
    }

    static func open(_ path: String) throws -> FileHandle {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o640]) else {
                throw CLIError("OUTPUT_WRITE_FAILED", "无法创建输出文件 \(path)")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw CLIError("OUTPUT_WRITE_FAILED", "无法写入输出文件 \(path)") }
        try handle.seekToEnd()
        return handle
    }
}

/// The subscriber's cursor: the last sequence number processed, written atomically (temp file,
/// fsync, rename), so a crash leaves either the old or the new value, never a torn one.
enum Cursor {
    static func read(_ path: String) -> Int64? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return Int64(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func write(_ value: Int64, to path: String) throws {
        let temporary = path + ".tmp"
        _ = FileManager.default.createFile(atPath: temporary, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
        try handle.write(contentsOf: Data("\(value)\n".utf8))
        try handle.synchronize()
        try handle.close()
        guard rename(temporary, path) == 0 else { throw CLIError("CURSOR_WRITE_FAILED", "无法写入游标文件 \(path)") }
    }
}

extension JSONEncoder {
    static let sorted: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
