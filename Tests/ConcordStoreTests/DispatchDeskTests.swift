import ConcordDomain
import ConcordTestSupport
import Foundation
import PostgresNIO
import Testing
@testable import ConcordStore

@Suite("City dispatch at the hub")
struct DispatchDeskTests {
    static let logger = TestDatabase.logger
    let desk = DispatchDesk(logger: Self.logger)

    func setUp(_ db: Database) async throws -> CityLead {
        try await ClaimRegistryTests.addOffices(db)
        _ = try await db.client.query("INSERT INTO tenants (id, kind, name) VALUES ('city-zhang', 'coordinator', '张协调')", logger: Self.logger)
        try await desk.setProfile(CountyProfile(county: "360404", industries: ["新能源"], chains: ["锂电池"], landByPark: ["城西": 600],
                                                energyTce: 50_000, environment: 400), client: db.client)
        try await desk.setProfile(CountyProfile(county: "360402", industries: ["文旅"], landByPark: ["濂溪园": 80]), client: db.client)
        let id = try await desk.addCityLead(investorName: "赣锋锂业集团股份有限公司", creditCode: nil, projectName: "固态电池", industry: "新能源",
                                            chain: "锂电池", investmentWan: 500_000, landMu: 400, energyTce: 20_000, environment: 100,
                                            filedBy: "city", now: Date(), client: db.client)
        return try await desk.cityLead(String(id.uuidString.prefix(8)), client: db.client)
    }

    func assign(_ db: Database, _ lead: CityLead, to county: String) async throws -> AssignmentView {
        let desk = self.desk
        do {
            return try await db.client.withTransaction(logger: Self.logger) { connection in
                try await desk.assign(lead, to: county, note: nil, score: nil, by: "city-zhang", deadlines: DispatchDeadlines(),
                                      now: Date(), on: connection)
            }
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error
        }
    }

    func reply(_ db: Database, _ office: String, _ id: Int64, accept: Bool, reason: String? = nil) async throws -> Bool {
        let desk = self.desk
        return try await db.client.withTransaction(logger: Self.logger) { connection in
            try await desk.applyReply(office: office, assignmentID: id, accept: accept, reason: reason, at: Date(), on: connection)
        }
    }

    @Test("profiles load back and the recommendation ranks the fitting county first")
    func recommend() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            let lead = try await setUp(db)
            let ranked = DispatchScoring.rank(lead.needs, profiles: try await desk.profiles(client: db.client),
                                              openLoad: try await desk.openLoad(client: db.client))
            #expect(ranked.map(\.county) == ["360404", "360402"])
            #expect(ranked[0].score == 100)
        }
    }

    @Test("an offer waits for its county; a decline returns the lead to the pool with the reason; only that county answers")
    func offerAndAnswers() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            let lead = try await setUp(db)
            let first = try await assign(db, lead, to: "360404")
            #expect(first.respondBy.timeIntervalSince(first.assignedAt) == 24 * 3600)
            #expect(first.assessBy.timeIntervalSince(first.assignedAt) == 72 * 3600)
            #expect(first.isOverdue(now: first.respondBy.addingTimeInterval(1)))
            #expect(!first.isOverdue(now: first.respondBy.addingTimeInterval(-1)))
            await #expect(throws: StoreError.self) { _ = try await assign(db, lead, to: "360402") }
            #expect(try await reply(db, "360402", first.id, accept: true) == false)
            #expect(try await reply(db, "360404", first.id, accept: false, reason: "用地已规划"))
            let back = try await desk.cityLead(String(lead.id.uuidString.prefix(8)), client: db.client)
            #expect(back.status == "pool")
            let second = try await assign(db, back, to: "360402")
            #expect(try await reply(db, "360402", second.id, accept: true))
            #expect(try await desk.cityLead(String(lead.id.uuidString.prefix(8)), client: db.client).status == "accepted")
            let history = try await desk.assignments(county: nil, client: db.client)
            #expect(history.map(\.status) == ["declined", "accepted"])
            #expect(history[0].reason == "用地已规划")
            #expect(try await ClaimRegistryTests.count(db, "SELECT count(*)::int FROM audit_chain WHERE action LIKE 'assignment%'") == 4)
        }
    }
}
