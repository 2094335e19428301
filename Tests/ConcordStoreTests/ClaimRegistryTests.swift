import ConcordDomain
import Foundation
import PostgresNIO
import ConcordTestSupport
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
            // Five rounds, each a fresh enterprise (its own brand and code): names vary, the code is shared.
            for round in 0..<5 {
                let code = ["91110000710926094P","91120224064012553U","911522010783710635","91152201078371135X","911522010783762860"][round]
                let brand = ["观途", "博睿", "翔宇", "恒达", "瑞丰"][round]
                let names = ["\(brand)网络科技有限公司", "\(brand)（上海）网络科技有限公司", "上海\(brand)网络科技集团有限公司", "\(brand)网络科技上海有限公司"]
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

    @Test("a brand inside another, or around it, is a possible duplicate however short; unrelated brands are not candidates")
    func containedBrands() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            try await Self.addOffices(db)
            _ = try await Self.file(db, ClaimFiling(office: "360402", leadRef: "a", investorName: "九江新时代新能源科技有限公司", reportedAt: Date()))
            _ = try await Self.file(db, ClaimFiling(office: "360403", leadRef: "b", investorName: "九江蓝海电子科技有限公司", reportedAt: Date()))
            // 时代 lies inside 新时代 (a two-character brand: no trigram of it alone is in 新时代).
            let inside = try await Self.file(db, ClaimFiling(office: "360404", leadRef: "c", investorName: "九江时代新能源科技有限公司", reportedAt: Date()))
            #expect(inside.status == .held)
            #expect(inside.possibleDuplicates.map(\.office) == ["360402"])
            // 蓝海科 contains 蓝海.
            let around = try await Self.file(db, ClaimFiling(office: "360423", leadRef: "d", investorName: "九江蓝海科电子科技有限公司", reportedAt: Date()))
            #expect(around.possibleDuplicates.map(\.office) == ["360403"])
            // Only the industry words in common: not even a candidate.
            let candidates = try await db.client.withConnection { connection in
                try await ClaimRegistry(logger: Self.logger).similarClaims(
                    to: CompanyName("九江远航新能源科技有限公司"), code: nil, office: "", excluding: nil, on: connection)
            }
            #expect(candidates.isEmpty)
        }
    }

    @Test("a brand's pieces are every contiguous run of its characters")
    func brandPieces() {
        #expect(ClaimRegistry.pieces(of: "新时代") == ["代", "新", "新时", "新时代", "时", "时代"].sorted())
        #expect(ClaimRegistry.pieces(of: "").isEmpty)
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

@Suite("Claims over their lifecycle, and checks")
struct ClaimLifecycleTests {
    static let logger = TestDatabase.logger

    static func stage(_ db: Database, _ office: String, _ lead: String, _ stage: LeadStage) async throws -> [ClaimNotice] {
        let change = try await db.client.withTransaction(logger: logger) { connection in
            try await ClaimRegistry(logger: logger).changeStage(office: office, leadRef: lead, to: stage, on: connection)
        }
        guard case .applied(let notices) = change else { throw StoreError(.invalidInput, "refused: \(change)") }
        return notices
    }

    static func refusal(_ db: Database, _ office: String, _ lead: String, _ stage: LeadStage) async throws -> ClaimRegistry.StageRefusal? {
        let change = try await db.client.withTransaction(logger: logger) { connection in
            try await ClaimRegistry(logger: logger).changeStage(office: office, leadRef: lead, to: stage, on: connection)
        }
        if case .refused(let why) = change { return why }
        return nil
    }

    @Test("a contested filing tells both offices; dropping the holder hands the enterprise to the first challenger the hub received, whatever dates the offices wrote")
    func releaseHandsOver() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            try await ClaimRegistryTests.addOffices(db)
            let t0 = Date(timeIntervalSince1970: 1_790_000_000)
            let filings = [
                ClaimFiling(office: "360402", leadRef: "a", investorName: "九江恒通物流有限公司", reportedAt: t0),
                ClaimFiling(office: "360404", leadRef: "c", investorName: "恒通物流（九江）有限公司", reportedAt: t0.addingTimeInterval(120)),
                ClaimFiling(office: "360403", leadRef: "b", investorName: "九江恒通物流股份有限公司", reportedAt: t0.addingTimeInterval(60)),
            ]
            var allNotices: [ClaimNotice] = []
            for filing in filings {
                allNotices += try await db.client.withTransaction(logger: Self.logger) { connection in
                    let registry = ClaimRegistry(logger: Self.logger)
                    let outcome = try await registry.file(filing, on: connection)
                    return try await registry.notices(for: filing, outcome: outcome, on: connection)
                }
            }
            let holderNotice = try #require(allNotices.last { $0.office == "360402" })
            #expect(holderNotice.status == .held && holderNotice.contestedBy == ["360403", "360404"])
            #expect(allNotices.contains { $0.office == "360404" && $0.status == .contested && $0.holderOffice == "360402" })

            // 360402 drops the project: 360404 reached the hub first among the others and takes over,
            // though 360403 wrote an earlier date on its filing (首报 is the hub's receipt).
            let notices = try await Self.stage(db, "360402", "a", .dropped)
            #expect(notices.contains(ClaimNotice(office: "360402", leadRef: "a", status: .released)))
            let heir = try #require(notices.first { $0.office == "360404" })
            #expect(heir.status == .held && heir.contestedBy == ["360403"])
            let loser = try #require(notices.first { $0.office == "360403" })
            #expect(loser.status == .contested && loser.holderOffice == "360404")
            #expect(try await ClaimRegistryTests.count(db, "SELECT count(*)::int FROM conflicts WHERE status = 'open'") == 1)
            #expect(try await ClaimRegistryTests.count(db, """
                SELECT count(*)::int FROM enterprise_holders h JOIN claims c ON c.id = h.claim_id WHERE c.office <> '360404'
                """) == 0)
        }
    }

    @Test("production settles a held claim")
    func productionSettles() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            try await ClaimRegistryTests.addOffices(db)
            _ = try await ClaimRegistryTests.file(db, ClaimFiling(office: "360402", leadRef: "a", investorName: "九江恒通物流有限公司", reportedAt: Date()))
            for stage in [LeadStage.negotiating, .signed, .registered, .construction] {
                #expect(try await Self.stage(db, "360402", "a", stage).isEmpty)
            }
            let notices = try await Self.stage(db, "360402", "a", .production)
            #expect(notices == [ClaimNotice(office: "360402", leadRef: "a", status: .settled)])
        }
    }

    @Test("the hub refuses what the lifecycle rule forbids, audits it and publishes nothing")
    func refusedStageChanges() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            try await ClaimRegistryTests.addOffices(db)
            let t0 = Date(timeIntervalSince1970: 1_790_000_000)
            _ = try await ClaimRegistryTests.file(db, ClaimFiling(office: "360402", leadRef: "a", investorName: "九江恒通物流有限公司", reportedAt: t0))
            _ = try await ClaimRegistryTests.file(db, ClaimFiling(office: "360403", leadRef: "b", investorName: "九江恒通物流股份有限公司",
                                                                  reportedAt: t0.addingTimeInterval(60)))
            let events = "SELECT count(*)::int FROM events WHERE topic LIKE 'stage.%'"
            let before = try await ClaimRegistryTests.count(db, events)
            // Skipping a stage, another office's lead, a lead the hub never saw.
            #expect(try await Self.refusal(db, "360402", "a", .signed) == .rule(.notNext(from: .lead, to: .signed, expected: .negotiating)))
            #expect(try await Self.refusal(db, "360403", "a", .negotiating) == .notThisOffice)
            #expect(try await Self.refusal(db, "360402", "nope", .negotiating) == .notThisOffice, "not told apart from another office's lead")
            // 首报首谈: the contesting office may not negotiate while the city has not ruled; it may drop.
            #expect(try await Self.refusal(db, "360403", "b", .negotiating) == .rule(.contested(to: .negotiating)))
            // Backwards.
            _ = try await Self.stage(db, "360402", "a", .negotiating)
            _ = try await Self.stage(db, "360402", "a", .signed)
            #expect(try await Self.refusal(db, "360402", "a", .lead) == .rule(.backward(from: .signed, to: .lead)))
            #expect(try await ClaimRegistryTests.count(db, events) == before + 2)
            #expect(try await ClaimRegistryTests.count(db, "SELECT count(*)::int FROM audit_chain WHERE action = 'stage.refused'") == 5)
            // Dropping is allowed to the contesting office, and then its lead is closed.
            _ = try await Self.stage(db, "360403", "b", .dropped)
            #expect(try await Self.refusal(db, "360403", "b", .negotiating) == .rule(.claimClosed(.released)))
        }
    }

    @Test("a check says whether the enterprise is pursued without naming the office, and is audited")
    func checks() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            try await ClaimRegistryTests.addOffices(db)
            _ = try await ClaimRegistryTests.file(db, ClaimFiling(office: "360402", leadRef: "a", investorName: "观途（上海）新能源科技有限公司",
                                                                  creditCode: "91110000600037341L", reportedAt: Date()))
            func ask(_ name: String, _ code: String?, _ asker: String) async throws -> CheckAnswer {
                try await db.client.withTransaction(logger: Self.logger) { connection in
                    try await ClaimRegistry(logger: Self.logger).check(name: name, code: code, asker: asker, on: connection)
                }
            }
            let byCode = try await ask("随便写的名字", "91110000600037341L", "360423")
            #expect(byCode.verdict == .pursued && !byCode.ownOffice)
            #expect(byCode.reasons == ["统一社会信用代码相同"], "another office's claim: the kind of agreement, not its words")
            #expect(try await ask("上海观途新能源科技有限公司", nil, "360402").ownOffice)
            #expect(try await ask("观途贸易有限公司", nil, "360423").verdict == .possiblyPursued)
            #expect(try await ask("北京华为科技有限公司", nil, "360423").verdict == .free)
            #expect(try await ClaimRegistryTests.count(db, "SELECT count(*)::int FROM audit_chain WHERE action = 'check'") == 4)
        }
    }
}
