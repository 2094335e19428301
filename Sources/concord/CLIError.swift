import ConcordStore
import PostgresNIO
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
        case let error as PostgresTransactionError:
            return from(error.closureError ?? error.commitError ?? error.beginError ?? error.rollbackError ?? CLIError("DB_ERROR", "数据库事务失败"))
        case let error as PSQLError:
            let state = error.serverInfo?[.sqlState] ?? ""
            let message = error.serverInfo?[.message] ?? "\(error.code)"
            if state == "42P01" {
                return CLIError("DB_NOT_MIGRATED", "数据库尚未初始化（\(message)）：请先运行 concord node run / hub run，或 concord db migrate")
            }
            return CLIError("DB_ERROR", "数据库错误 \(state)：\(message)")
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
