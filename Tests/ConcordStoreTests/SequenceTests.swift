import Foundation
import PostgresNIO
import ConcordTestSupport
import Testing
@testable import ConcordStore

@Suite("Gap-free, commit-ordered sequences")
struct SequenceTests {
    /// The statement `Sequences.next` runs, sent through a transaction the test holds open.
    static let nextSQL = Sequences.nextQuery("log")

    @Test("the bigserial trap is real: a poller that trusts it skips a row that commits late")
    func bigserialSkipsRows() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            _ = try await db.client.query("CREATE TABLE naive (seq bigserial PRIMARY KEY)", logger: TestDatabase.logger)
            let early = OpenTransaction(db)
            let late = OpenTransaction(db)
            #expect(try await early.run("INSERT INTO naive DEFAULT VALUES RETURNING seq") == [1])
            #expect(try await late.run("INSERT INTO naive DEFAULT VALUES RETURNING seq") == [2])
            try await late.finish(commit: true)
            var last: Int64 = 0
            let firstPoll = try await committedSequences(db, table: "naive", after: last)
            #expect(firstPoll == [2])
            last = firstPoll.last ?? last
            try await early.finish(commit: true)
            // Row 1 is committed now, but a reader at "seq > 2" never sees it.
            #expect(try await committedSequences(db, table: "naive", after: last) == [])
        }
    }

    @Test("with Sequences a second writer waits, so a poller never skips a row")
    func sequencesCommitInOrder() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            _ = try await db.client.query("CREATE TABLE log (seq bigint PRIMARY KEY)", logger: TestDatabase.logger)
            let early = OpenTransaction(db)
            #expect(try await early.run(Self.nextSQL) == [1])
            _ = try await early.run("INSERT INTO log VALUES (1) RETURNING seq")

            let late = OpenTransaction(db)
            let lateDone = Flag()
            let lateNumber = Task {
                let number = try await late.run(Self.nextSQL)
                lateDone.set()
                return number
            }
            try await Task.sleep(for: .milliseconds(300))
            // The second writer is blocked on the counter row until the first one ends.
            #expect(!lateDone.isSet)
            #expect(try await committedSequences(db, table: "log", after: 0) == [])

            try await early.finish(commit: true)
            #expect(try await lateNumber.value == [2])
            _ = try await late.run("INSERT INTO log VALUES (2) RETURNING seq")
            var last: Int64 = 0
            let firstPoll = try await committedSequences(db, table: "log", after: last)
            #expect(firstPoll == [1])
            last = firstPoll.last ?? last
            try await late.finish(commit: true)
            #expect(try await committedSequences(db, table: "log", after: last) == [2])
        }
    }

    @Test("a rolled-back number is given back: no gap")
    func rollbackLeavesNoGap() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            let abandoned = OpenTransaction(db)
            #expect(try await abandoned.run(Self.nextSQL) == [1])
            try await abandoned.finish(commit: false)
            let next = try await db.client.withConnection { connection in
                try await Sequences.next("log", on: connection, logger: TestDatabase.logger)
            }
            #expect(next == 1)
        }
    }

    @Test("400 numbers taken by 8 concurrent writers are exactly 1…400")
    func concurrentWriters() async throws {
        try await TestDatabase.withMigratedDatabase { db in
            let numbers = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        var taken: [Int64] = []
                        for _ in 0..<50 {
                            taken.append(try await db.client.withTransaction(logger: TestDatabase.logger) { connection in
                                try await Sequences.next("burst", on: connection, logger: TestDatabase.logger)
                            })
                        }
                        return taken
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(numbers.sorted() == Array(1...400))
            let last = try await db.client.withConnection { try await Sequences.last("burst", on: $0, logger: TestDatabase.logger) }
            #expect(last == 400)
        }
    }
}

import Synchronization

final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// The JSON log lines: one object a line, metadata nested, nothing unescaped.
@Suite struct JSONLogLineTests {
    @Test func linesAreJSONWithNestedMetadata() throws {
        let line = JSONLogHandler.line(time: Date(timeIntervalSince1970: 0), level: .notice, label: "concord.hub",
                                       message: "hub link \"up\"\n濂溪区", source: "ConcordHub",
                                       metadata: ["tenant": "360402", "seq": .stringConvertible(42), "ids": ["a", "b"]])
        #expect(line.hasSuffix("}\n"))
        #expect(line.filter { $0 == "\n" }.count == 1, "one line, whatever the message holds")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["level"] as? String == "notice")
        #expect(object["message"] as? String == "hub link \"up\"\n濂溪区")
        #expect(object["seq"] == nil, "a log line never has the feed's top-level seq")
        let meta = try #require(object["meta"] as? [String: Any])
        #expect(meta["tenant"] as? String == "360402")
        #expect(meta["seq"] as? String == "42")
        #expect(meta["ids"] as? [String] == ["a", "b"])
        #expect((object["time"] as? String)?.hasPrefix("1970-01-01T00:00:00") == true)
    }
}
