import CZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// One ZeroMQ socket. libzmq sockets are not thread safe: a `Socket` is created, used and closed on
/// one thread. The type is deliberately not `Sendable`, and every call checks that it runs on the
/// creating thread. Use a `SocketLoop` to reach sockets from Swift concurrency.
public final class Socket {
    public let type: SocketType
    let context: Context
    private(set) var handle: UnsafeMutableRawPointer?
    private let owner: pthread_t
    private(set) var isCurveServer = false

    /// Creates a socket with `ZMQ_LINGER` 0: messages still queued at close are dropped, so closing
    /// never waits on an absent peer. Reliable delivery is the application's outbox's job.
    public init(context: Context, type: SocketType) throws {
        guard let handle = zmq_socket(context.handle, type.rawValue) else {
            throw ZMQError.last("zmq_socket")
        }
        self.type = type
        self.context = context
        self.handle = handle
        self.owner = pthread_self()
        try set(.linger, 0)
        if type == .router { try set(.routerMandatory, true) }
    }

    deinit {
        close()
    }

    @inline(__always)
    private func checkedHandle(_ operation: String) throws -> UnsafeMutableRawPointer {
        precondition(pthread_equal(owner, pthread_self()) != 0,
                     "ZeroMQ socket used off the thread that created it (\(operation))")
        guard let handle else { throw ZMQError(kind: .other(ENOTSOCK), operation: operation, errno: ENOTSOCK) }
        return handle
    }

    public func set<Value>(_ option: SocketOption<Value>, _ value: Value) throws {
        let handle = try checkedHandle("zmq_setsockopt(\(option.name))")
        let rc = value.withOptionBytes { bytes in
            zmq_setsockopt(handle, option.code, bytes.baseAddress, bytes.count)
        }
        if rc != 0 { throw ZMQError.last("zmq_setsockopt(\(option.name))") }
    }

    public func get<Value>(_ option: SocketOption<Value>) throws -> Value {
        let handle = try checkedHandle("zmq_getsockopt(\(option.name))")
        var buffer = [UInt8](repeating: 0, count: Value.optionCapacity)
        var size = buffer.count
        let rc = buffer.withUnsafeMutableBytes { zmq_getsockopt(handle, option.code, $0.baseAddress, &size) }
        if rc != 0 { throw ZMQError.last("zmq_getsockopt(\(option.name))") }
        return buffer.withUnsafeBytes { Value(optionBytes: UnsafeRawBufferPointer(rebasing: $0[..<size])) }
    }

    /// Binds; a CURVE server socket refuses to bind while no ZAP handler runs on its context,
    /// because Debian's libzmq 4.3.4 would then accept every client key.
    public func bind(_ endpoint: String) throws {
        let handle = try checkedHandle("zmq_bind")
        if isCurveServer && !context.zapHandlerRunning {
            throw ZMQError(kind: .noZAPHandler, operation: "zmq_bind(\(endpoint))")
        }
        if zmq_bind(handle, endpoint) != 0 { throw ZMQError.last("zmq_bind(\(endpoint))") }
    }

    /// The endpoint libzmq actually bound last (for `tcp://127.0.0.1:*`, the chosen port).
    public var lastEndpoint: String {
        get throws { try get(.lastEndpoint) }
    }

    public func connect(_ endpoint: String) throws {
        let handle = try checkedHandle("zmq_connect")
        if zmq_connect(handle, endpoint) != 0 { throw ZMQError.last("zmq_connect(\(endpoint))") }
    }

    public func disconnect(_ endpoint: String) throws {
        let handle = try checkedHandle("zmq_disconnect")
        if zmq_disconnect(handle, endpoint) != 0 { throw ZMQError.last("zmq_disconnect(\(endpoint))") }
    }

    /// Makes this a CURVE server that authenticates every client through the context's ZAP handler.
    ///
    /// Sets `ZMQ_ZAP_DOMAIN` and `ZMQ_ZAP_ENFORCE_DOMAIN` (option 93) so that libzmq refuses clients
    /// when the handler is missing instead of failing open. Throws `.noZAPHandler` if none runs.
    public func makeCurveServer(secretKey: String, domain: String) throws {
        guard Z85.isKey(secretKey) else { throw ZMQError(kind: .invalidKey, operation: "makeCurveServer") }
        guard context.zapHandlerRunning else {
            throw ZMQError(kind: .noZAPHandler, operation: "makeCurveServer")
        }
        try set(.zapDomain, domain.isEmpty ? "global" : domain)
        try set(.zapEnforceDomain, true)
        try set(.curveServer, true)
        try set(.curveSecretKey, secretKey)
        isCurveServer = true
    }

    /// Makes this a CURVE client that proves `keyPair` and only accepts a server holding
    /// the secret key of `serverPublicKey`.
    public func makeCurveClient(keyPair: CurveKeyPair, serverPublicKey: String) throws {
        guard Z85.isKey(serverPublicKey) else { throw ZMQError(kind: .invalidKey, operation: "makeCurveClient") }
        try set(.curveServerKey, serverPublicKey)
        try set(.curvePublicKey, keyPair.publicKey)
        try set(.curveSecretKey, keyPair.secretKey)
    }

    /// Sends a whole message. With `dontWait` a full queue throws `.wouldBlock` and nothing is sent.
    public func send(_ message: Message, dontWait: Bool = false) throws {
        let handle = try checkedHandle("send")
        try message.send(to: handle, dontWait: dontWait)
    }

    /// Receives a whole message; with `dontWait`, nil when nothing is queued.
    public func receive(dontWait: Bool = false) throws -> Message? {
        let handle = try checkedHandle("receive")
        return try Message.receive(from: handle, dontWait: dontWait)
    }

    /// Waits up to `timeoutMilliseconds` (-1: for ever) for a message.
    public func receive(timeoutMilliseconds: Int) throws -> Message? {
        let handle = try checkedHandle("receive")
        var item = zmq_pollitem_t(socket: handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        let rc = retryingEINTR { zmq_poll(&item, 1, timeoutMilliseconds) }
        if rc == -1 { throw ZMQError.last("zmq_poll") }
        if rc == 0 { return nil }
        return try Message.receive(from: handle, dontWait: true)
    }

    /// Closes the socket on its owning thread. Idempotent.
    public func close() {
        guard let handle else { return }
        precondition(pthread_equal(owner, pthread_self()) != 0,
                     "ZeroMQ socket closed off the thread that created it")
        zmq_close(handle)
        self.handle = nil
    }
}
