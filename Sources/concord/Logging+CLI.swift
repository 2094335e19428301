import ConcordStore
import Foundation
import Logging

enum CLILogging {
    /// Logs go to standard error so standard output stays for results: as JSON lines when standard
    /// error is not a terminal (journald, a log file), as text on a terminal. CONCORD_LOG_FORMAT=json
    /// or text chooses; CONCORD_LOG_LEVEL sets the level.
    static func logger(_ label: String, level fallback: Logger.Level = .warning) -> Logger {
        let environment = ProcessInfo.processInfo.environment
        let json = environment["CONCORD_LOG_FORMAT"].map { $0 == "json" } ?? (isatty(STDERR_FILENO) == 0)
        var logger = Logger(label: label) { json ? JSONLogHandler(label: $0) as any LogHandler : StreamLogHandler.standardError(label: $0) }
        let level = environment["CONCORD_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
        logger.logLevel = level ?? fallback
        return logger
    }
}
