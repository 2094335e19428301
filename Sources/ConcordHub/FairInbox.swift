import Metrics
import Synchronization
import ZeroMQ

/// Messages waiting to be handled, one queue per sender, taken in turn. The hub handles messages
/// one after another, and some cost a database round trip: in arrival order, one office's flood
/// would make every other office wait behind all of it. Taken in turn, another office's message
/// waits for at most one message of each busy sender.
struct FairOrder<Item> {
    private var queues: [String: Queue] = [:]
    /// Senders with something waiting, in the order they get their next turn.
    private var turns: [String] = []
    private var turnHead = 0
    /// A sender with this many messages waiting has the next ones dropped (a node resends its
    /// state-changing messages until acknowledged; a flood loses only itself).
    let perSenderLimit: Int
    private(set) var count = 0

    init(perSenderLimit: Int) {
        self.perSenderLimit = perSenderLimit
    }

    private struct Queue {
        var items: [Item] = []
        var head = 0
        var waiting: Int { items.count - head }

        mutating func pop() -> Item {
            let item = items[head]
            head += 1
            if head > 64 && head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
            return item
        }
    }

    /// Queues `item` from `sender`; false when the sender's queue is full and it was dropped.
    mutating func push(_ item: Item, from sender: String) -> Bool {
        var queue = queues[sender] ?? Queue()
        guard queue.waiting < perSenderLimit else { return false }
        if queue.waiting == 0 { turns.append(sender) }
        queue.items.append(item)
        queues[sender] = queue
        count += 1
        return true
    }

    /// The next sender's oldest message; that sender goes to the back of the turns.
    mutating func pop() -> Item? {
        guard turnHead < turns.count else { return nil }
        let sender = turns[turnHead]
        turnHead += 1
        var queue = queues[sender]!
        let item = queue.pop()
        count -= 1
        if queue.waiting > 0 {
            queues[sender] = queue
            turns.append(sender)
        } else {
            queues[sender] = nil
        }
        if turnHead > 64 && turnHead * 2 > turns.count {
            turns.removeFirst(turnHead)
            turnHead = 0
        }
        return item
    }
}

/// `FairOrder` between the socket loop and the hub's receive loop: a feeding task moves every
/// received message in at once (keyed by the sender's ZAP User-Id); the receive loop, the single
/// consumer, takes them in turn.
final class FairInbox: Sendable {
    private struct State {
        var order: FairOrder<SocketLoop.Received>
        var waiter: CheckedContinuation<SocketLoop.Received?, Never>?
        var finished = false
    }

    private let state: Mutex<State>

    init(perSenderLimit: Int) {
        state = Mutex(State(order: FairOrder(perSenderLimit: perSenderLimit)))
    }

    /// Moves everything `inbound` yields in, until it ends; then `next()` returns nil.
    func feed<S: AsyncSequence>(from inbound: S) async where S.Element == SocketLoop.Received {
        do {
            for try await received in inbound { push(received) }
        } catch {}
        let waiter = state.withLock { state -> CheckedContinuation<SocketLoop.Received?, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    func push(_ received: SocketLoop.Received) {
        let sender = received.message.userID ?? ""
        let (waiter, dropped) = state.withLock { state -> (CheckedContinuation<SocketLoop.Received?, Never>?, Bool) in
            if let waiter = state.waiter {
                state.waiter = nil
                return (waiter, false)
            }
            return (nil, !state.order.push(received, from: sender))
        }
        if let waiter { waiter.resume(returning: received) }
        if dropped { Counter(label: "concord_messages_dropped_total", dimensions: [("reason", "sender_queue_full")]).increment() }
    }

    /// The next message in turn, waiting for one; nil once the feed has ended and all are taken.
    func next() async -> SocketLoop.Received? {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> (SocketLoop.Received?, Bool) in
                if let item = state.order.pop() { return (item, true) }
                if state.finished { return (nil, true) }
                state.waiter = continuation
                return (nil, false)
            }
            if ready.1 { continuation.resume(returning: ready.0) }
        }
    }

    /// The next message in turn if one is waiting now.
    func tryNext() -> SocketLoop.Received? {
        state.withLock { $0.order.pop() }
    }
}
