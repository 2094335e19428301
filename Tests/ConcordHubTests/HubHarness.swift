import ConcordProtocol
import ConcordStore
import Foundation
import Logging
import PostgresNIO
import Synchronization
import ConcordTestSupport
import Testing
import ZeroMQ
@testable import ConcordHub

/// A running hub on a fresh database, with tenants and their keys, and helpers to talk to it.
struct HubHarness {
    let db: Database
    let endpoint: String
    let hubKeys: CurveKeyPair
    let tenantKeys: [String: CurveKeyPair]
    let context: Context
    /// During a change of the hub's key: the previous key and the address it is still served on.
    var previous: (keys: CurveKeyPair, endpoint: String)?

    static let tenants: [(String, Tenant.Kind)] = [("360402", .county), ("360403", .county), ("360404", .county), ("fgw", .department), ("zrzy", .department), ("city", .coordinator)]

    static func run(messagesPerSecond: Int = 5_000, revision: ProtocolRevision = .current, rotating: Bool = false, _ body: @escaping @Sendable (HubHarness) async throws -> Void) async throws {
        let migrations = try Migration.load(from: TestDatabase.schemasDirectory)
        try await TestDatabase.withFreshDatabase { configuration in
            var configured = configuration
            configured.maximumConnections = 10
            let configuration = configured
            try await Database.withDatabase(configuration, logger: TestDatabase.logger) { db in
                _ = try await Migrator(migrations: migrations, logger: TestDatabase.logger).migrate(db)
                var keys: [String: CurveKeyPair] = [:]
                for (id, kind) in tenants {
                    let pair = try CurveKeyPair.generate()
                    keys[id] = pair
                    try await TenantStore.add(id: id, kind: kind, name: id, publicKey: pair.publicKey, client: db.client, logger: TestDatabase.logger)
                }
                let hubKeys = try CurveKeyPair.generate()
                let ready = AsyncStream.makeStream(of: String.self)
                var hubConfiguration = HubConfiguration(bind: "tcp://127.0.0.1:*", keys: hubKeys, database: configuration,
                                                        messagesPerSecond: messagesPerSecond, resendSeconds: 2)
                let previous = rotating ? (keys: try CurveKeyPair.generate(), endpoint: "tcp://127.0.0.1:\(freePort())") : nil
                hubConfiguration.previous = previous.map { .init(keys: $0.keys, bind: $0.endpoint) }
                let hub = HubService(configuration: hubConfiguration,
                                     database: db, logger: TestDatabase.logger, revision: revision, onReady: { ready.continuation.yield($0) })
                let running = Task { try await hub.run() }
                var iterator = ready.stream.makeAsyncIterator()
                guard let endpoint = await iterator.next() else { throw CancellationError() }
                let context = try Context()
                let harness = HubHarness(db: db, endpoint: endpoint, hubKeys: hubKeys, tenantKeys: keys, context: context, previous: previous)
                do {
                    try await body(harness)
                } catch {
                    running.cancel()
                    _ = try? await running.value
                    context.terminate()
                    throw error
                }
                running.cancel()
                _ = try? await running.value
                context.terminate()
            }
        }
    }

    /// A DEALER with the given key pair (registered or not); `previousKey` connects to the
    /// previous hub key's address during a key change.
    func connect(as keys: CurveKeyPair, previousKey: Bool = false) async throws -> Client {
        let endpoint = previousKey ? previous!.endpoint : self.endpoint
        let serverKey = previousKey ? previous!.keys.publicKey : hubKeys.publicKey
        let loop = try await SocketLoop.start(context: context, configuration: .init(name: "test-client")) { context in
            let socket = try Socket(context: context, type: .dealer)
            try socket.makeCurveClient(keyPair: keys, serverPublicKey: serverKey)
            try socket.connect(endpoint)
            return [socket]
        }
        return Client(loop: loop)
    }

    func connect(_ tenant: String) async throws -> Client {
        try await connect(as: tenantKeys[tenant]!)
    }

    /// County offices connected and greeted, in the order given.
    func greeted(_ tenants: String...) async throws -> [Client] {
        var clients: [Client] = []
        for tenant in tenants {
            let client = try await connect(tenant)
            try await client.greet()
            clients.append(client)
        }
        return clients
    }

    func count(_ sql: String) async throws -> Int {
        let rows = try await db.client.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger)
        for try await value in rows.decode(Int.self) { return value }
        return 0
    }
}

/// A test client speaking the protocol over a real CURVE DEALER.
final class Client: Sendable {
    let loop: SocketLoop
    private let buffer = Inbox()
    private let reader: Task<Void, Never>

    final class Inbox: Sendable {
        let messages = Mutex<[Envelope]>([])
    }

    init(loop: SocketLoop) {
        self.loop = loop
        let buffer = self.buffer
        self.reader = Task {
            for await received in loop.inbound {
                if case .success(let envelope) = Envelope.decode(received.message.frames) {
                    buffer.messages.withLock { $0.append(envelope) }
                }
            }
        }
    }

    func send(_ payload: Payload, seq: Int64? = nil) async throws -> String {
        let envelope = Envelope(seq: seq, payload: payload)
        try await loop.send(Message(frames: envelope.frames()), on: loop.socketIDs[0])
        return envelope.id
    }

    /// Queues without waiting: for a peer whose handshake may have been refused (no pipe to send on).
    func post(_ payload: Payload, seq: Int64? = nil) {
        try? loop.post(Message(frames: Envelope(seq: seq, payload: payload).frames()), on: loop.socketIDs[0])
    }

    /// Says hello and waits for the welcome: until an office has, the hub sends it nothing and
    /// leaves its heartbeats unanswered.
    @discardableResult
    func greet(receivedThrough: Int64 = 0) async throws -> Welcome? {
        _ = try await send(.hello(Hello(nodeVersion: "test", receivedThrough: receivedThrough)))
        let welcome = await expect { envelope in
            guard case .welcome = envelope.payload else { return false }
            return true
        }
        guard case .welcome(let body)? = welcome?.payload else { return nil }
        return body
    }

    func sendRaw(_ frames: [[UInt8]]) async throws {
        try await loop.send(Message(frames: frames), on: loop.socketIDs[0])
    }

    /// Waits for the first buffered message that satisfies `match`, and removes it.
    func expect(within seconds: Double = 5, _ match: @escaping @Sendable (Envelope) -> Bool) async -> Envelope? {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            let found = buffer.messages.withLock { messages -> Envelope? in
                guard let index = messages.firstIndex(where: match) else { return nil }
                return messages.remove(at: index)
            }
            if let found { return found }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    func all() -> [Envelope] { buffer.messages.withLock { $0 } }

    func close() async {
        await loop.shutdown()
        reader.cancel()
    }
}

extension Envelope {
    var ackThrough: Int64? { if case .ack(let ack) = payload { return ack.through } else { return nil } }
    var errorCode: String? { if case .error(let body) = payload { return body.code } else { return nil } }
    var claimStatus: ClaimStatus? { if case .claimStatus(let status) = payload { return status } else { return nil } }
    var reviewStatus: ReviewStatusNotice? { if case .reviewStatus(let status) = payload { return status } else { return nil } }
}
