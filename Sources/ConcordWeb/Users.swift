import Foundation
import HummingbirdBcrypt
import Logging
import NIOPosix
import PostgresNIO
import ConcordStore

/// What a console user may do. The hub has coordinators and viewers; a node has officers and viewers.
public enum ConsoleRole: String, Sendable, CaseIterable {
    case coordinator, viewer, officer

    public var chineseName: String {
        switch self {
        case .coordinator: return "市级协调人员"
        case .viewer: return "只读查看"
        case .officer: return "招商专员"
        }
    }

    /// The roles a console of this kind knows.
    public static func roles(hub: Bool) -> [ConsoleRole] { hub ? [.coordinator, .viewer] : [.officer, .viewer] }
}

public struct ConsoleUser: Sendable, Equatable {
    public let username: String
    public let displayName: String
    public let role: ConsoleRole
    public let createdAt: Date
    public let disabledAt: Date?
}

/// An open session: who, and the token every form must carry back.
public struct ConsoleSession: Sendable {
    public let user: ConsoleUser
    public let csrfToken: String
}

/// Console users and sessions in the office's own database.
public struct UserStore: Sendable {
    public static let minimumPasswordLength = 10
    /// bcrypt's cost: 2^cost rounds (about 60 ms at 10 on this class of machine).
    public static let defaultCost: UInt8 = 10
    public static let sessionLifetime: TimeInterval = 8 * 3600

    let client: PostgresClient
    let logger: Logger
    let cost: UInt8

    public init(client: PostgresClient, logger: Logger, cost: UInt8 = UserStore.defaultCost) {
        self.client = client
        self.logger = logger
        self.cost = cost
    }

    /// 32 random bytes as hex, from the system's secure generator.
    public static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// A password for `user add` when none is given: 16 characters without look-alikes.
    public static func generatedPassword() -> String {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<16).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    /// The shape console_users.username allows.
    public static func isValidUsername(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 63 else { return false }
        func allowed(_ s: Unicode.Scalar) -> Bool { ("a"..."z").contains(s) || ("0"..."9").contains(s) }
        return allowed(first) && name.unicodeScalars.allSatisfy { allowed($0) || $0 == "." || $0 == "_" || $0 == "-" }
    }

    public static func passwordProblem(_ password: String) -> String? {
        if password.count < minimumPasswordLength { return "密码至少 \(minimumPasswordLength) 个字符" }
        if password.utf8.count > 72 { return "密码不能超过 72 字节（bcrypt 的上限）" }
        return nil
    }

    /// Hashing is slow on purpose; it runs on NIO's blocking pool, not on a request's thread.
    func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    public func add(username: String, displayName: String, role: ConsoleRole, password: String) async throws {
        if let problem = Self.passwordProblem(password) { throw StoreError(.invalidInput, problem) }
        let hashed = try await hash(password)
        do {
            try await client.query("""
                INSERT INTO console_users (username, display_name, role, password_hash)
                VALUES (\(username), \(displayName), \(role.rawValue), \(hashed))
                """, logger: logger)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw StoreError(.duplicate, "用户 \(username) 已存在")
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23514" {
            throw StoreError(.invalidInput, "用户名只能包含小写字母、数字和 . _ -，且以字母或数字开头，最长 63 个字符：\(username)",
                             detail: error.serverInfo?[.message])
        }
    }

    public func setPassword(username: String, password: String) async throws {
        if let problem = Self.passwordProblem(password) { throw StoreError(.invalidInput, problem) }
        let hashed = try await hash(password)
        let rows = try await client.query("""
            WITH done AS (UPDATE console_users SET password_hash = \(hashed) WHERE username = \(username) RETURNING 1)
            SELECT count(*)::int FROM done
            """, logger: logger)
        for try await count in rows.decode(Int.self) where count == 0 { throw StoreError(.notFound, "没有用户 \(username)") }
        // A new password ends every open session.
        try await client.query("DELETE FROM console_sessions WHERE username = \(username)", logger: logger)
    }

    /// Disables a user and ends their sessions. Returns false when unknown or already disabled.
    public func disable(username: String) async throws -> Bool {
        let rows = try await client.query("""
            WITH done AS (UPDATE console_users SET disabled_at = now() WHERE username = \(username) AND disabled_at IS NULL RETURNING 1)
            SELECT count(*)::int FROM done
            """, logger: logger)
        var changed = false
        for try await count in rows.decode(Int.self) { changed = count == 1 }
        try await client.query("DELETE FROM console_sessions WHERE username = \(username)", logger: logger)
        return changed
    }

    public func list() async throws -> [ConsoleUser] {
        let rows = try await client.query("""
            SELECT username, display_name, role, created_at, disabled_at FROM console_users ORDER BY username
            """, logger: logger)
        var users: [ConsoleUser] = []
        for try await (name, display, role, created, disabled) in rows.decode((String, String, String, Date, Date?).self) {
            users.append(ConsoleUser(username: name, displayName: display, role: ConsoleRole(rawValue: role) ?? .viewer,
                                     createdAt: created, disabledAt: disabled))
        }
        return users
    }

    /// The active user with this name and password, or nil. An unknown name costs a hash check
    /// too, so the answer's timing does not tell which names exist.
    public func authenticate(username: String, password: String) async throws -> ConsoleUser? {
        let rows = try await client.query("""
            SELECT username, display_name, role, created_at, disabled_at, password_hash FROM console_users
            WHERE username = \(username) AND disabled_at IS NULL
            """, logger: logger)
        var found: (ConsoleUser, String)?
        for try await (name, display, role, created, disabled, hash) in rows.decode((String, String, String, Date, Date?, String).self) {
            found = (ConsoleUser(username: name, displayName: display, role: ConsoleRole(rawValue: role) ?? .viewer,
                                 createdAt: created, disabledAt: disabled), hash)
        }
        guard let (user, hash) = found else {
            // Hashing at this store's cost takes as long as checking a password hashed at it.
            _ = try await self.hash(password)
            return nil
        }
        return try await verify(password, hash: hash) ? user : nil
    }

    /// Opens a session; returns the cookie value (only its SHA-256 is stored).
    public func openSession(for user: ConsoleUser, now: Date = Date()) async throws -> String {
        let token = Self.randomToken()
        let csrf = Self.randomToken()
        try await client.query("DELETE FROM console_sessions WHERE expires_at < now()", logger: logger)
        try await client.query("""
            INSERT INTO console_sessions (token_hash, username, csrf_token, expires_at)
            VALUES (sha256(convert_to(\(token), 'UTF8')), \(user.username), \(csrf), \(now.addingTimeInterval(Self.sessionLifetime)))
            """, logger: logger)
        return token
    }

    /// The live session of this cookie value, if any (expired, disabled or unknown: nil).
    public func session(token: String) async throws -> ConsoleSession? {
        guard token.count == 64, token.allSatisfy(\.isHexDigit) else { return nil }
        let rows = try await client.query("""
            SELECT u.username, u.display_name, u.role, u.created_at, s.csrf_token
            FROM console_sessions s JOIN console_users u ON u.username = s.username
            WHERE s.token_hash = sha256(convert_to(\(token), 'UTF8')) AND s.expires_at > now() AND u.disabled_at IS NULL
            """, logger: logger)
        for try await (name, display, role, created, csrf) in rows.decode((String, String, String, Date, String).self) {
            let user = ConsoleUser(username: name, displayName: display, role: ConsoleRole(rawValue: role) ?? .viewer,
                                   createdAt: created, disabledAt: nil)
            return ConsoleSession(user: user, csrfToken: csrf)
        }
        return nil
    }

    public func closeSession(token: String) async throws {
        try await client.query(
            "DELETE FROM console_sessions WHERE token_hash = sha256(convert_to(\(token), 'UTF8'))", logger: logger)
    }
}

/// Login throttling: after `maxFailures` failed attempts for one user name within `window`
/// seconds, further attempts for that name are refused until the window has passed since the
/// last failure. Pure; `LoginThrottle` holds one in an actor.
public struct ThrottleBook: Sendable {
    public var maxFailures = 5
    public var window: TimeInterval = 15 * 60
    var failures: [String: [Date]] = [:]

    public init(maxFailures: Int = 5, window: TimeInterval = 15 * 60) {
        self.maxFailures = maxFailures
        self.window = window
    }

    /// Seconds until `key` may try again, or nil when it may try now.
    public func retryAfter(_ key: String, now: Date) -> TimeInterval? {
        let recent = (failures[key] ?? []).filter { now.timeIntervalSince($0) < window }
        guard recent.count >= maxFailures, let last = recent.max() else { return nil }
        return max(1, window - now.timeIntervalSince(last))
    }

    public mutating func fail(_ key: String, now: Date) {
        var recent = (failures[key] ?? []).filter { now.timeIntervalSince($0) < window }
        recent.append(now)
        failures[key] = Array(recent.suffix(maxFailures))
        if failures.count > 10_000 { failures = failures.filter { !$0.value.allSatisfy { now.timeIntervalSince($0) >= window } } }
    }

    public mutating func succeed(_ key: String) { failures[key] = nil }
}

public actor LoginThrottle {
    var book: ThrottleBook
    var seeded = false

    /// Once per process, before the first attempt: replays the failed and successful logins of the
    /// last window (from the audit chain), so a restart does not lift a lockout.
    /// `load` is given the window's start.
    public func seedOnce(_ load: @Sendable (Date) async throws -> [(key: String, failed: Bool, at: Date)]) async {
        guard !seeded else { return }
        seeded = true
        guard let events = try? await load(Date().addingTimeInterval(-book.window)) else { return }
        for event in events {
            if event.failed { book.fail(event.key, now: event.at) } else { book.succeed(event.key) }
        }
    }

    public init(_ book: ThrottleBook = ThrottleBook()) { self.book = book }

    public func retryAfter(_ key: String, now: Date = Date()) -> TimeInterval? { book.retryAfter(key, now: now) }

    /// Starts an attempt: nil when it may go on (it is counted as a failure until `succeed`), or
    /// the seconds to wait when the name is locked.
    public func begin(_ key: String, now: Date = Date()) -> TimeInterval? {
        if let wait = book.retryAfter(key, now: now) { return wait }
        book.fail(key, now: now)
        return nil
    }

    public func succeed(_ key: String) { book.succeed(key) }
}
