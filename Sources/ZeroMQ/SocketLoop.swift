import CZeroMQ
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Owns a set of sockets on one dedicated thread and bridges them to Swift concurrency.
///
/// - The sockets are created by `setup` *on the loop thread* and are never touched elsewhere.
/// - The thread blocks in `zmq_poll` over the sockets plus an eventfd; other threads write the
///   eventfd to wake it.
/// - Outbound: `send` / `post` from any task put the message on a locked queue and wake the loop.
///   Messages for one socket leave in the order they were queued.
/// - Inbound: one bounded `AsyncSequence` (`inbound`). When `inboundCapacity` messages are waiting
///   for the consumer the loop stops reading its sockets, so libzmq's high-water marks push back on
///   the peers instead of memory growing.
/// - An optional timer calls `onTimer` on the loop thread (for application heartbeats).
/// - `shutdown()` fails queued sends with `.loopClosed`, closes the sockets (linger 0) and finishes
///   `inbound`; it never waits on a peer.
public final class SocketLoop: Sendable {
    public struct SocketID: Hashable, Sendable {
        public let index: Int
    }

    public struct Received: Sendable {
        public let socket: SocketID
        public let message: Message
    }

    public struct Configuration: Sendable {
        public var name: String
        /// Messages that may wait for the consumer before the loop stops reading.
        public var inboundCapacity: Int
        /// How long a non-ROUTER send may wait for room in libzmq's queue before it fails.
        public var sendDeadline: Duration
        /// Interval of `onTimer` calls, if any.
        public var timerInterval: Duration?

        public init(name: String, inboundCapacity: Int = 1024, sendDeadline: Duration = .seconds(5),
                    timerInterval: Duration? = nil) {
            self.name = name
            self.inboundCapacity = max(1, inboundCapacity)
            self.sendDeadline = sendDeadline
            self.timerInterval = timerInterval
        }
    }

    /// The loop's sockets as its own thread sees them (for `onTimer`). Not `Sendable`.
    public struct LoopSockets {
        let sockets: [Socket]
        public func send(_ message: Message, on id: SocketID) throws {
            try sockets[id.index].send(message, dontWait: true)
        }
    }

    public let inbound: Inbound
    public let socketIDs: [SocketID]
    private let shared: Shared
    private let thread: DedicatedThread

    private init(inbound: Inbound, socketIDs: [SocketID], shared: Shared, thread: DedicatedThread) {
        self.inbound = inbound
        self.socketIDs = socketIDs
        self.shared = shared
        self.thread = thread
    }

    /// Starts the loop thread, runs `setup` on it to create, configure, bind and connect the
    /// sockets, and returns once that is done (rethrowing its error). A socket's `SocketID` is its
    /// index in the array `setup` returns.
    public static func start(
        context: Context,
        configuration: Configuration,
        setup: @escaping @Sendable (Context) throws -> [Socket],
        onTimer: (@Sendable (LoopSockets) -> Void)? = nil
    ) async throws -> SocketLoop {
        let (stream, continuation) = AsyncStream.makeStream(of: Received.self, bufferingPolicy: .unbounded)
        let wake = try EventFD()
        let credit = Credit(capacity: configuration.inboundCapacity, wake: wake)
        let shared = Shared(wake: wake, credit: credit)
        let socketCount = Mutex(0)
        let thread = try await DedicatedThread.spawn(name: configuration.name) { ready in
            let sockets: [Socket]
            do {
                sockets = try setup(context)
            } catch {
                continuation.finish()
                ready(.failure(error))
                return
            }
            socketCount.withLock { $0 = sockets.count }
            ready(.success(()))
            let core = LoopCore(sockets: sockets, shared: shared, configuration: configuration,
                                output: continuation, onTimer: onTimer)
            core.run()
        }
        let count = socketCount.withLock { $0 }
        return SocketLoop(inbound: Inbound(stream: stream, credit: credit),
                          socketIDs: (0..<count).map(SocketID.init(index:)),
                          shared: shared, thread: thread)
    }

    /// Queues `message` on `socket` and returns once libzmq has taken it. Throws `.hostUnreachable`
    /// for a ROUTER routing id with no peer, `.wouldBlock` when a ROUTER peer's queue is full,
    /// `.sendTimedOut` when another socket's queue stays full past the deadline, `.loopClosed` after
    /// shutdown.
    public func send(_ message: Message, on socket: SocketID) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            if !shared.enqueue(Outbound(socket: socket.index, message: message, completion: continuation)) {
                continuation.resume(throwing: ZMQError(kind: .loopClosed, operation: "send"))
            }
        }
    }

    /// Queues `message` without waiting for the outcome; a failed send is dropped. For messages whose
    /// loss the protocol above repairs (resent from an outbox, or heartbeats).
    public func post(_ message: Message, on socket: SocketID) throws {
        if !shared.enqueue(Outbound(socket: socket.index, message: message, completion: nil)) {
            throw ZMQError(kind: .loopClosed, operation: "post")
        }
    }

    /// Stops the loop: queued sends fail with `.loopClosed`, sockets close, `inbound` finishes.
    /// Returns when the loop thread has exited. Idempotent.
    public func shutdown() async {
        shared.close()
        await thread.waitForExit()
    }
}

extension SocketLoop {
    /// The inbound messages of a loop. Single consumer.
    public struct Inbound: AsyncSequence, Sendable {
        public typealias Element = Received
        let stream: AsyncStream<Received>
        let credit: Credit

        public struct AsyncIterator: AsyncIteratorProtocol {
            var base: AsyncStream<Received>.AsyncIterator
            let credit: Credit

            public mutating func next() async -> Received? {
                let next = await base.next()
                if next != nil { credit.release() }
                return next
            }
        }

        public func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(base: stream.makeAsyncIterator(), credit: credit)
        }

        /// Messages received and not yet taken: this many `next()` calls will not wait.
        public var waiting: Int { credit.outstanding }
    }
}

struct Outbound: Sendable {
    let socket: Int
    let message: Message
    let completion: CheckedContinuation<Void, any Error>?

    func complete(_ error: (any Error)?) {
        guard let completion else { return }
        if let error { completion.resume(throwing: error) } else { completion.resume() }
    }
}

/// Counts inbound messages handed to the stream but not yet taken by the consumer.
final class Credit: Sendable {
    private struct State {
        var outstanding = 0
        var loopWaiting = false
    }
    private let state = Mutex(State())
    let capacity: Int
    private let wake: EventFD

    init(capacity: Int, wake: EventFD) {
        self.capacity = capacity
        self.wake = wake
    }

    /// Loop thread: take one unit of credit, or record that the loop waits for the consumer.
    func acquire() -> Bool {
        state.withLock { s in
            if s.outstanding < capacity {
                s.outstanding += 1
                return true
            }
            s.loopWaiting = true
            return false
        }
    }

    /// Messages handed to the stream and not yet taken.
    var outstanding: Int { state.withLock { $0.outstanding } }

    /// Loop thread: give back a unit taken for a receive that found nothing.
    func giveBack() {
        state.withLock { $0.outstanding -= 1 }
    }

    /// Consumer: one message taken; wake the loop if it stopped reading for want of credit.
    func release() {
        let wakeLoop = state.withLock { s -> Bool in
            s.outstanding -= 1
            if s.loopWaiting {
                s.loopWaiting = false
                return true
            }
            return false
        }
        if wakeLoop { wake.signal() }
    }
}

/// State shared between the loop thread and its callers.
final class Shared: Sendable {
    private struct Queue {
        var items: [Outbound] = []
        var closed = false
    }
    private let queue = Mutex(Queue())
    let wake: EventFD
    let credit: Credit

    init(wake: EventFD, credit: Credit) {
        self.wake = wake
        self.credit = credit
    }

    func enqueue(_ item: Outbound) -> Bool {
        let accepted = queue.withLock { q -> Bool in
            if q.closed { return false }
            q.items.append(item)
            return true
        }
        if accepted { wake.signal() }
        return accepted
    }

    /// Loop thread: everything queued so far, and whether the loop must stop.
    func take() -> (items: [Outbound], closed: Bool) {
        queue.withLock { q in
            defer { q.items = [] }
            return (q.items, q.closed)
        }
    }

    func close() {
        queue.withLock { $0.closed = true }
        wake.signal()
    }
}

/// The loop thread's own state. Never leaves that thread.
final class LoopCore {
    private let sockets: [Socket]
    private let shared: Shared
    private let configuration: SocketLoop.Configuration
    private let output: AsyncStream<SocketLoop.Received>.Continuation
    private let onTimer: (@Sendable (SocketLoop.LoopSockets) -> Void)?
    private var pending: [[PendingSend]]
    private let clock = ContinuousClock()
    private static let receiveBatch = 256

    struct PendingSend {
        let item: Outbound
        let deadline: ContinuousClock.Instant
    }

    init(sockets: [Socket], shared: Shared, configuration: SocketLoop.Configuration,
         output: AsyncStream<SocketLoop.Received>.Continuation,
         onTimer: (@Sendable (SocketLoop.LoopSockets) -> Void)?) {
        self.sockets = sockets
        self.shared = shared
        self.configuration = configuration
        self.output = output
        self.onTimer = onTimer
        self.pending = Array(repeating: [], count: sockets.count)
    }

    func run() {
        defer { finish() }
        var nextTick = configuration.timerInterval.map { clock.now + $0 }
        while true {
            let (items, closed) = shared.take()
            if closed {
                let closedError = ZMQError(kind: .loopClosed, operation: "send")
                for item in items { item.complete(closedError) }
                return
            }
            let now = clock.now
            for item in items {
                guard item.socket >= 0 && item.socket < sockets.count else {
                    item.complete(ZMQError(kind: .other(ENOTSOCK), operation: "send", errno: ENOTSOCK))
                    continue
                }
                pending[item.socket].append(PendingSend(item: item, deadline: now + configuration.sendDeadline))
            }
            flushPending()

            let reading = shared.credit.acquire()
            if reading { shared.credit.giveBack() }
            var items_ = [zmq_pollitem_t(socket: nil, fd: shared.wake.fd, events: Int16(ZMQ_POLLIN), revents: 0)]
            for socket in sockets {
                items_.append(zmq_pollitem_t(socket: socket.handle, fd: 0,
                                             events: reading ? Int16(ZMQ_POLLIN) : 0, revents: 0))
            }
            var timeout = -1
            if let tick = nextTick {
                timeout = max(0, Self.milliseconds(until: tick, from: clock.now))
            }
            if pending.contains(where: { !$0.isEmpty }) {
                timeout = timeout < 0 ? 5 : min(timeout, 5)
            }
            let rc = retryingEINTR { zmq_poll(&items_, Int32(items_.count), timeout) }
            if rc == -1 { return }  // ETERM: the context is shutting down.
            if items_[0].revents != 0 { shared.wake.drain() }
            for (index, socket) in sockets.enumerated() where items_[index + 1].revents & Int16(ZMQ_POLLIN) != 0 {
                if !receive(from: socket, index: index) { return }
            }
            if let tick = nextTick, clock.now >= tick, let interval = configuration.timerInterval {
                onTimer?(SocketLoop.LoopSockets(sockets: sockets))
                let after = tick + interval
                nextTick = after > clock.now ? after : clock.now + interval
            }
        }
    }

    /// Reads up to a batch of messages while the consumer has room. False when the context is gone.
    private func receive(from socket: Socket, index: Int) -> Bool {
        for _ in 0..<Self.receiveBatch {
            guard shared.credit.acquire() else { return true }
            do {
                guard let message = try socket.receive(dontWait: true) else {
                    shared.credit.giveBack()
                    return true
                }
                output.yield(SocketLoop.Received(socket: SocketLoop.SocketID(index: index), message: message))
            } catch let error as ZMQError where error.kind == .contextTerminated {
                shared.credit.giveBack()
                return false
            } catch {
                shared.credit.giveBack()
                return true
            }
        }
        return true
    }

    private func flushPending() {
        let now = clock.now
        for index in pending.indices where !pending[index].isEmpty {
            let socket = sockets[index]
            var sent = 0
            for entry in pending[index] {
                do {
                    try socket.send(entry.item.message, dontWait: true)
                    entry.item.complete(nil)
                    sent += 1
                } catch let error as ZMQError where error.kind == .wouldBlock && socket.type != .router {
                    if now >= entry.deadline {
                        entry.item.complete(ZMQError(kind: .sendTimedOut, operation: "send"))
                        sent += 1
                        continue
                    }
                    break
                } catch {
                    entry.item.complete(error)
                    sent += 1
                }
            }
            pending[index].removeFirst(sent)
        }
    }

    private func finish() {
        let closedError = ZMQError(kind: .loopClosed, operation: "send")
        for queue in pending { for entry in queue { entry.item.complete(closedError) } }
        pending = pending.map { _ in [] }
        // Close the queue to new sends, then fail what slipped in before it closed.
        shared.close()
        for item in shared.take().items { item.complete(closedError) }
        for socket in sockets { socket.close() }
        output.finish()
    }

    private static func milliseconds(until deadline: ContinuousClock.Instant, from now: ContinuousClock.Instant) -> Int {
        let remaining = now.duration(to: deadline)
        let (seconds, attoseconds) = remaining.components
        return Int(seconds) * 1000 + Int((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }
}

extension SocketLoop {
    /// Waits for the loop's next inbound message, or nil after `timeout`.
    public func nextMessage(within timeout: Duration) async -> Received? {
        await withTaskGroup(of: Received?.self) { group in
            group.addTask {
                var iterator = self.inbound.makeAsyncIterator()
                return await iterator.next()
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
