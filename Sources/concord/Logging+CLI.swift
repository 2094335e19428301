import Foundation
import Logging

enum CLILogging {
    /// Logs go to standard error so standard output stays for results.
    static func logger(_ label: String, level fallback: Logger.Level = .warning) -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        let level = ProcessInfo.processInfo.environment["CONCORD_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
        logger.logLevel = level ?? fallback
        return logger
    }
}
