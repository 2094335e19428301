/// A store failure with a stable English code and an explanation officers can read.
public struct StoreError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Code: String, Sendable {
        case unreachable = "DB_UNREACHABLE"
        case authenticationFailed = "DB_AUTH_FAILED"
        case databaseNotFound = "DB_NOT_FOUND"
        case startupTimedOut = "DB_STARTUP_TIMEOUT"
        case badConfiguration = "DB_BAD_CONFIG"
        case migrationChanged = "MIGRATION_CHANGED"
        case migrationUnknown = "MIGRATION_UNKNOWN"
        case migrationBadName = "MIGRATION_BAD_NAME"
        case migrationFailed = "MIGRATION_FAILED"
        case migrationsMissing = "MIGRATIONS_MISSING"
        case duplicate = "DUPLICATE"
        case invalidInput = "INVALID_INPUT"
        case notFound = "NOT_FOUND"
        case notAllowed = "NOT_ALLOWED"
        case notCoordinator = "NOT_COORDINATOR"
        /// A city dispatch to a county other than the office already pursuing the enterprise,
        /// without the coordinator's override reason.
        case enterprisePursued = "ENTERPRISE_PURSUED"
        /// A dispatch override on an enterprise whose conflict the city has not ruled on yet.
        case enterpriseContested = "ENTERPRISE_CONTESTED"
    }

    public let code: Code
    /// 中文说明, shown to the operator.
    public let message: String
    /// Technical detail (the driver's or server's own words); never contains a password.
    public let detail: String?

    public init(_ code: Code, _ message: String, detail: String? = nil) {
        self.code = code
        self.message = message
        self.detail = detail
    }

    public var description: String {
        if let detail { return "\(code.rawValue): \(message) (\(detail))" }
        return "\(code.rawValue): \(message)"
    }
}
