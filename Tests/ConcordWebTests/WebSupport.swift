import ConcordStore
import ConcordTestSupport
import ConcordWeb
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// A test user agent over HummingbirdTesting's in-process client: keeps the session cookie and the
/// last page's CSRF token, like a browser would.
final class Agent {
    let client: any TestClientProtocol
    var cookies: [String: String] = [:]
    var csrf: String?
    var lastBody = ""

    init(_ client: any TestClientProtocol) { self.client = client }

    struct Page {
        let status: HTTPResponse.Status
        let body: String
        let headers: HTTPFields
        var location: String? { headers[.location] }
    }

    @discardableResult
    func get(_ uri: String) async throws -> Page {
        var headers = HTTPFields()
        if let cookie = cookieHeader { headers[.cookie] = cookie }
        let response = try await client.execute(uri: uri, method: .get, headers: headers)
        return remember(response)
    }

    /// Posts a form; the session's CSRF token is added unless `csrf` is false.
    @discardableResult
    func post(_ uri: String, _ fields: [(String, String)], csrf: Bool = true) async throws -> Page {
        var all = fields
        if csrf, let token = self.csrf { all.append(("_csrf", token)) }
        let body = all.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        return try await send(uri, body: ByteBuffer(string: body), contentType: "application/x-www-form-urlencoded")
    }

    func send(_ uri: String, body: ByteBuffer, contentType: String) async throws -> Page {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        if let cookie = cookieHeader { headers[.cookie] = cookie }
        let response = try await client.execute(uri: uri, method: .post, headers: headers, body: body)
        return remember(response)
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    var cookieHeader: String? {
        cookies.isEmpty ? nil : cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
    }

    func remember(_ response: TestResponse) -> Page {
        let body = String(buffer: response.body)
        for field in response.headers where field.name == .setCookie {
            let pair = field.value.split(separator: ";").first?.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false) ?? []
            guard pair.count == 2 else { continue }
            let (name, value) = (String(pair[0]), String(pair[1]))
            if value.isEmpty || field.value.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        if let range = body.range(of: #"name="_csrf" value="([0-9a-f]{64})""#, options: .regularExpression) {
            csrf = String(body[range].dropFirst(#"name="_csrf" value=""#.count).prefix(64))
        }
        lastBody = body
        return Page(status: response.status, body: body, headers: response.headers)
    }

    /// Posts the login form as a browser would: the form's token comes from GET /login.
    @discardableResult
    func tryLogin(_ username: String, _ password: String, next: String = "/") async throws -> Page {
        try await get("/login")
        return try await post("/login", [("username", username), ("password", password), ("next", next)])
    }

    /// Logs in and loads `then`, so the agent holds a session and its CSRF token.
    func login(_ username: String, _ password: String, then: String = "/") async throws {
        let page = try await tryLogin(username, password, next: then)
        #expect(page.status == .seeOther, "login of \(username) should redirect")
        try await get(then)
    }
}

enum WebFixture {
    static let password = "correct-horse-电池-2026"
    static let logger = TestDatabase.logger

    /// A migrated fresh database with a running pool.
    static func withDatabase<T: Sendable>(_ body: @escaping @Sendable (Database) async throws -> T) async throws -> T {
        let migrations = try Migration.load(from: TestDatabase.schemasDirectory)
        return try await TestDatabase.withFreshDatabase { configuration in
            var configuration = configuration
            configuration.maximumConnections = 10
            return try await Database.withDatabase(configuration, logger: logger) { db in
                _ = try await Migrator(migrations: migrations, logger: logger).migrate(db)
                return try await body(db)
            }
        }
    }

    static func scalar(_ db: Database, _ sql: String) async throws -> Int {
        let rows = try await db.client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        for try await value in rows.decode(Int.self) { return value }
        return -1
    }
}

import PostgresNIO
