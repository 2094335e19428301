import Foundation
import Logging
import PostgresNIO

/// One state-changing message waiting in an outbox.
public struct OutboxMessage: Sendable, Equatable {
    public let peer: String
    public let seq: Int64
    public let messageID: String
    public let type: String
    /// Frame 1 (the envelope JSON) as it is sent.
    public let envelope: String
}

/// The sending half of reliable delivery (schemas/PROTOCOL.md, section 4).
public enum Outbox {
    static func stream(_ peer: String) -> String { "outbox:" + peer }

    /// Takes the next `seq` for `peer` and stores the message built for it, inside the caller's
    /// transaction. `build` receives the seq and returns (message id, type, envelope JSON).
    @discardableResult
    public static func enqueue(peer: String, on connection: PostgresConnection, logger: Logger,
                               build: (Int64) -> (id: String, type: String, envelope: String)) async throws -> Int64 {
        let seq = try await Sequences.next(stream(peer), on: connection, logger: logger)
        let message = build(seq)
        try await connection.query("""
            INSERT INTO outbox (peer, seq, message_id, type, envelope)
            VALUES (\(peer), \(seq), \(message.id), \(message.type), \(message.envelope))
            """, logger: logger)
        return seq
    }

    /// One message to enqueue: its peer, and how to build it once its seq is known.
    public struct Pending {
        public let peer: String
        public let build: (Int64) -> (id: String, type: String, envelope: String)

        public init(peer: String, build: @escaping (Int64) -> (id: String, type: String, envelope: String)) {
            self.peer = peer
            self.build = build
        }
    }

    /// Enqueues many messages in two round trips, in the given order per peer, inside the caller's
    /// transaction: each peer's counter is advanced once by its count (rows locked in sorted order,
    /// held until commit, so the numbers stay gap-free and commit-ordered), then every row is
    /// inserted in one statement.
    public static func enqueue(_ messages: [Pending], on connection: PostgresConnection, logger: Logger) async throws {
        guard !messages.isEmpty else { return }
        var counts: [String: Int64] = [:]
        for message in messages { counts[message.peer, default: 0] += 1 }
        let streams = counts.keys.sorted()
        let reserved = try await connection.query("""
            INSERT INTO sequence_counters (stream, last)
            SELECT 'outbox:' || p, n FROM unnest(\(streams)::text[], \(streams.map { counts[$0]! })::bigint[]) WITH ORDINALITY AS u(p, n, o)
            ORDER BY o
            ON CONFLICT (stream) DO UPDATE SET last = sequence_counters.last + EXCLUDED.last
            RETURNING stream, last
            """, logger: logger)
        var next: [String: Int64] = [:]
        for try await (stream, last) in reserved.decode((String, Int64).self) {
            let peer = String(stream.dropFirst("outbox:".count))
            next[peer] = last - counts[peer]! + 1
        }
        var peers: [String] = [], seqs: [Int64] = [], ids: [String] = [], types: [String] = [], envelopes: [String] = []
        for message in messages {
            guard let seq = next[message.peer] else { throw StoreError(.migrationFailed, "发件箱序号缺失 (outbox seq missing)") }
            next[message.peer] = seq + 1
            let built = message.build(seq)
            peers.append(message.peer)
            seqs.append(seq)
            ids.append(built.id)
            types.append(built.type)
            envelopes.append(built.envelope)
        }
        try await connection.query("""
            INSERT INTO outbox (peer, seq, message_id, type, envelope)
            SELECT * FROM unnest(\(peers)::text[], \(seqs)::bigint[], \(ids)::text[], \(types)::text[], \(envelopes)::text[])
            """, logger: logger)
    }

    /// Unacknowledged messages for `peer` after `seq`, in order.
    public static func pending(peer: String, after seq: Int64, limit: Int, client: PostgresClient,
                               logger: Logger) async throws -> [OutboxMessage] {
        let rows = try await client.query("""
            SELECT seq, message_id, type, envelope FROM outbox
            WHERE peer = \(peer) AND seq > \(seq) AND acked_at IS NULL
            ORDER BY seq LIMIT \(limit)
            """, logger: logger)
        var messages: [OutboxMessage] = []
        for try await (seq, id, type, envelope) in rows.decode((Int64, String, String, String).self) {
            messages.append(OutboxMessage(peer: peer, seq: seq, messageID: id, type: type, envelope: envelope))
        }
        return messages
    }

    /// Marks everything up to `through` acknowledged. Returns how many rows changed.
    @discardableResult
    public static func acknowledge(peer: String, through: Int64, client: PostgresClient, logger: Logger) async throws -> Int {
        let rows = try await client.query("""
            WITH done AS (
                UPDATE outbox SET acked_at = now()
                WHERE peer = \(peer) AND seq <= \(through) AND acked_at IS NULL RETURNING 1
            ) SELECT count(*)::int FROM done
            """, logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    /// Unacknowledged messages per peer and the age of the oldest, for status and metrics.
    public static func depth(client: PostgresClient, logger: Logger) async throws -> [(peer: String, count: Int, oldestSeconds: Double)] {
        let rows = try await client.query("""
            SELECT peer, count(*)::int, extract(epoch FROM now() - min(created_at))::float8
            FROM outbox WHERE acked_at IS NULL GROUP BY peer ORDER BY peer
            """, logger: logger)
        var result: [(String, Int, Double)] = []
        for try await row in rows.decode((String, Int, Double).self) { result.append(row) }
        return result.map { (peer: $0.0, count: $0.1, oldestSeconds: $0.2) }
    }
}

/// What `Outbox.reconcile` found when a peer said how far it has applied this side's stream.
public enum Reconciliation: Sendable, Equatable {
    /// The peer's position is a message this side sent: everything up to it is acknowledged and
    /// `rewound` messages after it, acknowledged before but which the peer no longer has (its
    /// database was restored from an older backup), are sent again.
    case inStep(rewound: Int)
    /// The peer applied messages this side does not have, or other messages under the same
    /// numbers (this side's database was restored from an older backup). Every message the peer
    /// may lack — each unacknowledged one, and each numbered after the peer's position — was
    /// renumbered to follow it and is sent again; the receivers' handlers are idempotent by
    /// content, so one the peer had already applied changes nothing.
    case diverged(renumbered: Int)
}

extension Outbox {
    /// Brings the outbox to `peer` in line with where the peer says it is: it has applied this
    /// side's messages through `position`, the last being `lastID` (nil from a 1.0 peer, which then
    /// is only checked for a position past this side's numbering). One transaction, holding the
    /// stream's counter so that no message is enqueued meanwhile (schemas/PROTOCOL.md, section 4a).
    public static func reconcile(peer: String, position: Int64, lastID: String?, client: PostgresClient,
                                 logger: Logger) async throws -> Reconciliation {
        try await client.withTransaction(logger: logger) { connection in
            let stream = Outbox.stream(peer)
            try await connection.query("""
                INSERT INTO sequence_counters (stream, last) VALUES (\(stream), 0)
                ON CONFLICT (stream) DO UPDATE SET last = sequence_counters.last
                """, logger: logger)
            // This side's message at the peer's position, if it has one.
            var here: String?
            let found = try await connection.query(
                "SELECT message_id FROM outbox WHERE peer = \(peer) AND seq = \(position)", logger: logger)
            for try await id in found.decode(String.self) { here = id }
            let diverged = position > 0 && (here == nil || (lastID != nil && here != lastID))
            guard diverged else {
                let rows = try await connection.query("""
                    WITH rewound AS (
                        UPDATE outbox SET acked_at = NULL
                        WHERE peer = \(peer) AND seq > \(position) AND acked_at IS NOT NULL RETURNING 1
                    ) SELECT count(*)::int FROM rewound
                    """, logger: logger)
                var rewound = 0
                for try await count in rows.decode(Int.self) { rewound = count }
                try await connection.query("""
                    UPDATE outbox SET acked_at = now() WHERE peer = \(peer) AND seq <= \(position) AND acked_at IS NULL
                    """, logger: logger)
                return .inStep(rewound: rewound)
            }
            // Two steps, because a unique key is checked row by row: first out of the way (far
            // past any real number), then to position + 1, + 2, … in the old order. The seq in
            // each stored envelope is rewritten to match; ids stay.
            let away: Int64 = 1 << 52
            try await connection.query("""
                UPDATE outbox SET seq = seq + \(away), acked_at = NULL
                WHERE peer = \(peer) AND (acked_at IS NULL OR seq > \(position))
                """, logger: logger)
            let rows = try await connection.query("""
                WITH numbered AS (
                    SELECT seq AS old, \(position) + row_number() OVER (ORDER BY seq) AS new
                    FROM outbox WHERE peer = \(peer) AND seq > \(away)
                ), moved AS (
                    UPDATE outbox o SET seq = n.new, envelope = jsonb_set(o.envelope::jsonb, '{seq}', to_jsonb(n.new))::text
                    FROM numbered n WHERE o.peer = \(peer) AND o.seq = n.old RETURNING 1
                ) SELECT count(*)::int FROM moved
                """, logger: logger)
            var moved = 0
            for try await count in rows.decode(Int.self) { moved = count }
            try await connection.query(
                "UPDATE sequence_counters SET last = \(position + Int64(moved)) WHERE stream = \(stream)", logger: logger)
            return .diverged(renumbered: moved)
        }
    }
}

/// The receiving half: the per-sender high-water mark, read and advanced in the transaction that
/// applies a message, so a message is applied exactly once.
public enum Inbox {
    /// Locks `peer`'s row (creating it) and returns the highest seq applied so far.
    public static func lock(peer: String, on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        // One round trip: the upsert's DO UPDATE locks the latest version of the row, as FOR UPDATE
        // would, and returns it.
        let rows = try await connection.query("""
            INSERT INTO peer_inbox (peer) VALUES (\(peer))
            ON CONFLICT (peer) DO UPDATE SET peer = EXCLUDED.peer
            RETURNING applied_through
            """, logger: logger)
        for try await value in rows.decode(Int64.self) { return value }
        return 0
    }

    /// Locks several peers' rows (creating them) in sorted order, in one round trip; returns each
    /// one's highest applied seq.
    public static func lock(peers: [String], on connection: PostgresConnection, logger: Logger) async throws -> [String: Int64] {
        let sorted = Array(Set(peers)).sorted()
        let rows = try await connection.query("""
            INSERT INTO peer_inbox (peer) SELECT p FROM unnest(\(sorted)::text[]) WITH ORDINALITY AS u(p, o) ORDER BY o
            ON CONFLICT (peer) DO UPDATE SET peer = EXCLUDED.peer
            RETURNING peer, applied_through
            """, logger: logger)
        var marks: [String: Int64] = [:]
        for try await (peer, value) in rows.decode((String, Int64).self) { marks[peer] = value }
        return marks
    }

    /// Records several peers' new high-water marks, each with the id of the message applied at
    /// it, in one round trip.
    public static func advance(_ marks: [String: (seq: Int64, messageID: String?)], on connection: PostgresConnection,
                               logger: Logger) async throws {
        guard !marks.isEmpty else { return }
        let peers = marks.keys.sorted()
        try await connection.query("""
            UPDATE peer_inbox SET applied_through = u.seq, last_message_id = nullif(u.id, ''), updated_at = now()
            FROM unnest(\(peers)::text[], \(peers.map { marks[$0]!.seq })::bigint[], \(peers.map { marks[$0]!.messageID ?? "" })::text[])
                AS u(peer, seq, id)
            WHERE peer_inbox.peer = u.peer
            """, logger: logger)
    }

    public static func appliedThrough(peer: String, client: PostgresClient, logger: Logger) async throws -> Int64 {
        try await position(peer: peer, client: client, logger: logger).seq
    }

    /// The highest seq applied from `peer` and the id of the message applied at it (nil before
    /// revision 1.1 recorded ids, or when nothing was applied).
    public static func position(peer: String, client: PostgresClient, logger: Logger) async throws -> (seq: Int64, messageID: String?) {
        let rows = try await client.query(
            "SELECT applied_through, last_message_id FROM peer_inbox WHERE peer = \(peer)", logger: logger)
        for try await (seq, id) in rows.decode((Int64, String?).self) { return (seq, id) }
        return (0, nil)
    }
}

/// Where delivery stands with each peer, from this database's outbox and inbox (`concord status`).
public struct PeerDelivery: Sendable {
    public let peer: String
    /// Messages to the peer not yet acknowledged, and the oldest one's age in seconds.
    public let waiting: Int
    public let oldestWaitingSeconds: Double?
    /// The highest sequence number the peer acknowledged, and when the last acknowledgement came.
    public let ackedThrough: Int64
    public let lastAckAt: Date?
    /// The highest sequence number received from the peer and applied, and when.
    public let appliedThrough: Int64
    public let lastAppliedAt: Date?

    public static func all(client: PostgresClient, logger: Logger) async throws -> [PeerDelivery] {
        let rows = try await client.query("""
            WITH o AS (
                SELECT peer, count(*) FILTER (WHERE acked_at IS NULL)::int AS waiting,
                       extract(epoch FROM now() - min(created_at) FILTER (WHERE acked_at IS NULL))::float8 AS oldest,
                       coalesce(max(seq) FILTER (WHERE acked_at IS NOT NULL), 0)::int8 AS acked, max(acked_at) AS last_ack
                FROM outbox GROUP BY peer)
            SELECT coalesce(o.peer, i.peer), coalesce(o.waiting, 0), o.oldest, coalesce(o.acked, 0::int8), o.last_ack,
                   coalesce(i.applied_through, 0::int8), i.updated_at
            FROM o FULL JOIN peer_inbox i ON i.peer = o.peer ORDER BY 1
            """, logger: logger)
        var result: [PeerDelivery] = []
        for try await (peer, waiting, oldest, acked, lastAck, applied, lastApplied) in rows.decode(
            (String, Int, Double?, Int64, Date?, Int64, Date?).self) {
            result.append(PeerDelivery(peer: peer, waiting: waiting, oldestWaitingSeconds: oldest, ackedThrough: acked,
                                       lastAckAt: lastAck, appliedThrough: applied, lastAppliedAt: lastApplied))
        }
        return result
    }
}
