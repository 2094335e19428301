import ConcordDomain
import ConcordTestSupport
import Foundation
import PostgresNIO
import Testing
@testable import ConcordStore

@Suite("The departments' event log")
struct EventLogTests {
    static let logger = TestDatabase.logger

    @Test("registry changes are published in order, and a reader sees exactly its grants")
    func publishedAndFiltered() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            try await ClaimRegistryTests.addOffices(db)
            _ = try await db.client.query("INSERT INTO tenants (id, kind, name) VALUES ('zrzy', 'department', '自然资源局')", logger: Self.logger)
            _ = try await ClaimRegistryTests.file(db, ClaimFiling(office: "360402", leadRef: "a", investorName: "九江恒通物流有限公司",
                                                                  investmentWan: 50_000, reportedAt: Date()))
            _ = try await ClaimRegistryTests.file(db, ClaimFiling(office: "360404", leadRef: "b", investorName: "九江恒达物流有限公司",
                                                                  investmentWan: 500, reportedAt: Date()))
            _ = try await ClaimLifecycleTests.stage(db, "360402", "a", .negotiating)
            _ = try await ClaimLifecycleTests.stage(db, "360402", "a", .signed)
            _ = try await ClaimLifecycleTests.stage(db, "360404", "b", .negotiating)

            let all = try await EventLog.read(after: 0, patterns: [TopicPattern("*")!], limit: 100, client: db.client, logger: Self.logger)
            // The small filing (500 万元) is below the publishing threshold.
            #expect(all.events.map(\.topic) == ["claim.filed", "stage.negotiating", "stage.signed", "stage.negotiating"])
            #expect(all.events.map(\.seq) == [1, 2, 3, 4])

            try await GrantStore.grant("zrzy", [TopicPattern("stage.signed")!], client: db.client, logger: Self.logger)
            var land = try await GrantStore.patterns(for: "zrzy", kind: .department, client: db.client, logger: Self.logger)
            let seen = try await EventLog.read(after: 0, patterns: land, limit: 100, client: db.client, logger: Self.logger)
            #expect(seen.events.map(\.topic) == ["stage.signed"])
            #expect(seen.events.first?.payload.contains("九江恒通物流有限公司") == true)
            #expect(seen.examinedThrough == 4)

            // A county reads only events about itself.
            let own = try await GrantStore.patterns(for: "360404", kind: .county, client: db.client, logger: Self.logger)
            let mine = try await EventLog.read(after: 0, patterns: own, limit: 100, client: db.client, logger: Self.logger)
            #expect(mine.events.allSatisfy { $0.county == "360404" } && mine.events.count == 1)

            // A revoked grant stops at the next read.
            try await GrantStore.revoke("zrzy", [TopicPattern("stage.signed")!], client: db.client, logger: Self.logger)
            land = try await GrantStore.patterns(for: "zrzy", kind: .department, client: db.client, logger: Self.logger)
            #expect(try await EventLog.read(after: 0, patterns: land, limit: 100, client: db.client, logger: Self.logger).events.isEmpty)
        }
    }

    @Test("a reader resuming from its cursor gets every later event once, across many")
    func resumeFromCursor() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            try await db.client.withTransaction(logger: Self.logger) { connection in
                for index in 0..<2_500 {
                    try await EventLog.append(topic: index % 2 == 0 ? "stage.signed" : "conflict.opened", county: "360402",
                                              payload: ["n": "\(index)"], on: connection, logger: Self.logger)
                }
            }
            let pattern = [TopicPattern("stage.*")!]
            var cursor: Int64 = 0
            var received: [Int64] = []
            while true {
                let page = try await EventLog.read(after: cursor, patterns: pattern, limit: 300, client: db.client, logger: Self.logger)
                received += page.events.map(\.seq)
                if page.events.isEmpty { break }
                cursor = page.events.last!.seq
            }
            #expect(received == Array(stride(from: 1, through: 2_500, by: 2)).map(Int64.init))
        }
    }
}
