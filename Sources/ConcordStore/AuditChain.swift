import Crypto
import Foundation
import Logging
import PostgresNIO

/// The tamper-evident audit log: every check, claim, conflict and decision, hash-chained.
/// See schemas/0002_sequences_and_audit.sql for the exact hash definition.
public enum AuditChain {
    public struct Entry: Sendable, Equatable {
        /// Who acted: a tenant id from its CURVE key, or "cli:<user>" for a command run on the machine.
        public var actor: String
        /// What was done: "check", "claim", "conflict.opened", "decision" …
        public var action: String
        /// What it concerned: an enterprise key, a claim or conflict id.
        public var subject: String
        /// Details as a JSON object (text).
        public var detailJSON: String

        public init(actor: String, action: String, subject: String, detailJSON: String = "{}") {
            self.actor = actor
            self.action = action
            self.subject = subject
            self.detailJSON = detailJSON
        }
    }

    static let stream = "audit"

    /// Appends `entry` inside the caller's transaction; returns its sequence number. Appends are
    /// serialised by the stream's counter row, so each row links to the one committed before it.
    @discardableResult
    public static func append(_ entry: Entry, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        // One round trip: audit_chain_append (schemas/0012) takes the counter, then reads the
        // previous hash with a fresh snapshot and inserts the row.
        let rows = try await connection.query("""
            SELECT audit_chain_append(\(entry.actor), \(entry.action), \(entry.subject), \(entry.detailJSON)::jsonb)
            """, logger: logger)
        for try await seq in rows.decode(Int64.self) { return seq }
        throw StoreError(.migrationFailed, "审计链未返回序号 (audit_chain_append returned nothing)")
    }

    public enum Verification: Sendable, Equatable {
        /// Every row links to the one before and its hash is right. `head` is the last row's hash
        /// (hex): record it elsewhere to detect a later truncation of the tail.
        case intact(rows: Int64, head: String)
        /// The first row that does not fit: its sequence number and what is wrong.
        case broken(seq: Int64, problem: Problem)
    }

    public enum Problem: String, Sendable {
        /// The row's content does not hash to its stored hash: it was edited.
        case editedRow = "AUDIT_ROW_EDITED"
        /// The row does not link to the row before it, or numbers are missing: a row was deleted.
        case missingRow = "AUDIT_ROW_MISSING"

        public var explanation: String {
            switch self {
            case .editedRow: return "该行内容与其哈希不符：记录被修改过"
            case .missingRow: return "该行与前一行不相连（序号缺失或哈希不接续）：之前有记录被删除或替换"
            }
        }
    }

    /// Re-computes the chain in one ordered pass, every hash in Swift: the database is read for
    /// the rows only, never asked to hash or compare (its `audit_chain_hash` may have been replaced
    /// by whoever could edit the rows). The hash is the one schemas/0002 defines:
    /// sha256(prev_hash || "seq|recorded_at in µs|actor|action|subject|detail" as UTF-8).
    public static func verify(on connection: PostgresConnection, logger: Logger) async throws -> Verification {
        let rows = try await connection.query("""
            SELECT seq, (extract(epoch FROM recorded_at) * 1000000)::bigint, actor, action, subject, detail::text,
                   prev_hash, hash
            FROM audit_chain ORDER BY seq
            """, logger: logger)
        var count: Int64 = 0
        var previous = [UInt8](repeating: 0, count: 32)
        var expectedSeq: Int64 = 1
        for try await (seq, micros, actor, action, subject, detail, prevHash, hash)
            in rows.decode((Int64, Int64, String, String, String, String, ByteBuffer, ByteBuffer).self) {
            let prev = Array(prevHash.readableBytesView), stored = Array(hash.readableBytesView)
            if seq != expectedSeq || prev != previous { return .broken(seq: seq, problem: .missingRow) }
            if rowHash(prev: prev, seq: seq, micros: micros, actor: actor, action: action, subject: subject, detail: detail) != stored {
                return .broken(seq: seq, problem: .editedRow)
            }
            count += 1
            expectedSeq = seq + 1
            previous = stored
        }
        return .intact(rows: count, head: previous.map { String(format: "%02x", $0) }.joined())
    }

    static func rowHash(prev: [UInt8], seq: Int64, micros: Int64, actor: String, action: String, subject: String, detail: String) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: prev)
        hasher.update(data: Array("\(seq)|\(micros)|\(actor)|\(action)|\(subject)|\(detail)".utf8))
        return Array(hasher.finalize())
    }
}

extension AuditChain {
    /// The rows of `actions` recorded since `since`, oldest first: (actor, action, recorded_at).
    /// What in-memory limits read back at start, so a restart does not clear them.
    public static func recent(_ actions: [String], since: Date, client: PostgresClient, logger: Logger) async throws
        -> [(actor: String, action: String, at: Date)] {
        let rows = try await client.query("""
            SELECT actor, action, recorded_at FROM audit_chain
            WHERE action = ANY(\(actions)) AND recorded_at >= \(since) ORDER BY seq
            """, logger: logger)
        var found: [(actor: String, action: String, at: Date)] = []
        for try await (actor, action, at) in rows.decode((String, String, Date).self) { found.append((actor, action, at)) }
        return found
    }
}
