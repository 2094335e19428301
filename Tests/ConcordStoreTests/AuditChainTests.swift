import Foundation
import PostgresNIO
import ConcordTestSupport
import Testing
@testable import ConcordStore

@Suite("The hash-chained audit log")
struct AuditChainTests {
    static func appendSome(_ db: Database, count: Int) async throws {
        for index in 1...count {
            _ = try await db.client.withTransaction(logger: TestDatabase.logger) { connection in
                try await AuditChain.append(.init(actor: "36040\(index % 3 + 2)", action: "check",
                                                  subject: "uscc:91110000600037341L",
                                                  detailJSON: #"{"name":"观途网络科技","n":\#(index)}"#),
                                            on: connection, logger: TestDatabase.logger)
            }
        }
    }

    static func verify(_ db: Database) async throws -> AuditChain.Verification {
        try await db.client.withConnection { try await AuditChain.verify(on: $0, logger: TestDatabase.logger) }
    }

    /// Tampers as a superuser would, past the append-only trigger.
    static func tamper(_ db: Database, _ sql: String) async throws {
        try await db.client.withConnection { connection in
            try await connection.query("SET session_replication_role = replica", logger: TestDatabase.logger)
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger)
            try await connection.query("SET session_replication_role = origin", logger: TestDatabase.logger)
        }
    }

    @Test("an untouched chain verifies and reports its head")
    func intactChain() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            #expect(try await Self.verify(db) == .intact(rows: 0, head: String(repeating: "0", count: 64)))
            try await Self.appendSome(db, count: 5)
            guard case .intact(let rows, let head) = try await Self.verify(db) else {
                Issue.record("chain should verify")
                return
            }
            #expect(rows == 5)
            #expect(head.count == 64)
        }
    }

    @Test("an edited row is found")
    func editedRow() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            try await Self.appendSome(db, count: 5)
            try await Self.tamper(db, "UPDATE audit_chain SET actor = '360499' WHERE seq = 3")
            #expect(try await Self.verify(db) == .broken(seq: 3, problem: .editedRow))
        }
    }

    @Test("an edited detail is found even when its hash is recomputed for that row alone")
    func rehashedRow() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            try await Self.appendSome(db, count: 5)
            try await Self.tamper(db, """
                UPDATE audit_chain SET detail = '{"name":"别的企业"}',
                    hash = audit_chain_hash(prev_hash, seq, recorded_at, actor, action, subject, '{"name":"别的企业"}')
                WHERE seq = 2
                """)
            #expect(try await Self.verify(db) == .broken(seq: 3, problem: .missingRow))
        }
    }

    @Test("an edited decision row is found even after the database's own audit_chain_hash was replaced to agree with it")
    func replacedHashFunction() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            try await Self.appendSome(db, count: 5)
            // What the hub's database role could do: make the stored function vouch for any row.
            try await Self.tamper(db, """
                CREATE OR REPLACE FUNCTION audit_chain_hash(prev bytea, seq bigint, recorded_at timestamptz, actor text,
                                                            action text, subject text, detail jsonb) RETURNS bytea
                LANGUAGE sql STABLE AS $$ SELECT hash FROM audit_chain WHERE audit_chain.seq = $2 $$
                """)
            try await Self.tamper(db, "UPDATE audit_chain SET detail = '{\"decision\":\"award 360404\"}' WHERE seq = 4")
            #expect(try await Self.verify(db) == .broken(seq: 4, problem: .editedRow))
            // And the hash is Swift's, not the database's: the intact chain's head matches it.
            try await Self.tamper(db, "DELETE FROM audit_chain WHERE seq >= 4")
            guard case .intact(let rows, let head) = try await Self.verify(db) else { Issue.record("not intact"); return }
            #expect(rows == 3 && head.count == 64)
        }
    }

    @Test("a deleted row is found")
    func deletedRow() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            try await Self.appendSome(db, count: 5)
            try await Self.tamper(db, "DELETE FROM audit_chain WHERE seq = 2")
            #expect(try await Self.verify(db) == .broken(seq: 3, problem: .missingRow))
        }
    }

    @Test("ordinary sessions cannot update or delete audit rows")
    func appendOnly() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            try await Self.appendSome(db, count: 1)
            await #expect(throws: PSQLError.self) {
                try await db.client.query("UPDATE audit_chain SET actor = 'x'", logger: TestDatabase.logger)
            }
            await #expect(throws: PSQLError.self) {
                try await db.client.query("DELETE FROM audit_chain", logger: TestDatabase.logger)
            }
        }
    }

    @Test("concurrent appends from 8 writers form one intact chain")
    func concurrentAppends() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { try await Self.appendSome(db, count: 25) } }
                try await group.waitForAll()
            }
            guard case .intact(let rows, _) = try await Self.verify(db) else {
                Issue.record("chain should verify")
                return
            }
            #expect(rows == 200)
        }
    }
}
