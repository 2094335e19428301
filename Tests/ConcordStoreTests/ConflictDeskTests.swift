import ConcordDomain
import ConcordTestSupport
import Foundation
import PostgresNIO
import Testing
@testable import ConcordStore

@Suite("Arbitration at the hub's desk")
struct ConflictDeskTests {
    static let logger = TestDatabase.logger
    let policy = ProtectionPolicy()

    /// Two offices claim one enterprise; returns the conflict id.
    static func conflict(_ db: Database) async throws -> Int64 {
        try await ClaimRegistryTests.addOffices(db)
        _ = try await db.client.query("INSERT INTO tenants (id, kind, name) VALUES ('city-zhang', 'coordinator', '张协调')", logger: logger)
        let t0 = Date(timeIntervalSince1970: 1_790_000_000)
        _ = try await ClaimRegistryTests.file(db, ClaimFiling(office: "360402", leadRef: "a", investorName: "观途（上海）新能源科技有限公司",
                                                              creditCode: "91110000600037341L", investmentWan: 300_000, reportedAt: t0))
        let second = try await ClaimRegistryTests.file(db, ClaimFiling(office: "360404", leadRef: "b", investorName: "上海观途新能源科技集团有限公司",
                                                                       investmentWan: 250_000, reportedAt: t0.addingTimeInterval(86_400)))
        guard case .contested(_, _, _, let conflictID, _) = second.status else { throw StoreError(.notFound, "no conflict") }
        return conflictID
    }

    func decide(_ db: Database, _ conflict: Int64, _ decision: ArbitrationDecision, by coordinator: String = "city-zhang",
                supersedes: Int64? = nil) async throws -> (Int64, [ClaimNotice]) {
        let policy = self.policy
        do {
            return try await db.client.withTransaction(logger: Self.logger) { connection in
                try await ConflictDesk(logger: Self.logger).decide(conflictID: conflict, decision: decision, reason: "产业链更匹配",
                                                                  coordinator: coordinator, supersedes: supersedes, policy: policy,
                                                                  now: Date(), on: connection)
            }
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error
        }
    }

    func status(_ db: Database, _ lead: String) async throws -> String {
        let rows = try await db.client.query("SELECT status || '/' || coalesce(decision_outcome, '') FROM claims WHERE lead_ref = \(lead)", logger: Self.logger)
        for try await value in rows.decode(String.self) { return value }
        return ""
    }

    @Test("the desk shows both claims and the rules recommend the first valid report")
    func showAndRecommend() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            let id = try await Self.conflict(db)
            let view = try #require(try await db.client.withConnection { try await ConflictDesk(logger: Self.logger).show(id, on: $0) })
            #expect(view.parties.map(\.office) == ["360402", "360404"])
            #expect(view.parties.first?.isHolder == true)
            #expect(view.parties.map { $0.stageDates.map(\.stage) } == [[.lead], [.lead]])
            let recommendation = ArbitrationRules.recommend(view.parties.map(\.rules), policy: policy,
                                                            now: Date(timeIntervalSince1970: 1_790_000_000 + 10 * 86_400))
            #expect(recommendation.decision == .award(office: "360402"))
            let listed = try await ConflictDesk(logger: Self.logger).list(openOnly: true, county: "360404", client: db.client)
            #expect(listed.map(\.id) == [id])
        }
    }

    @Test("a transfer records the split, moves the enterprise, and both offices are told")
    func transfer() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            let id = try await Self.conflict(db)
            let (decisionID, notices) = try await decide(db, id, .transfer(from: "360402", to: "360404", fromShare: 50, toShare: 50, years: 5))
            #expect(try await status(db, "b") == "held/transferred_in")
            #expect(try await status(db, "a") == "released/transferred_out")
            #expect(Set(notices.map(\.office)) == ["360402", "360404"])
            #expect(notices.allSatisfy { $0.decision?.summary.contains("50:50 分成 5 年") == true && $0.decision?.id == decisionID })
            #expect(try await ClaimRegistryTests.count(db, """
                SELECT count(*)::int FROM enterprise_holders h JOIN claims c ON c.id = h.claim_id WHERE c.lead_ref = 'b'
                """) == 2)
            #expect(try await ClaimRegistryTests.count(db, "SELECT count(*)::int FROM audit_chain WHERE action = 'decision' AND actor = 'city-zhang'") == 1)
        }
    }

    @Test("a decided conflict is changed only by a decision that supersedes the current one")
    func supersede() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            let id = try await Self.conflict(db)
            let (first, _) = try await decide(db, id, .award(office: "360404"))
            await #expect(throws: ArbitrationRefusal.self) { _ = try await decide(db, id, .award(office: "360402")) }
            let (second, _) = try await decide(db, id, .award(office: "360402"), supersedes: first)
            #expect(second > first)
            #expect(try await status(db, "a") == "held/won")
            #expect(try await status(db, "b") == "released/lost")
            #expect(try await ClaimRegistryTests.count(db, "SELECT count(*)::int FROM decisions WHERE supersedes = \(first)") == 1)
        }
    }

    @Test("an office cannot arbitrate")
    func officeCannotArbitrate() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            let id = try await Self.conflict(db)
            let refusal = await #expect(throws: ArbitrationRefusal.self) { _ = try await decide(db, id, .award(office: "360402"), by: "360402") }
            #expect(refusal?.error.code == "NOT_COORDINATOR")
            #expect(try await ClaimRegistryTests.count(db, "SELECT count(*)::int FROM decisions") == 0)
        }
    }
}

@Suite("Protection windows at the hub")
struct ProtectionWindowTests {
    static let logger = TestDatabase.logger

    func lapse(_ db: Database, at now: Date) async throws -> [ClaimNotice] {
        try await db.client.withTransaction(logger: Self.logger) { connection in
            try await ClaimRegistry(logger: Self.logger).lapseExpired(policy: ProtectionPolicy(windowDays: 180), now: now, on: connection)
        }
    }

    @Test("a held claim without progress lapses after its window, counted from the hub's receipt, and the waiting claim moves up")
    func lapseAndMoveUp() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            try await ClaimRegistryTests.addOffices(db)
            let t0 = Date()
            // The office's own date, 200 days back, counts for nothing: the window starts at receipt.
            _ = try await ClaimRegistryTests.file(db, ClaimFiling(office: "360402", leadRef: "a", investorName: "九江恒通物流有限公司",
                                                                  reportedAt: t0.addingTimeInterval(-200 * 86_400)))
            #expect(try await lapse(db, at: t0).isEmpty)
            _ = try await ClaimRegistryTests.file(db, ClaimFiling(office: "360404", leadRef: "b", investorName: "恒通物流（九江）有限公司",
                                                                  reportedAt: t0))
            #expect(try await lapse(db, at: t0.addingTimeInterval(100 * 86_400)).isEmpty)
            let notices = try await lapse(db, at: t0.addingTimeInterval(182 * 86_400))
            #expect(notices.contains(ClaimNotice(office: "360402", leadRef: "a", status: .lapsed)))
            #expect(notices.contains { $0.office == "360404" && $0.status == .held })
            // The heir's window starts when it moved up: it does not lapse at once.
            #expect(try await lapse(db, at: t0.addingTimeInterval(183 * 86_400)).isEmpty)
            #expect(try await ClaimRegistryTests.count(db, "SELECT count(*)::int FROM audit_chain WHERE action = 'claim.lapsed'") == 1)
        }
    }

    @Test("stage progress renews the window")
    func progressRenews() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            try await ClaimRegistryTests.addOffices(db)
            let t0 = Date().addingTimeInterval(-170 * 86_400)
            _ = try await ClaimRegistryTests.file(db, ClaimFiling(office: "360402", leadRef: "a", investorName: "九江恒通物流有限公司", reportedAt: t0))
            _ = try await ClaimLifecycleTests.stage(db, "360402", "a", .negotiating)
            #expect(try await lapse(db, at: Date().addingTimeInterval(30 * 86_400)).isEmpty)
            #expect(try await lapse(db, at: Date().addingTimeInterval(181 * 86_400)).count == 1)
        }
    }
}
