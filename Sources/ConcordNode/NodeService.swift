import ConcordDomain
import ConcordProtocol
import ConcordStore
import Foundation
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle
import Synchronization
import ZeroMQ

/// `concord node run`: keeps the office's outbox flowing to the hub and applies the hub's
/// decisions to the office's leads, exactly once, in order (schemas/PROTOCOL.md, sections 4 and 6).
/// Officers' commands write leads and outbox rows to the database; this service only moves them.
public final class NodeService: Service, Sendable {
    let configuration: NodeConfiguration
    let database: Database
    let logger: Logger
    let state = Mutex(LinkRuntime(connectedAt: .now))
    /// Which of the configured hub endpoints the next connection uses.
    let attempts = Mutex(0)

    struct LinkRuntime {
        var connectedAt: ContinuousClock.Instant
        var up = false
        var lastHeard: ContinuousClock.Instant?
        var lastSent: ContinuousClock.Instant?
        var lastHello: ContinuousClock.Instant?
        var lastResend: ContinuousClock.Instant?
        var sentThrough: Int64 = 0
        /// The hub's last acknowledgement on this connection.
        var ackedThrough: Int64 = 0
        var pendingHello: String?
        /// The id of the `claims.resync` sent after a restore was found, until the hub takes it;
        /// refused for a passing reason (busy, database down) it is sent again a minute later.
        var resync: (id: String, sentAt: ContinuousClock.Instant, retry: Bool)?
    }

    /// At most this many outbox rows in flight (sent, not yet acknowledged): each acknowledgement
    /// sends the next ones at once, so a backlog drains as fast as the hub applies it, and a slow
    /// hub is not buried under more than its receive queue holds.
    static let sendWindow: Int64 = 1_024

    /// Sent in hello; `protocol/1.1` tells the hub this node speaks revision 1.1.
    public static let version = "concord/0.2 protocol/\(ProtocolRevision.current.name)"

    public init(configuration: NodeConfiguration, database: Database, logger: Logger) {
        self.configuration = configuration
        self.database = database
        self.logger = logger
    }

    public var isLinkUp: Bool { state.withLock { $0.up } }

    /// One connection at a time (the zguide's Lazy Pirate): when the hub stays silent (no welcome
    /// while greeting, or nothing heard while up) the socket is closed and a fresh one connects, so
    /// a refused handshake or a half-open TCP connection never leaves the node stuck.
    public func run() async throws {
        let context = try Context()
        defer { context.terminate() }
        try await recordLink(up: false)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let loop = try await connect(context)
            state.withLock { runtime in
                // A claims.resync not yet answered is asked again on the new connection.
                let resync = runtime.resync.map { (id: $0.id, sentAt: $0.sentAt, retry: true) }
                runtime = LinkRuntime(connectedAt: .now)
                runtime.resync = resync
            }
            await withDiscardingTaskGroup { group in
                group.addTask {
                    await self.tick(loop)
                    await loop.shutdown()
                }
                for await received in loop.inbound.cancelOnGracefulShutdown() {
                    await self.handle(received, loop: loop)
                }
                group.cancelAll()
            }
            await loop.shutdown()
            if state.withLock({ $0.up }) {
                state.withLock { $0.up = false }
                try? await recordLink(up: false)
            }
        }
        try? await recordLink(up: false)
    }

    /// Each new connection goes to the next configured endpoint: after the hub's machine is lost and
    /// a standby promoted, the node finds it within one silence period per endpoint.
    func connect(_ context: Context) async throws -> SocketLoop {
        let configuration = self.configuration
        let endpoints = configuration.hubEndpoints
        let endpoint = attempts.withLock { attempt in
            defer { attempt += 1 }
            return endpoints[attempt % endpoints.count]
        }
        if endpoints.count > 1 { logger.notice("connecting to the hub", metadata: ["endpoint": "\(endpoint)"]) }
        return try await SocketLoop.start(context: context, configuration: .init(name: "concord-node")) { context in
            let socket = try Socket(context: context, type: .dealer)
            try socket.set(.maxMessageSize, Limits.maxSocketMessageBytes)
            try socket.set(.reconnectInterval, 500)
            try socket.set(.reconnectIntervalMax, 5_000)
            try socket.set(.sendHighWaterMark, 10_000)
            try socket.makeCurveClient(keyPair: configuration.keys, serverPublicKey: configuration.hubPublicKey)
            try socket.connect(endpoint)
            return [socket]
        }
    }

    /// Every 200 ms: greet while not up, heartbeat when idle, send new outbox rows, resend what waits
    /// too long. Returns when this connection should be replaced (silence) or the node stops.
    func tick(_ loop: SocketLoop) async {
        let heartbeat = Duration.seconds(configuration.heartbeatSeconds)
        let silence = heartbeat * 3
        let resend = Duration.seconds(configuration.resendSeconds)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do { try await Task.sleep(for: .milliseconds(200)) } catch { return }
            let now = ContinuousClock.now
            let snapshot = state.withLock { $0 }
            if snapshot.up, let heard = snapshot.lastHeard, now - heard > silence {
                logger.warning("hub link down: nothing heard", metadata: ["seconds": "\(silence)"])
                Counter(label: "concord_link_down_total").increment()
                state.withLock { $0.up = false }
                try? await recordLink(up: false)
                return
            }
            if !snapshot.up {
                if now - snapshot.connectedAt > silence {
                    logger.notice("no welcome from the hub; reconnecting")
                    return
                }
                if snapshot.lastHello.map({ now - $0 >= heartbeat }) ?? true { await sendHello(loop) }
                continue
            }
            if let resync = snapshot.resync, resync.retry, now - resync.sentAt >= .seconds(60) { await requestResync(loop) }
            if snapshot.lastSent.map({ now - $0 >= heartbeat }) ?? true {
                await send(Envelope(payload: .heartbeat), loop: loop)
            }
            let resendAll = snapshot.lastResend.map { now - $0 >= resend } ?? true
            await flush(loop, resendAll: resendAll)
        }
    }

    func sendHello(_ loop: SocketLoop) async {
        do {
            let received = try await Inbox.position(peer: LeadBook.hubPeer, client: database.client, logger: logger)
            let hello = Envelope(payload: .hello(Hello(nodeVersion: Self.version, receivedThrough: received.seq,
                                                       lastMessageID: received.messageID)))
            state.withLock { $0.lastHello = .now; $0.pendingHello = hello.id }
            await send(hello, loop: loop)
        } catch {
            logger.warning("could not read the inbox", metadata: ["error": "\(error)"])
        }
    }

    /// Asks the hub for the office's claims back (schemas/PROTOCOL.md, section 4a).
    func requestResync(_ loop: SocketLoop) async {
        let request = Envelope(payload: .resync)
        state.withLock { $0.resync = (request.id, .now, false) }
        await send(request, loop: loop)
    }

    func send(_ envelope: Envelope, loop: SocketLoop) async {
        do {
            try loop.post(Message(frames: envelope.frames()), on: loop.socketIDs[0])
            state.withLock { $0.lastSent = .now }
            WireMetrics.sent(envelope.payload.type.rawValue)
        } catch {
            logger.debug("send failed", metadata: ["error": "\(error)"])
        }
    }

    /// Sends outbox rows not yet sent on this connection, or every unacknowledged one.
    func flush(_ loop: SocketLoop, resendAll: Bool) async {
        let (sent, acked) = state.withLock { ($0.sentThrough, $0.ackedThrough) }
        let after = resendAll ? 0 : sent
        let room = resendAll ? 256 : Int(min(256, Self.sendWindow - max(0, sent - acked)))
        guard room > 0 else { return }
        do {
            let pending = try await Outbox.pending(peer: LeadBook.hubPeer, after: after, limit: room,
                                                   client: database.client, logger: logger)
            for message in pending {
                try loop.post(Message(frames: [Array(Wire.signature.utf8), Array(message.envelope.utf8)]), on: loop.socketIDs[0])
                WireMetrics.sent(message.type)
            }
            if resendAll { WireMetrics.resent(LeadBook.hubPeer, count: pending.filter { $0.seq <= sent }.count) }
            state.withLock { s in
                if let last = pending.last?.seq { s.sentThrough = max(s.sentThrough, last); s.lastSent = .now }
                if resendAll { s.lastResend = .now }
            }
        } catch {
            logger.warning("could not send the outbox", metadata: ["error": "\(error)"])
        }
    }

    func handle(_ received: SocketLoop.Received, loop: SocketLoop) async {
        state.withLock { $0.lastHeard = .now }
        let envelope: Envelope
        switch Envelope.decode(received.message.frames) {
        case .failure(let failure):
            logger.warning("refused a message from the hub", metadata: ["code": "\(failure.error.code.rawValue)",
                                                                         "detail": "\(failure.error.detail)", "seq": "\(failure.seq ?? 0)"])
            await send(Envelope(re: failure.id, payload: .error(ErrorBody(failure.error))), loop: loop)
            if let seq = failure.seq {
                // A state-changing message this node can never apply: its seq is used up (audited
                // here), so the hub's stream goes on instead of resending it forever.
                let (logger, error) = (self.logger, failure.error)
                await applyInOrder(seq: seq, id: failure.id ?? "", loop: loop, what: "a refused message") { connection in
                    try await AuditChain.append(.init(actor: "hub", action: "hub.message.refused", subject: "seq:\(seq)",
                                                      detailJSON: auditDetail(["code": error.code.rawValue, "detail": error.detail])),
                                                on: connection, logger: logger)
                }
            }
            return
        case .success(let decoded):
            envelope = decoded
        }
        WireMetrics.received(envelope.payload.type.rawValue)
        switch envelope.payload {
        case .welcome(let welcome):
            guard welcome.tenant == configuration.tenant else {
                logger.error("the hub knows this key as another tenant", metadata: ["tenant": "\(welcome.tenant)"])
                return
            }
            do {
                // The hub says how far it has applied this office's stream: after a restore of
                // either database the two numberings are brought back in line first.
                let found = try await Outbox.reconcile(peer: LeadBook.hubPeer, position: welcome.appliedThrough,
                                                       lastID: welcome.lastMessageID, client: database.client, logger: logger)
                switch found {
                case .inStep(let rewound) where rewound > 0:
                    logger.warning("the hub lacks messages it had acknowledged (its database was restored); sending them again",
                                   metadata: ["applied_through": "\(welcome.appliedThrough)", "count": "\(rewound)"])
                case .diverged(let renumbered):
                    // The hub applied messages this database lacks: it was restored from an older
                    // backup. What waits is renumbered after them; the leads filed since the backup
                    // come back from the hub's registry.
                    logger.warning("the hub applied messages this database lacks (restored from a backup); renumbered the waiting ones and asked for the office's claims",
                                   metadata: ["applied_through": "\(welcome.appliedThrough)", "count": "\(renumbered)"])
                    await requestResync(loop)
                default:
                    break
                }
                state.withLock { s in
                    s.up = true
                    s.sentThrough = welcome.appliedThrough
                    s.ackedThrough = welcome.appliedThrough
                    s.pendingHello = nil
                    s.lastResend = .now
                }
                try await recordLink(up: true)
                logger.info("hub link up", metadata: ["applied_through": "\(welcome.appliedThrough)"])
                await flush(loop, resendAll: false)
            } catch {
                logger.warning("could not record the welcome", metadata: ["error": "\(error)"])
            }
        case .ack(let ack):
            _ = try? await Outbox.acknowledge(peer: LeadBook.hubPeer, through: ack.through, client: database.client, logger: logger)
            state.withLock { $0.ackedThrough = max($0.ackedThrough, ack.through) }
            await flush(loop, resendAll: false)
        case .heartbeat:
            break
        case .claimStatus(let status):
            await apply(status, seq: envelope.seq ?? 0, id: envelope.id, loop: loop)
        case .assignmentOffer(let offer):
            await apply(offer, seq: envelope.seq ?? 0, id: envelope.id, loop: loop)
        case .error(let body) where envelope.re != nil && envelope.re == state.withLock({ $0.resync?.id }):
            if body.code == ProtocolError.Code.unknownType.rawValue {
                logger.warning("the hub does not speak protocol 1.1: leads filed after the backup stay at the hub only")
                state.withLock { $0.resync = nil }
            } else {
                logger.warning("the hub could not send the claims back yet; asking again in a minute", metadata: ["code": "\(body.code)"])
                state.withLock { $0.resync?.retry = true }
            }
        case .error(let body):
            logger.warning("the hub refused a message", metadata: ["code": "\(body.code)", "detail": "\(body.detail)", "re": "\(envelope.re ?? "")"])
            if let re = envelope.re { await recordRefusal(body, of: re) }
        case .opinionNotice(let notice):
            await apply(notice, seq: envelope.seq ?? 0, id: envelope.id, loop: loop)
        case .reviewStatus(let status):
            await apply(status, seq: envelope.seq ?? 0, id: envelope.id, loop: loop)
        case .claimRestore(let restore):
            state.withLock { $0.resync = nil }
            await apply(restore, seq: envelope.seq ?? 0, id: envelope.id, loop: loop)
        case .feedBatch:
            break
        default:
            await send(Envelope(re: envelope.id, payload: .error(ErrorBody(ProtocolError(.notAllowed, "not sent to a node")))), loop: loop)
        }
    }

    /// Applies one state-changing message from the hub exactly once, in order: `change` and the new
    /// high-water mark commit together; a repeat or a gap changes nothing; the ack says where we are.
    func applyInOrder(seq: Int64, id: String, loop: SocketLoop, what: String,
                      _ change: @escaping @Sendable (PostgresConnection) async throws -> Void) async {
        let logger = self.logger
        do {
            let through = try await database.client.withTransaction(logger: logger) { connection -> Int64 in
                let hwm = try await Inbox.lock(peer: LeadBook.hubPeer, on: connection, logger: logger)
                guard seq == hwm + 1 else { return hwm }
                try await change(connection)
                try await Inbox.advance([LeadBook.hubPeer: (seq, id)], on: connection, logger: logger)
                return seq
            }
            await send(Envelope(payload: .ack(Ack(through: through))), loop: loop)
        } catch {
            logger.warning("could not apply \(what)", metadata: ["seq": "\(seq)", "error": "\(error)"])
        }
    }

    /// The hub's decision about one of the office's claims, onto the lead.
    func apply(_ status: ClaimStatus, seq: Int64, id: String, loop: SocketLoop) async {
        let logger = self.logger
        let detail = String(decoding: Envelope(seq: seq, payload: .claimStatus(status)).frames()[1], as: UTF8.self)
        await applyInOrder(seq: seq, id: id, loop: loop, what: "a claim status") { connection in
            guard let id = UUID(uuidString: status.leadRef) else { return }
            try await connection.query("""
                UPDATE leads SET claim_status = \(status.status.rawValue),
                    claim_detail = (\(detail)::jsonb) -> 'body', claim_updated_at = now()
                WHERE id = \(id)
                """, logger: logger)
        }
    }

    /// A city lead offered to the office.
    func apply(_ offer: AssignmentOffer, seq: Int64, id: String, loop: SocketLoop) async {
        let logger = self.logger
        await applyInOrder(seq: seq, id: id, loop: loop, what: "an assignment") { connection in
            guard let lead = UUID(uuidString: offer.cityLead) else { return }
            try await connection.query("""
                INSERT INTO node_assignments (id, city_lead, investor_name, credit_code, project_name, industry,
                    investment_wan, land_mu, note, explanation, offered_at, respond_by, assess_by)
                VALUES (\(offer.assignmentID), \(lead), \(offer.investorName), \(offer.creditCode), \(offer.projectName),
                    \(offer.industry), \(offer.investmentWan), \(offer.landMu), \(offer.note), \(offer.explanation),
                    \(offer.offeredAt)::timestamptz, \(offer.respondBy)::timestamptz, \(offer.assessBy)::timestamptz)
                ON CONFLICT (id) DO NOTHING
                """, logger: logger)
        }
    }

    /// A department's opinion on one of the office's leads.
    func apply(_ notice: OpinionNotice, seq: Int64, id: String, loop: SocketLoop) async {
        let logger = self.logger
        await applyInOrder(seq: seq, id: id, loop: loop, what: "an opinion") { connection in
            guard let lead = UUID(uuidString: notice.leadRef), let id = UUID(uuidString: notice.opinionID) else { return }
            try await connection.query("""
                INSERT INTO lead_opinions (id, lead_id, department, verdict, text, conditions, given_at)
                VALUES (\(id), \(lead), \(notice.departmentName), \(notice.verdict.rawValue), \(notice.text),
                        \(notice.conditions), \(notice.givenAt)::timestamptz)
                ON CONFLICT (id) DO NOTHING
                """, logger: logger)
        }
    }

    /// The combined review status of one of the office's leads: replaces the previous one whole.
    func apply(_ status: ReviewStatusNotice, seq: Int64, id: String, loop: SocketLoop) async {
        let logger = self.logger
        await applyInOrder(seq: seq, id: id, loop: loop, what: "a review status") { connection in
            guard let lead = UUID(uuidString: status.leadRef) else { return }
            try await connection.query("DELETE FROM lead_reviews WHERE lead_id = \(lead)", logger: logger)
            for entry in status.departments {
                try await connection.query("""
                    INSERT INTO lead_reviews (lead_id, department, department_name, since, answered_at, verdict)
                    VALUES (\(lead), \(entry.department), \(entry.departmentName), \(entry.since)::timestamptz,
                            \(entry.answeredAt)::timestamptz, \(entry.verdict?.rawValue))
                    ON CONFLICT DO NOTHING
                    """, logger: logger)
            }
        }
    }

    /// One of the office's claims as the hub holds it (after `claims.resync`): a lead this
    /// database lacks is added back with the hub's fields, stage and status; a lead it has takes
    /// the hub's stage only when no stage change of its own still waits in the outbox.
    func apply(_ restore: ClaimRestore, seq: Int64, id: String, loop: SocketLoop) async {
        let logger = self.logger
        await applyInOrder(seq: seq, id: id, loop: loop, what: "a restored claim") { connection in
            let claim = restore.claim
            guard let lead = UUID(uuidString: claim.leadRef) else { return }
            let inserted = try await connection.query("""
                INSERT INTO leads (id, investor_name, credit_code, project_name, industry, investment_wan, stage, filed_at,
                                   claim_status, claim_updated_at, notes)
                VALUES (\(lead), \(claim.investorName), \(claim.creditCode), \(claim.projectName), \(claim.industry),
                        \(claim.investmentWan), \(claim.stage), \(claim.reportedAt)::timestamptz, \(restore.status), now(),
                        '从市协同中心恢复（本地数据库自备份恢复后）')
                ON CONFLICT (id) DO NOTHING RETURNING 1
                """, logger: logger)
            var added = false
            for try await _ in inserted.decode(Int.self) { added = true }
            if added {
                try await connection.query("""
                    INSERT INTO lead_stage_history (lead_id, stage, changed_at, changed_by)
                    VALUES (\(lead), \(claim.stage), \(claim.reportedAt)::timestamptz, 'hub:restore')
                    """, logger: logger)
                try await AuditChain.append(.init(actor: "hub", action: "lead.restored", subject: "lead:\(claim.leadRef)",
                                                  detailJSON: auditDetail(["investor_name": claim.investorName, "stage": claim.stage])),
                                            on: connection, logger: logger)
                return
            }
            let changed = try await connection.query("""
                UPDATE leads SET stage = \(claim.stage) WHERE id = \(lead) AND stage <> \(claim.stage)
                  AND NOT EXISTS (SELECT 1 FROM outbox WHERE peer = \(LeadBook.hubPeer) AND acked_at IS NULL AND type = 'lead.stage'
                                  AND envelope::jsonb -> 'body' ->> 'lead_ref' = \(claim.leadRef))
                RETURNING 1
                """, logger: logger)
            for try await _ in changed.decode(Int.self) {
                try await connection.query("""
                    INSERT INTO lead_stage_history (lead_id, stage, changed_at, changed_by)
                    VALUES (\(lead), \(claim.stage), now(), 'hub:restore') ON CONFLICT DO NOTHING
                    """, logger: logger)
            }
        }
    }

    /// The hub refused one of this office's state-changing messages for good (its seq is used up:
    /// schemas/PROTOCOL.md, section 7): the lead says so (「协同中心未接受：…」) until a later change
    /// is accepted, a refused stage change is undone here so both sides show the same stage, and
    /// the refusal is audited. Passing refusals (busy, not greeted yet) are resent, not recorded.
    func recordRefusal(_ body: ErrorBody, of messageID: String) async {
        let final = [ProtocolError.Code.stageRefused, .dateOutOfRange, .notAllowed, .invalidField, .badBody].map(\.rawValue)
        guard final.contains(body.code) else { return }
        let logger = self.logger
        do {
            try await database.client.withTransaction(logger: logger) { connection in
                var sent: String?
                let rows = try await connection.query(
                    "SELECT envelope FROM outbox WHERE peer = \(LeadBook.hubPeer) AND message_id = \(messageID)", logger: logger)
                for try await envelope in rows.decode(String.self) { sent = envelope }
                guard let sent, case .success(let original) = Envelope.decode([Array(Wire.signature.utf8), Array(sent.utf8)]) else { return }
                let leadRef: String
                var refused: (stage: String, at: Date)?
                switch original.payload {
                case .claimFile(let file): leadRef = file.leadRef
                case .leadStage(let change):
                    leadRef = change.leadRef
                    refused = Timestamp.parse(change.changedAt).map { (change.stage, $0) }
                default: return
                }
                guard let lead = UUID(uuidString: leadRef) else { return }
                // The lead is locked first: an officer's change and this undo never interleave.
                var exists = false
                for try await _ in try await connection.query("SELECT 1 FROM leads WHERE id = \(lead) FOR UPDATE", logger: logger).decode(Int.self) {
                    exists = true
                }
                guard exists else { return }
                // The rule's own code leads the detail of a STAGE_REFUSED ("STAGE_SKIPPED: …").
                var (code, text) = (body.code, body.message + "：" + body.detail)
                if body.code == ProtocolError.Code.stageRefused.rawValue || body.code == ProtocolError.Code.dateOutOfRange.rawValue,
                   let colon = body.detail.firstIndex(of: ":") {
                    code = String(body.detail[..<colon])
                    text = body.detail[body.detail.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                try await connection.query("""
                    UPDATE leads SET hub_refusal = \(text), hub_refusal_code = \(code), hub_refusal_at = now() WHERE id = \(lead)
                    """, logger: logger)
                if let refused {
                    // The refused step leaves the history (its row, by stage and time), and the lead
                    // takes the newest step that remains: several refused steps in a row all unwind,
                    // in whatever order their refusals arrive, back to what the hub holds.
                    try await connection.query("""
                        DELETE FROM lead_stage_history WHERE lead_id = \(lead) AND stage = \(refused.stage)
                          AND changed_at BETWEEN \(refused.at.addingTimeInterval(-1)) AND \(refused.at.addingTimeInterval(1))
                        """, logger: logger)
                    try await connection.query("""
                        UPDATE leads SET stage = h.stage FROM (
                            SELECT stage FROM lead_stage_history WHERE lead_id = \(lead) ORDER BY changed_at DESC LIMIT 1) h
                        WHERE leads.id = \(lead)
                        """, logger: logger)
                }
                try await AuditChain.append(.init(actor: "hub", action: "hub.refused", subject: "lead:\(leadRef)",
                                                  detailJSON: auditDetail(["code": code, "type": original.payload.type.rawValue,
                                                                           "stage": refused?.stage ?? ""])),
                                            on: connection, logger: logger)
            }
        } catch {
            logger.warning("could not record the hub's refusal", metadata: ["error": "\(error)"])
        }
    }

    func recordLink(up: Bool) async throws {
        Gauge(label: "concord_link_up").record(up ? 1 : 0)
        let state = up ? "up" : "down"
        try await database.client.query("""
            INSERT INTO node_link (singleton, state, since, last_heard) VALUES (true, \(state), now(), CASE WHEN \(up) THEN now() END)
            ON CONFLICT (singleton) DO UPDATE SET
                since = CASE WHEN node_link.state = EXCLUDED.state THEN node_link.since ELSE now() END,
                state = EXCLUDED.state,
                last_heard = coalesce(EXCLUDED.last_heard, node_link.last_heard)
            """, logger: logger)
    }
}
