import Foundation
import Testing
@testable import ConcordStore
import ConcordTestSupport
#if canImport(Glibc)
import Glibc
#endif

@Suite("Start-up fails fast and clearly")
struct StartupTests {
    let logger = TestDatabase.logger

    @Test("a wrong port fails with DB_UNREACHABLE within the deadline")
    func wrongPort() async throws {
        var configuration = try TestDatabase.server()
        configuration.port = freePort()
        configuration.startupDeadline = .seconds(3)
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: StoreError.self) {
            _ = try await Database.connect(configuration, logger: logger)
        }
        #expect(clock.now - start < .seconds(3) + .milliseconds(500))
        #expect(error?.code == .unreachable)
        #expect(error?.message.contains("无法连接数据库") == true)
    }

    @Test("a server that accepts but never answers fails with DB_STARTUP_TIMEOUT at the deadline")
    func silentServer() async throws {
        // A listening socket that never accepts: the TCP handshake completes in the backlog, then silence.
        let (fd, port) = loopbackSocket()
        defer { close(fd) }
        #expect(listen(fd, 16) == 0)

        var configuration = try TestDatabase.server()
        configuration.port = port
        configuration.startupDeadline = .seconds(1)
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: StoreError.self) {
            _ = try await Database.connect(configuration, logger: logger)
        }
        let elapsed = clock.now - start
        // Not before the deadline, and not long after it: the upper bound leaves room for a loaded
        // CI machine (2.3 s was seen there with the whole suite running), while a missing deadline
        // would hang: PostgresNIO retries a connection indefinitely (DESIGN.md, pitfalls).
        #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(6))
        #expect(error?.code == .startupTimedOut || error?.code == .unreachable)
    }

    @Test("a wrong password fails with DB_AUTH_FAILED")
    func wrongPassword() async throws {
        var configuration = try TestDatabase.server()
        configuration.user = "concord_pw"
        configuration.password = "not-the-password"
        let error = await #expect(throws: StoreError.self) {
            _ = try await Database.connect(configuration, logger: logger)
        }
        #expect(error?.code == .authenticationFailed)
        #expect(error?.description.contains("not-the-password") == false)

        configuration.password = "concord-test-only"
        _ = try await Database.connect(configuration, logger: logger)
    }

    @Test("a missing database fails with DB_NOT_FOUND")
    func missingDatabase() async throws {
        var configuration = try TestDatabase.server()
        configuration.database = "no_such_database_here"
        let error = await #expect(throws: StoreError.self) {
            _ = try await Database.connect(configuration, logger: logger)
        }
        #expect(error?.code == .databaseNotFound)
    }

    @Test("database URLs parse, and their text form never shows the password")
    func urlParsing() throws {
        let configuration = try DatabaseConfiguration.parse(url: "postgres://hub:s3cret@db.local:6543/concord_hub")
        #expect(configuration.host == "db.local" && configuration.port == 6543)
        #expect(configuration.user == "hub" && configuration.password == "s3cret")
        #expect(configuration.database == "concord_hub")
        #expect(!configuration.redacted.contains("s3cret"))
        #expect(throws: StoreError.self) { try DatabaseConfiguration.parse(url: "mysql://x@y/z") }
        #expect(throws: StoreError.self) { try DatabaseConfiguration.parse(url: "postgres://x@y") }
    }
}
