import ConcordDomain
import Foundation
import PostgresNIO
import Testing
@testable import ConcordStore

@Suite("The hub's claim registry")
struct ClaimRegistryTests {
    static let offices = ["360402", "360403", "360404", "360423"]
    static let logger = TestDatabase.logger

    static func addOffices(_ db: Database) async throws {
        for office in offices {
            _ = try await db.client.query(
                "INSERT INTO tenants (id, kind, name) VALUES (\(office), 'county', \(office))", logger: logger)
        }
    }

    static func file(_ db: Database, _ filing: ClaimFiling) async throws -> ClaimOutcome {
        try await db.client.withTransaction(logger: logger) { connection in
            try await ClaimRegistry(logger: logger).file(filing, on: connection)
        }
    }

    static func count(_ db: Database, _ sql: String) async throws -> Int {
        let rows = try await db.client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        for try await value in rows.decode(Int.self) { return value }
        return 0
    }

    @Test("20 concurrent filings of one enterprise from 4 offices: one holder, one conflict, every office told")
    func raceHasOneHolder() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            try await Self.addOffices(db)
            // Five rounds, each a fresh enterprise: names vary, the code is shared.
            for round in 0..<5 {
                let code = ["91110000710926094P","91120224064012553U","911522010783710635","91152201078371135X","911522010783762860"][round]
                let names = ["观途网络科技有限公司", "观途（上海）网络科技有限公司", "上海观途网络科技集团有限公司", "观途网络科技上海有限公司"]
                let outcomes = try await withThrowingTaskGroup(of: (String, ClaimOutcome).self) { group in
                    for index in 0..<20 {
                        let office = Self.offices[index % 4]
                        let filing = ClaimFiling(office: office, leadRef: "r\(round)-\(index)",
                                                 investorName: names[index % names.count] + String(repeating: " ", count: round),
                                                 creditCode: code, reportedAt: Date())
                        group.addTask { (office, try await Self.file(db, filing)) }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                let held = outcomes.filter { if case .held = $0.1.status { return true } else { return false } }
                #expect(held.count == 1, "round \(round): \(held.count) holders")
                let holderOffice = held.first?.0
                for (office, outcome) in outcomes {
                    switch outcome.status {
                    case .held: break
                    case .heldByOwnOffice: #expect(office == holderOffice)
                    case .contested(let by, _, _, _, _): #expect(by == holderOffice && office != holderOffice)
                    }
                }
                let opened = outcomes.filter { if case .contested(_, _, _, _, true) = $0.1.status { return true } else { return false } }
                #expect(opened.count == 1)
            }
            #expect(try await Self.count(db, "SELECT count(*)::int FROM conflicts WHERE status = 'open'") == 5)
            #expect(try await Self.count(db, "SELECT count(DISTINCT claim_id)::int FROM enterprise_holders") == 5)
            // Each conflict has the holder plus the 15 filings of the three other offices.
            #expect(try await Self.count(db, "SELECT min(n)::int FROM (SELECT count(*) AS n FROM conflict_parties GROUP BY conflict_id) p") == 16)
            let verified = try await db.client.withConnection { try await AuditChain.verify(on: $0, logger: Self.logger) }
            #expect(verified.isIntact)
        }
    }

    @Test("a filing delivered twice is registered once and answered the same way")
    func redeliveryIsIdempotent() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            try await Self.addOffices(db)
            let filing = ClaimFiling(office: "360402", leadRef: "lead-1", investorName: "九江恒通物流有限公司", reportedAt: Date())
            let first = try await Self.file(db, filing)
            let again = try await Self.file(db, filing)
            #expect(first.status == .held && !first.repeated)
            #expect(again.claimID == first.claimID && again.repeated && again.status == .held)
            #expect(try await Self.count(db, "SELECT count(*)::int FROM claims") == 1)
        }
    }

    @Test("another spelling without the code is caught by name; a different industry is only a possible duplicate")
    func fuzzyCandidates() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            try await Self.addOffices(db)
            let first = try await Self.file(db, ClaimFiling(office: "360402", leadRef: "a", investorName: "宁德时代新能源科技股份有限公司",
                                                          creditCode: "91110000600037341L", reportedAt: Date()))
            #expect(first.status == .held)
            let variant = try await Self.file(db, ClaimFiling(office: "360404", leadRef: "b", investorName: "宁德时代新能源有限公司", reportedAt: Date()))
            guard case .contested(let holderOffice, let holderClaim, _, _, true) = variant.status else {
                Issue.record("expected a new conflict, got \(variant.status)")
                return
            }
            #expect(holderOffice == "360402" && holderClaim == first.claimID)

            let trade = try await Self.file(db, ClaimFiling(office: "360403", leadRef: "c", investorName: "宁德时代贸易有限公司", reportedAt: Date()))
            #expect(trade.status == .held)
            #expect(trade.possibleDuplicates.map(\.office) == ["360402"])
            #expect(trade.possibleDuplicates.first?.reasons.contains("行业词不同：贸易 与 新能源科技") == true)
        }
    }

    @Test("two offices filing different enterprises both hold")
    func differentEnterprises() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            try await Self.addOffices(db)
            let a = try await Self.file(db, ClaimFiling(office: "360402", leadRef: "a", investorName: "北京华夏科技有限公司", reportedAt: Date()))
            let b = try await Self.file(db, ClaimFiling(office: "360403", leadRef: "b", investorName: "北京华为科技有限公司", reportedAt: Date()))
            #expect(a.status == .held && b.status == .held)
            #expect(b.possibleDuplicates.isEmpty)
        }
    }
}

extension AuditChain.Verification {
    var isIntact: Bool {
        if case .intact = self { return true }
        return false
    }
}
