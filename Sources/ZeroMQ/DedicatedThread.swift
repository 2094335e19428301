import Foundation
import Synchronization

/// A thread that runs one loop body and reports, asynchronously, when it is ready and when it exited.
final class DedicatedThread: Sendable {
    private struct State {
        var exited = false
        var exitWaiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())
    private let exitSemaphore = DispatchSemaphore(value: 0)

    /// Starts `body` on a new thread. `body` must call `ready` exactly once (with the set-up outcome)
    /// before it loops; `spawn` returns or throws after that call.
    static func spawn(
        name: String,
        body: @escaping @Sendable (_ ready: @Sendable (Result<Void, any Error>) -> Void) -> Void
    ) async throws -> DedicatedThread {
        let thread = DedicatedThread()
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let once = Mutex<CheckedContinuation<Void, any Error>?>(continuation)
            let resumeOnce: @Sendable (Result<Void, any Error>) -> Void = { result in
                let pending = once.withLock { c -> CheckedContinuation<Void, any Error>? in
                    defer { c = nil }
                    return c
                }
                pending?.resume(with: result)
            }
            let worker = Thread {
                body(resumeOnce)
                resumeOnce(.failure(ZMQError(kind: .loopClosed, operation: "\(name) exited before it was ready")))
                thread.markExited()
            }
            worker.name = name
            worker.start()
        }
        return thread
    }

    private func markExited() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.exited = true
            defer { s.exitWaiters = [] }
            return s.exitWaiters
        }
        for waiter in waiters { waiter.resume() }
        exitSemaphore.signal()
    }

    /// Suspends until the thread's body has returned.
    func waitForExit() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { s -> Bool in
                if s.exited { return true }
                s.exitWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Blocks the calling (non-async) thread until the body has returned.
    func join() {
        if state.withLock({ $0.exited }) { return }
        exitSemaphore.wait()
        exitSemaphore.signal()
    }
}
