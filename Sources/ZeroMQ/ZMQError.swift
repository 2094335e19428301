import CZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// An error from libzmq or from the wrapper's own rules.
public struct ZMQError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// The operation would block (high-water mark reached, no peer ready).
        case wouldBlock
        /// `ZMQ_ROUTER_MANDATORY` is set and the routing id names no connected peer.
        case hostUnreachable
        /// The context was shut down or terminated.
        case contextTerminated
        /// The socket loop is shut down; the message was not sent.
        case loopClosed
        /// A queued send could not be handed to libzmq before its deadline.
        case sendTimedOut
        /// A CURVE server socket would be bound while no ZAP handler runs (it would accept any key).
        case noZAPHandler
        /// A second ZAP handler was started on the same context.
        case zapHandlerAlreadyRunning
        /// A CURVE key is not 40 Z85 characters.
        case invalidKey
        /// Any other libzmq errno.
        case other(Int32)
    }

    public let kind: Kind
    public let operation: String
    public let errno: Int32

    public init(kind: Kind, operation: String, errno: Int32 = 0) {
        self.kind = kind
        self.operation = operation
        self.errno = errno
    }

    /// Builds the error for the current `zmq_errno()`.
    static func last(_ operation: String) -> ZMQError {
        ZMQError(errno: zmq_errno(), operation: operation)
    }

    init(errno code: Int32, operation: String) {
        let kind: Kind
        switch code {
        case EAGAIN: kind = .wouldBlock
        case EHOSTUNREACH: kind = .hostUnreachable
        case ETERM: kind = .contextTerminated
        default: kind = .other(code)
        }
        self.init(kind: kind, operation: operation, errno: code)
    }

    public var description: String {
        switch kind {
        case .noZAPHandler:
            return "\(operation): no ZAP handler is running on this context; a CURVE server socket would accept any client key"
        case .zapHandlerAlreadyRunning:
            return "\(operation): a ZAP handler already runs on this context"
        case .loopClosed:
            return "\(operation): the socket loop is shut down"
        case .sendTimedOut:
            return "\(operation): the message could not be queued to libzmq before its deadline"
        case .invalidKey:
            return "\(operation): a CURVE key must be 40 Z85 characters"
        default:
            let text = String(cString: zmq_strerror(errno))
            return "\(operation): \(text) (errno \(errno))"
        }
    }
}

/// Runs a libzmq call, retrying while it is interrupted by a signal (EINTR).
@inline(__always)
func retryingEINTR(_ call: () -> Int32) -> Int32 {
    while true {
        let rc = call()
        if rc == -1 && zmq_errno() == EINTR { continue }
        return rc
    }
}
