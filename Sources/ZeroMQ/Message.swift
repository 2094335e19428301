import CZeroMQ

/// A multipart ZeroMQ message: its frames in order, byte-exact, of any size.
///
/// A received message also carries the connection's properties that libzmq exposes: `userID`
/// (the `User-Id` a ZAP handler returned for the peer, i.e. the tenant its CURVE key is registered
/// to) and `peerAddress`.
public struct Message: Sendable, Equatable {
    public var frames: [[UInt8]]
    public internal(set) var userID: String?
    public internal(set) var peerAddress: String?

    public init(frames: [[UInt8]]) {
        self.frames = frames
        self.userID = nil
        self.peerAddress = nil
    }

    public init(_ frames: [UInt8]...) {
        self.init(frames: frames)
    }

    /// Builds a message from UTF-8 strings, one frame each.
    public init(strings: [String]) {
        self.init(frames: strings.map { Array($0.utf8) })
    }

    /// Total payload bytes across frames.
    public var byteCount: Int { frames.reduce(0) { $0 + $1.count } }
}

extension Message {
    /// Receives one whole multipart message through `zmq_msg_t` (no fixed buffers, no truncation).
    /// Returns nil when `dontWait` is set and nothing is queued.
    static func receive(from socket: UnsafeMutableRawPointer, dontWait: Bool) throws -> Message? {
        var frames: [[UInt8]] = []
        var userID: String?
        var peerAddress: String?
        var more = true
        while more {
            var msg = zmq_msg_t()
            zmq_msg_init(&msg)
            defer { zmq_msg_close(&msg) }
            // Only the first frame may wait or report EAGAIN: the rest of a multipart message is
            // delivered atomically with its first part.
            let flags: Int32 = (dontWait && frames.isEmpty) ? ZMQ_DONTWAIT : 0
            let rc = retryingEINTR { zmq_msg_recv(&msg, socket, flags) }
            if rc == -1 {
                let error = ZMQError.last("zmq_msg_recv")
                if error.kind == .wouldBlock && frames.isEmpty { return nil }
                throw error
            }
            let size = zmq_msg_size(&msg)
            if size == 0 {
                frames.append([])
            } else {
                let data = zmq_msg_data(&msg)!
                frames.append(Array(UnsafeRawBufferPointer(start: data, count: size)))
            }
            // A ROUTER's routing-id frame is made locally and carries no properties: read them
            // from the first frame that came over the connection.
            if userID == nil, let value = zmq_msg_gets(&msg, "User-Id") { userID = String(cString: value) }
            if peerAddress == nil, let value = zmq_msg_gets(&msg, "Peer-Address") { peerAddress = String(cString: value) }
            more = zmq_msg_more(&msg) != 0
        }
        var message = Message(frames: frames)
        message.userID = userID
        message.peerAddress = peerAddress
        return message
    }

    /// Sends every frame; with `dontWait`, EAGAIN on the first frame means nothing was sent.
    /// libzmq delivers multipart messages atomically, so once the first frame is accepted the rest are.
    func send(to socket: UnsafeMutableRawPointer, dontWait: Bool) throws {
        let frames = self.frames.isEmpty ? [[]] : self.frames
        for (index, frame) in frames.enumerated() {
            var msg = zmq_msg_t()
            guard zmq_msg_init_size(&msg, frame.count) == 0 else { throw ZMQError.last("zmq_msg_init_size") }
            if !frame.isEmpty {
                frame.withUnsafeBytes { source in
                    zmq_msg_data(&msg)!.copyMemory(from: source.baseAddress!, byteCount: source.count)
                }
            }
            var flags: Int32 = index < frames.count - 1 ? ZMQ_SNDMORE : 0
            if dontWait && index == 0 { flags |= ZMQ_DONTWAIT }
            let rc = retryingEINTR { zmq_msg_send(&msg, socket, flags) }
            if rc == -1 {
                let error = ZMQError.last("zmq_msg_send")
                zmq_msg_close(&msg)
                throw error
            }
        }
    }
}
