import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import ZeroMQ

/// `concord link`: checks that an office and the hub can reach each other over CURVE before the
/// daemons run, and shows which tenant the server's ZAP handler recognised.
///
/// Wire format (ROUTER at the server, DEALER at the prober): the prober sends
/// ["CONCORD-PING", nonce]; the server answers ["CONCORD-PONG", nonce, tenant], where tenant is the
/// `User-Id` its ZAP handler gave the prober's key.
struct LinkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link",
        abstract: "CURVE 链路测试：应答端与探测端 (test a CURVE link end to end).",
        subcommands: [Serve.self, Probe.self]
    )

    static let ping = Array("CONCORD-PING".utf8)
    static let pong = Array("CONCORD-PONG".utf8)

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "启动链路测试应答端，只接受已登记的公钥 (answer probes from registered keys only).",
            discussion: """
                --allow 登记一个公钥及其租户（可多次给出）：公钥可写 40 位 Z85 文本或 .pub 文件路径。
                未登记的公钥在握手阶段即被拒绝，收不到任何消息。

                例: concord link serve --bind tcp://127.0.0.1:7700 --secret-key-file keys/hub.key \\
                      --allow keys/360402.pub=360402 --count 1
                """
        )

        @Option(help: "监听地址 (endpoint; tcp://127.0.0.1:* picks a free port and prints it).")
        var bind: String = "tcp://127.0.0.1:7700"

        @Option(help: "本端私钥文件 (this server's secret key file).")
        var secretKeyFile: String

        @Option(help: "登记的公钥=租户 (PUBLIC-KEY-OR-FILE=TENANT), repeatable.")
        var allow: [String] = []

        @Option(help: "应答这么多次后退出 (exit after answering N probes; default: run until SIGTERM).")
        var count: Int?

        func run() async throws {
            try await reportingErrors {
                let keys = try KeyFiles.readSecret(secretKeyFile)
                var registry: [String: String] = [:]
                for entry in allow {
                    guard let separator = entry.lastIndex(of: "="),
                          !entry[entry.index(after: separator)...].isEmpty else {
                        throw CLIError("BAD_ARGUMENT", "--allow 的格式应为 公钥或公钥文件=租户：\(entry)")
                    }
                    let key = try KeyFiles.readPublic(String(entry[..<separator]))
                    registry[key] = String(entry[entry.index(after: separator)...])
                }
                if registry.isEmpty {
                    throw CLIError("BAD_ARGUMENT", "至少需要一个 --allow 公钥=租户，否则任何探测都会被拒绝")
                }
                let logger = CLILogging.logger("concord.link")
                let server = try await LinkServer.start(bind: bind, keys: keys, registry: registry, limit: count, logger: logger)
                say("链路测试应答端已启动 (listening)：\(server.endpoint)，已登记 \(registry.count) 个公钥")
                let group = ServiceGroup(configuration: .init(
                    services: [.init(service: server, successTerminationBehavior: .gracefullyShutdownGroup)],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger))
                try await group.run()
                say("应答端已停止，共应答 \(server.answered) 次")
            }
        }
    }

    struct Probe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "向应答端发一次探测并等待回复 (send one probe and wait for the answer).",
            discussion: """
                成功时打印服务端认出的本端租户和往返时间，退出码 0；超时退出码 1。

                例: concord link probe --connect tcp://127.0.0.1:7700 --server-key keys/hub.pub \\
                      --secret-key-file keys/360402.key
                """
        )

        @Option(help: "应答端地址 (server endpoint).")
        var connect: String

        @Option(help: "应答端公钥：40 位 Z85 文本或 .pub 文件 (server public key or its file).")
        var serverKey: String

        @Option(help: "本端私钥文件 (this client's secret key file).")
        var secretKeyFile: String

        @Option(help: "等待回复的秒数 (seconds to wait).")
        var timeout: Int = 5

        func run() async throws {
            try await reportingErrors {
                let keys = try KeyFiles.readSecret(secretKeyFile)
                let serverPublic = try KeyFiles.readPublic(serverKey)
                guard timeout > 0 else { throw CLIError("BAD_ARGUMENT", "--timeout 必须大于 0") }
                let context = try Context()
                defer { context.terminate() }
                let endpoint = connect
                let loop = try await SocketLoop.start(context: context, configuration: .init(name: "concord-probe")) { context in
                    let socket = try Socket(context: context, type: .dealer)
                    try socket.makeCurveClient(keyPair: keys, serverPublicKey: serverPublic)
                    try socket.connect(endpoint)
                    return [socket]
                }
                let nonce = Array(UUID().uuidString.utf8)
                let clock = ContinuousClock()
                let start = clock.now
                try await loop.send(Message(frames: [LinkCommand.ping, nonce]), on: loop.socketIDs[0])
                let reply = await firstMessage(of: loop, within: .seconds(timeout))
                let elapsed = clock.now - start
                await loop.shutdown()
                guard let reply else {
                    throw CLIError("LINK_TIMEOUT", "\(timeout) 秒内没有收到 \(endpoint) 的回复：应答端未运行、地址错误、服务端公钥不对，或本端公钥未在应答端登记")
                }
                let frames = reply.message.frames
                guard frames.count == 3, frames[0] == LinkCommand.pong, frames[1] == nonce else {
                    throw CLIError("LINK_BAD_REPLY", "\(endpoint) 的回复格式不对，对端可能不是 concord 链路测试应答端")
                }
                let tenant = String(decoding: frames[2], as: UTF8.self)
                let milliseconds = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
                say(String(format: "链路正常 (link ok)：%@ 认出本端为租户 %@，往返 %.1f 毫秒（含 CURVE 握手）", endpoint, tenant, milliseconds))
            }
        }
    }
}

/// The answering side of `concord link serve`, as a service so SIGTERM stops it cleanly.
final class LinkServer: Service, Sendable {
    let endpoint: String
    private let context: Context
    private let zap: ZAPHandler
    private let loop: SocketLoop
    private let limit: Int?
    private let logger: Logger
    private let counter = Counter()

    var answered: Int { counter.value }

    private init(endpoint: String, context: Context, zap: ZAPHandler, loop: SocketLoop, limit: Int?, logger: Logger) {
        self.endpoint = endpoint
        self.context = context
        self.zap = zap
        self.loop = loop
        self.limit = limit
        self.logger = logger
    }

    static func start(bind: String, keys: CurveKeyPair, registry: [String: String], limit: Int?,
                      logger: Logger) async throws -> LinkServer {
        let context = try Context()
        let authorizer = ClosureAuthorizer { request in
            guard request.mechanism == "CURVE", let key = request.publicKey, let tenant = registry[key] else {
                logger.warning("refused connection", metadata: ["address": "\(request.address)", "mechanism": "\(request.mechanism)"])
                return .deny(reason: "unknown key")
            }
            return .allow(userID: tenant)
        }
        let zap = try await ZAPHandler.start(context: context, authorizer: authorizer)
        let bound = LockedString()
        let loop: SocketLoop
        do {
            loop = try await SocketLoop.start(context: context, configuration: .init(name: "concord-link")) { context in
                let socket = try Socket(context: context, type: .router)
                try socket.makeCurveServer(secretKey: keys.secretKey, domain: "concord")
                try socket.bind(bind)
                bound.set(try socket.lastEndpoint)
                return [socket]
            }
        } catch {
            await zap.stop()
            context.terminate()
            throw error
        }
        return LinkServer(endpoint: bound.value, context: context, zap: zap, loop: loop, limit: limit, logger: logger)
    }

    func run() async throws {
        for await received in loop.inbound.cancelOnGracefulShutdown() {
            let frames = received.message.frames
            guard frames.count == 3, frames[1] == LinkCommand.ping, let tenant = received.message.userID else {
                logger.warning("ignored a message that is not a probe")
                continue
            }
            do {
                try await loop.send(Message(frames: [frames[0], LinkCommand.pong, frames[2], Array(tenant.utf8)]),
                                    on: received.socket)
            } catch {
                logger.warning("could not answer a probe", metadata: ["error": "\(error)"])
                continue
            }
            let total = counter.increment()
            say("应答租户 \(tenant) 的探测（来自 \(received.message.peerAddress ?? "?")）")
            if let limit, total >= limit { break }
        }
        await loop.shutdown()
        await zap.stop()
        context.terminate()
    }
}

import Synchronization

final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() -> Int { count.withLock { $0 += 1; return $0 } }
    var value: Int { count.withLock { $0 } }
}

final class LockedString: Sendable {
    private let stored = Mutex("")
    func set(_ value: String) { stored.withLock { $0 = value } }
    var value: String { stored.withLock { $0 } }
}

/// Waits for the loop's next message, or nil after `timeout`.
func firstMessage(of loop: SocketLoop, within timeout: Duration) async -> SocketLoop.Received? {
    await loop.nextMessage(within: timeout)
}

/// Prints a line and flushes at once, so a pipe or a log sees it immediately.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
