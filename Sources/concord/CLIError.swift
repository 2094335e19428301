import ConcordStore
import ZeroMQ

/// A failure the CLI reports: a stable English code and a Chinese explanation of what to do.
struct CLIError: Error, CustomStringConvertible {
    let code: String
    let message: String

    init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    var description: String { "[\(code)] \(message)" }

    /// Wraps the errors of the modules below in the same shape.
    static func from(_ error: any Error) -> any Error {
        switch error {
        case let error as CLIError: return error
        case let error as StoreError:
            return CLIError(error.code.rawValue, error.detail.map { "\(error.message)\n  详情 (detail): \($0)" } ?? error.message)
        case let error as ZMQError:
            return CLIError("ZMQ_ERROR", "通信层错误：\(error)")
        default:
            return error
        }
    }
}

/// Runs a command body and reports its errors in the CLI's shape.
func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch {
        throw CLIError.from(error)
    }
}
