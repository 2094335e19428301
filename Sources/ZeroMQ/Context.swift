import CZeroMQ
import Synchronization

/// A libzmq context: the owner of I/O threads and of the `inproc://` namespace.
///
/// `@unchecked Sendable` is sound here: libzmq documents contexts as thread safe (zmq_ctx_new(3):
/// "a ØMQ context is thread safe and may be shared among as many application threads as necessary"),
/// the handle is set once in `init` and never reassigned, and the only mutable Swift state
/// (`state`) is guarded by a `Mutex`.
public final class Context: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    private let state = Mutex(State())

    private struct State {
        var zapHandlerRunning = false
        var terminated = false
    }

    public init(ioThreads: Int32 = 1) throws {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        self.handle = handle
        if zmq_ctx_set(handle, ZMQ_IO_THREADS, ioThreads) != 0 {
            let error = ZMQError.last("zmq_ctx_set(ZMQ_IO_THREADS)")
            zmq_ctx_term(handle)
            throw error
        }
    }

    /// True while a `ZAPHandler` serves `inproc://zeromq.zap.01` on this context.
    public var zapHandlerRunning: Bool { state.withLock { $0.zapHandlerRunning } }

    func claimZAPHandler() throws {
        try state.withLock {
            if $0.zapHandlerRunning {
                throw ZMQError(kind: .zapHandlerAlreadyRunning, operation: "ZAPHandler.start")
            }
            $0.zapHandlerRunning = true
        }
    }

    func releaseZAPHandler() {
        state.withLock { $0.zapHandlerRunning = false }
    }

    /// Shuts the context down and waits for it to terminate.
    ///
    /// `zmq_ctx_shutdown` first makes every blocking call on the context's sockets return `ETERM`, so
    /// loops and handlers that still run notice, close their sockets (with `ZMQ_LINGER` 0, set by this
    /// wrapper on every socket) and let `zmq_ctx_term` return. Stop loops and the ZAP handler before
    /// calling this for an orderly close; calling it first is still safe. Idempotent.
    public func terminate() {
        let first = state.withLock { s -> Bool in
            if s.terminated { return false }
            s.terminated = true
            return true
        }
        guard first else { return }
        zmq_ctx_shutdown(handle)
        _ = retryingEINTR { zmq_ctx_term(handle) }
    }

    deinit {
        terminate()
    }
}
