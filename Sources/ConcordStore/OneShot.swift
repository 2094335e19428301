import ServiceLifecycle
import Synchronization

/// A service that runs one job and keeps its outcome, so a `ServiceGroup` can end when it is done.
final class OneShot<Result: Sendable>: Service, Sendable {
    private let job: @Sendable () async throws -> Result
    private let outcome = Mutex<Swift.Result<Result, any Error>?>(nil)

    init(_ job: @escaping @Sendable () async throws -> Result) {
        self.job = job
    }

    func run() async throws {
        do {
            let value = try await job()
            outcome.withLock { $0 = .success(value) }
        } catch {
            outcome.withLock { $0 = .failure(error) }
            throw error
        }
    }

    func result() throws -> Result {
        guard let outcome = outcome.withLock({ $0 }) else {
            throw CancellationError()
        }
        return try outcome.get()
    }
}
