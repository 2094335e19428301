import Synchronization
import CZeroMQ

/// What libzmq asks a ZAP handler (ZeroMQ RFC 27) about a connecting peer.
public struct ZAPRequest: Sendable, Equatable {
    public let domain: String
    /// The peer's IP address as libzmq saw it.
    public let address: String
    /// "NULL", "PLAIN" or "CURVE".
    public let mechanism: String
    /// For CURVE: the client's long-term public key, in Z85.
    public let publicKey: String?
}

/// The answer to a `ZAPRequest`.
public enum ZAPDecision: Sendable, Equatable {
    /// Accept; `userID` becomes the `User-Id` property of every message from this peer.
    case allow(userID: String)
    case deny(reason: String)
}

/// Decides who may connect. Injected into the `ZAPHandler`; runs on the handler's thread, so it must
/// answer quickly (e.g. from an in-memory registry of keys).
public protocol ZAPAuthorizer: Sendable {
    func authorize(_ request: ZAPRequest) -> ZAPDecision
}

/// An authoriser from a closure.
public struct ClosureAuthorizer: ZAPAuthorizer {
    let decide: @Sendable (ZAPRequest) -> ZAPDecision
    public init(_ decide: @escaping @Sendable (ZAPRequest) -> ZAPDecision) { self.decide = decide }
    public func authorize(_ request: ZAPRequest) -> ZAPDecision { decide(request) }
}

/// Serves ZAP on `inproc://zeromq.zap.01` from its own thread, for one context.
///
/// Only CURVE requests with a key the authoriser accepts succeed; every other mechanism is denied
/// unless the authoriser says otherwise. CURVE server sockets on the context refuse to be set up or
/// bound while no handler runs.
public final class ZAPHandler: Sendable {
    public static let endpoint = "inproc://zeromq.zap.01"

    private let context: Context
    private let wake: EventFD
    private let thread: DedicatedThread
    private let stopFlag: StopFlag

    private init(context: Context, wake: EventFD, thread: DedicatedThread, stopFlag: StopFlag) {
        self.context = context
        self.wake = wake
        self.thread = thread
        self.stopFlag = stopFlag
    }

    /// Starts the handler; returns once it is bound, so CURVE servers may bind afterwards.
    public static func start(context: Context, authorizer: any ZAPAuthorizer) async throws -> ZAPHandler {
        try context.claimZAPHandler()
        let wake: EventFD
        do { wake = try EventFD() } catch {
            context.releaseZAPHandler()
            throw error
        }
        let stopFlag = StopFlag()
        do {
            let thread = try await DedicatedThread.spawn(name: "concord-zap") { ready in
                serve(context: context, authorizer: authorizer, wake: wake, stopFlag: stopFlag, ready: ready)
                context.releaseZAPHandler()
            }
            return ZAPHandler(context: context, wake: wake, thread: thread, stopFlag: stopFlag)
        } catch {
            context.releaseZAPHandler()
            throw error
        }
    }

    /// Stops serving and waits for the thread to close its socket. Idempotent.
    public func stop() async {
        stopFlag.set()
        wake.signal()
        await thread.waitForExit()
    }

    private static func serve(
        context: Context, authorizer: any ZAPAuthorizer, wake: EventFD, stopFlag: StopFlag,
        ready: @Sendable (Result<Void, any Error>) -> Void
    ) {
        let socket: Socket
        do {
            socket = try Socket(context: context, type: .rep)
            try socket.bind(endpoint)
        } catch {
            ready(.failure(error))
            return
        }
        ready(.success(()))
        defer { socket.close() }
        guard let handle = socket.handle else { return }
        while !stopFlag.isSet {
            var items = [
                zmq_pollitem_t(socket: handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0),
                zmq_pollitem_t(socket: nil, fd: wake.fd, events: Int16(ZMQ_POLLIN), revents: 0),
            ]
            let rc = retryingEINTR { zmq_poll(&items, 2, -1) }
            if rc == -1 { return }  // ETERM: the context is shutting down.
            if items[1].revents != 0 { wake.drain() }
            if items[0].revents & Int16(ZMQ_POLLIN) != 0 {
                guard let request = try? socket.receive(dontWait: true) else { continue }
                let reply = answer(request, authorizer: authorizer)
                do { try socket.send(reply) } catch { return }
            }
        }
    }

    /// Builds the ZAP reply for a raw request (RFC 27 frames).
    static func answer(_ request: Message, authorizer: any ZAPAuthorizer) -> Message {
        let f = request.frames
        let requestID = f.count > 1 ? f[1] : []
        func reply(_ status: String, _ text: String, _ userID: String) -> Message {
            Message(frames: [Array("1.0".utf8), requestID, Array(status.utf8), Array(text.utf8), Array(userID.utf8), []])
        }
        guard f.count >= 6, String(decoding: f[0], as: UTF8.self) == "1.0" else {
            return reply("500", "malformed ZAP request", "")
        }
        let mechanism = String(decoding: f[5], as: UTF8.self)
        var publicKey: String?
        if mechanism == "CURVE" {
            guard f.count >= 7, f[6].count == 32, let key = Z85.encode(f[6]) else {
                return reply("400", "malformed CURVE credentials", "")
            }
            publicKey = key
        }
        let zapRequest = ZAPRequest(
            domain: String(decoding: f[2], as: UTF8.self),
            address: String(decoding: f[3], as: UTF8.self),
            mechanism: mechanism,
            publicKey: publicKey
        )
        switch authorizer.authorize(zapRequest) {
        case .allow(let userID): return reply("200", "OK", userID)
        case .deny(let reason): return reply("400", reason, "")
        }
    }
}

/// A flag set once by any thread and read by a loop thread.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}
