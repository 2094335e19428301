import CZeroMQ

/// A value that can be passed to or read from `zmq_setsockopt` / `zmq_getsockopt`.
public protocol SocketOptionValue: Sendable {
    func withOptionBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
    /// Decodes a value that `zmq_getsockopt` wrote into `bytes`.
    init(optionBytes bytes: UnsafeRawBufferPointer)
    /// The buffer size to offer `zmq_getsockopt`.
    static var optionCapacity: Int { get }
}

extension Int32: SocketOptionValue {
    public func withOptionBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: self) { try body($0) }
    }
    public init(optionBytes bytes: UnsafeRawBufferPointer) { self = bytes.loadUnaligned(as: Int32.self) }
    public static var optionCapacity: Int { MemoryLayout<Int32>.size }
}

extension Int64: SocketOptionValue {
    public func withOptionBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: self) { try body($0) }
    }
    public init(optionBytes bytes: UnsafeRawBufferPointer) { self = bytes.loadUnaligned(as: Int64.self) }
    public static var optionCapacity: Int { MemoryLayout<Int64>.size }
}

extension Bool: SocketOptionValue {
    public func withOptionBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Int32(self ? 1 : 0).withOptionBytes(body)
    }
    public init(optionBytes bytes: UnsafeRawBufferPointer) { self = Int32(optionBytes: bytes) != 0 }
    public static var optionCapacity: Int { MemoryLayout<Int32>.size }
}

extension Array: SocketOptionValue where Element == UInt8 {
    public func withOptionBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes { try body($0) }
    }
    public init(optionBytes bytes: UnsafeRawBufferPointer) { self = Array(bytes) }
    public static var optionCapacity: Int { 256 }
}

extension String: SocketOptionValue {
    public func withOptionBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Array(utf8).withUnsafeBytes { try body($0) }
    }
    /// libzmq returns strings NUL-terminated; the terminator is dropped.
    public init(optionBytes bytes: UnsafeRawBufferPointer) {
        let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
        self = String(decoding: bytes[..<end], as: UTF8.self)
    }
    public static var optionCapacity: Int { 1024 }
}

/// A typed socket option: `socket.set(.linger, 0)`, `try socket.get(.lastEndpoint)`.
public struct SocketOption<Value: SocketOptionValue>: Sendable {
    public let code: Int32
    public let name: String

    init(_ code: Int32, _ name: String) {
        self.code = code
        self.name = name
    }
}

extension SocketOption where Value == Int32 {
    /// Milliseconds pending messages are kept after close; this wrapper sets 0 on every new socket.
    public static var linger: Self { .init(ZMQ_LINGER, "ZMQ_LINGER") }
    public static var sendHighWaterMark: Self { .init(ZMQ_SNDHWM, "ZMQ_SNDHWM") }
    public static var receiveHighWaterMark: Self { .init(ZMQ_RCVHWM, "ZMQ_RCVHWM") }
    /// ZMTP heartbeat (PING) interval in milliseconds; 0 disables.
    public static var heartbeatInterval: Self { .init(ZMQ_HEARTBEAT_IVL, "ZMQ_HEARTBEAT_IVL") }
    /// Milliseconds without traffic after a PING before the connection is dropped.
    public static var heartbeatTimeout: Self { .init(ZMQ_HEARTBEAT_TIMEOUT, "ZMQ_HEARTBEAT_TIMEOUT") }
    /// Time-to-live the peer is asked to apply, in milliseconds (rounded down to 100 ms by libzmq).
    public static var heartbeatTTL: Self { .init(ZMQ_HEARTBEAT_TTL, "ZMQ_HEARTBEAT_TTL") }
    public static var reconnectInterval: Self { .init(ZMQ_RECONNECT_IVL, "ZMQ_RECONNECT_IVL") }
    public static var reconnectIntervalMax: Self { .init(ZMQ_RECONNECT_IVL_MAX, "ZMQ_RECONNECT_IVL_MAX") }
    public static var handshakeInterval: Self { .init(ZMQ_HANDSHAKE_IVL, "ZMQ_HANDSHAKE_IVL") }
    public static var sendTimeout: Self { .init(ZMQ_SNDTIMEO, "ZMQ_SNDTIMEO") }
    public static var receiveTimeout: Self { .init(ZMQ_RCVTIMEO, "ZMQ_RCVTIMEO") }
    /// Read-only: `ZMQ_POLLIN` / `ZMQ_POLLOUT` bits.
    public static var events: Self { .init(ZMQ_EVENTS, "ZMQ_EVENTS") }
}

extension SocketOption where Value == Int64 {
    /// Largest inbound message in bytes; a larger one disconnects the peer. -1 means no limit.
    public static var maxMessageSize: Self { .init(ZMQ_MAXMSGSIZE, "ZMQ_MAXMSGSIZE") }
}

extension SocketOption where Value == Bool {
    /// ROUTER: sending to an unknown routing id fails with EHOSTUNREACH instead of a silent drop.
    public static var routerMandatory: Self { .init(ZMQ_ROUTER_MANDATORY, "ZMQ_ROUTER_MANDATORY") }
    /// Queue messages only to completed connections.
    public static var immediate: Self { .init(ZMQ_IMMEDIATE, "ZMQ_IMMEDIATE") }
    /// XPUB: pass every subscription message up, not only new ones.
    public static var xpubVerbose: Self { .init(ZMQ_XPUB_VERBOSE, "ZMQ_XPUB_VERBOSE") }
    /// Read-only: another frame of the current message follows.
    public static var receiveMore: Self { .init(ZMQ_RCVMORE, "ZMQ_RCVMORE") }
    static var curveServer: Self { .init(ZMQ_CURVE_SERVER, "ZMQ_CURVE_SERVER") }
    static var zapEnforceDomain: Self { .init(ZMQ_ZAP_ENFORCE_DOMAIN, "ZMQ_ZAP_ENFORCE_DOMAIN") }
}

extension SocketOption where Value == [UInt8] {
    /// The identity a ROUTER peer sees for this socket.
    public static var routingID: Self { .init(ZMQ_ROUTING_ID, "ZMQ_ROUTING_ID") }
    /// SUB: receive messages whose first frame starts with this prefix.
    public static var subscribe: Self { .init(ZMQ_SUBSCRIBE, "ZMQ_SUBSCRIBE") }
    public static var unsubscribe: Self { .init(ZMQ_UNSUBSCRIBE, "ZMQ_UNSUBSCRIBE") }
}

extension SocketOption where Value == String {
    /// Read-only: the endpoint actually bound (resolves `tcp://127.0.0.1:*`).
    public static var lastEndpoint: Self { .init(ZMQ_LAST_ENDPOINT, "ZMQ_LAST_ENDPOINT") }
    static var curvePublicKey: Self { .init(ZMQ_CURVE_PUBLICKEY, "ZMQ_CURVE_PUBLICKEY") }
    static var curveSecretKey: Self { .init(ZMQ_CURVE_SECRETKEY, "ZMQ_CURVE_SECRETKEY") }
    static var curveServerKey: Self { .init(ZMQ_CURVE_SERVERKEY, "ZMQ_CURVE_SERVERKEY") }
    static var zapDomain: Self { .init(ZMQ_ZAP_DOMAIN, "ZMQ_ZAP_DOMAIN") }
}
