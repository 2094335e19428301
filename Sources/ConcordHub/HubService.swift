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

/// The city hub: authenticates offices by key, applies their filings and stage changes exactly
/// once, in order, and delivers the registry's decisions back through a durable outbox
/// (schemas/PROTOCOL.md).
public final class HubService: Service, Sendable {
    let configuration: HubConfiguration
    let database: Database
    let logger: Logger
    let registry: ClaimRegistry
    let keys: KeyRegistry
    let peers = Mutex<[String: PeerState]>([:])
    let buckets = Mutex<[String: TokenBucket]>([:])
    /// Every tenant's message budget, and when it was last told it exceeded it.
    let traffic = Mutex<[String: (bucket: TokenBucket, refusedAt: ContinuousClock.Instant?)]>([:])
    /// Tenants with a feed.fetch being served (one at a time each, so waiting fetches stay bounded).
    let fetching = Mutex<Set<String>>([])
    /// The county offices that said hello since this process started. Until one does, the hub
    /// knows nothing of how far it has applied the hub's stream: the hub's database may have been
    /// restored, and its numbering be behind. So nothing is sent to it, its acknowledgements are
    /// not taken, and its heartbeats are not answered — the node then finds the link silent,
    /// connects again and says hello (a node whose socket reconnected by itself would otherwise
    /// never do so).
    let greeted = Mutex<Set<String>>([])
    /// When each office last asked for its claims back: once a minute at most, since each ask
    /// queues a message per claim.
    let resyncs = Mutex<[String: ContinuousClock.Instant]>([:])
    /// The protocol revision each office announced in its last hello (what it can decode).
    let spoken = Mutex<[String: ProtocolRevision]>([:])
    /// Counties with an accepted override dispatch whose filing has not come (loaded at start).
    let overridesWaiting = Mutex<Set<String>>([])
    /// What the receive loop is doing and since when; `maintain` logs it when it takes over 10 s:
    /// one call that never returns stalls every office, and must not do so without a word.
    let busy = Mutex<(what: StaticString, since: ContinuousClock.Instant)?>(nil)
    /// Keys whose refusal was already logged and audited by this process (once each, so an old
    /// key's traffic does not flood the log or the chain).
    let refusedKeys = Mutex<Set<Identity>>([])
    /// Each office's hello budget (five a second) and each department's opinion.add budget
    /// (twenty a second): the costly kinds, limited before their database work.
    let helloBuckets = Mutex<[String: TokenBucket]>([:])
    let opinionBuckets = Mutex<[String: TokenBucket]>([:])
    /// Signalled after this process commits changes that may have appended events, so waiting
    /// feed fetches answer at once (events written by other processes are found by the poll).
    let newEvents = Wakeup()
    let onReady: @Sendable (String) -> Void
    /// The hub's clock for protection windows; injected so tests can move time.
    let now: @Sendable () -> Date
    /// The protocol revision spoken: the current one, or 1.0 to stand in for an older hub in
    /// the compatibility tests (its message set, and hello answered as 1.0 did).
    let revision: ProtocolRevision

    struct PeerState {
        /// The key the connection was authenticated with: once it is no longer the tenant's
        /// current key, the peer is dropped and nothing more is sent to it.
        var key: String
        var routingID: [UInt8]
        /// The socket the peer's last message came in on (two during a change of the hub's key).
        var socket: SocketLoop.SocketID
        var lastHeard: ContinuousClock.Instant
        /// Outbox messages up to here were sent on the current connection.
        var sentThrough: Int64
        /// The peer's last acknowledgement, and when it last moved forward.
        var ackedThrough: Int64 = 0
        var ackMovedAt: ContinuousClock.Instant = .now
        /// A hello is being handled: its reconciliation may renumber the outbox, so nothing is
        /// sent to the peer until it is done.
        var reconciling = false

        /// Sent messages wait unacknowledged, and the peer has acknowledged nothing for `seconds`:
        /// they may have been lost (a reconnect libzmq made without a new hello), so send them again.
        /// A peer that is acknowledging, only slowly, is not resent to: that would add to its backlog.
        func needsResend(after seconds: Int, now: ContinuousClock.Instant) -> Bool {
            sentThrough > ackedThrough && ackMovedAt.duration(to: now) >= .seconds(seconds)
        }
    }

    /// `onReady` receives the endpoint actually bound (useful with `tcp://127.0.0.1:*`).
    public init(configuration: HubConfiguration, database: Database, logger: Logger,
                now: @escaping @Sendable () -> Date = { Date() }, revision: ProtocolRevision = .current,
                onReady: @escaping @Sendable (String) -> Void = { _ in }) {
        self.now = now
        self.revision = revision
        self.configuration = configuration
        self.database = database
        self.logger = logger
        self.registry = ClaimRegistry(logger: logger)
        self.keys = KeyRegistry(logger: logger)
        self.onReady = onReady
    }

    public func run() async throws {
        let context = try Context()
        try await keys.reload(client: database.client)
        try await seedCheckBudgets()
        let waiting = try await DispatchDesk(logger: logger).countiesAwaitingOverrideFiling(client: database.client)
        overridesWaiting.withLock { $0 = waiting }
        let zap = try await ZAPHandler.start(context: context, authorizer: keys)
        let bound = Mutex("")
        let configuration = self.configuration
        let loop: SocketLoop
        do {
            loop = try await SocketLoop.start(context: context, configuration: .init(name: "concord-hub", inboundCapacity: 4096)) { context in
                func router(secretKey: String, bind: String) throws -> Socket {
                    let socket = try Socket(context: context, type: .router)
                    try socket.set(.maxMessageSize, Limits.maxSocketMessageBytes)
                    try socket.set(.sendHighWaterMark, 10_000)
                    try socket.set(.receiveHighWaterMark, 10_000)
                    try socket.makeCurveServer(secretKey: secretKey, domain: "concord")
                    try socket.bind(bind)
                    return socket
                }
                let socket = try router(secretKey: configuration.keys.secretKey, bind: configuration.bind)
                bound.withLock { $0 = (try? socket.lastEndpoint) ?? configuration.bind }
                guard let previous = configuration.previous else { return [socket] }
                // The previous key on its previous address, during a key change: the same ZAP
                // domain, so the same registered offices; replies go back on the socket a peer used.
                return [socket, try router(secretKey: previous.keys.secretKey, bind: previous.bind)]
            }
        } catch {
            await zap.stop()
            context.terminate()
            throw error
        }
        let endpoint = bound.withLock { $0 }
        logger.info("hub listening", metadata: ["endpoint": "\(endpoint)"])
        if let previous = configuration.previous {
            logger.notice("also serving the previous hub key until the key change is finished",
                          metadata: ["endpoint": "\(previous.bind)", "previous_public_key": "\(previous.keys.publicKey)"])
        }
        onReady(endpoint)

        await withDiscardingTaskGroup { group in
            group.addTask { await self.maintain(loop) }
            // Taken in turn per sender: one office's flood does not queue every other office behind it.
            let inbox = FairInbox(perSenderLimit: 2_048)
            group.addTask { await inbox.feed(from: loop.inbound.cancelOnGracefulShutdown()) }
            var carried: Incoming?
            while true {
                let incoming: Incoming
                if let next = carried {
                    incoming = next
                    carried = nil
                } else {
                    guard let received = await inbox.next() else { break }
                    guard let prepared = await working("prepare", { await prepare(received, loop: loop) }) else { continue }
                    incoming = prepared
                }
                guard incoming.isApplied else {
                    await working("dispatch", { await dispatch(incoming, loop: loop) })
                    continue
                }
                // A run of state-changing messages already waiting goes into one transaction; the
                // first message of another kind ends the run and is handled next, so order holds.
                var batch = [incoming]
                while batch.count < configuration.applyBatch, let received = inbox.tryNext() {
                    guard let prepared = await working("prepare", { await prepare(received, loop: loop) }) else { continue }
                    if prepared.isApplied {
                        batch.append(prepared)
                    } else {
                        carried = prepared
                        break
                    }
                }
                await working("apply", { await apply(batch, loop: loop) })
            }
            group.cancelAll()
        }
        await loop.shutdown()
        await zap.stop()
        context.terminate()
    }

    /// Runs one step of the receive loop, marked in `busy`.
    func working<T>(_ what: StaticString, _ body: () async -> T) async -> T {
        busy.withLock { $0 = (what, .now) }
        defer { busy.withLock { $0 = nil } }
        return await body()
    }

    /// Reloads keys every second (revocations, new tenants) or at once after a refusal, drops the
    /// peers whose key is no longer current, and resends what waits too long for an ack.
    func maintain(_ loop: SocketLoop) async {
        var sinceReload = Duration.zero
        var sinceResend = Duration.zero
        var sinceLapse = Duration.seconds(60)
        var sinceBusyReport = Duration.zero
        let step = Duration.milliseconds(200)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await Task.sleep(for: step)
            } catch {
                return
            }
            sinceReload += step
            sinceResend += step
            sinceBusyReport += step
            if sinceBusyReport >= .seconds(10), let (what, since) = busy.withLock({ $0 }), since.duration(to: .now) >= .seconds(10) {
                sinceBusyReport = .zero
                logger.warning("the receive loop is stuck in one step", metadata: [
                    "step": "\(what)", "seconds": "\(since.duration(to: .now).components.seconds)"])
            }
            if sinceReload >= .seconds(1) || keys.isStale {
                sinceReload = .zero
                do {
                    try await keys.reload(client: database.client)
                    dropPeersWithRetiredKeys()
                } catch {
                    logger.warning("could not reload keys", metadata: ["error": "\(error)"])
                }
            }
            sinceLapse += step
            if sinceLapse >= .seconds(60) {
                sinceLapse = .zero
                await lapseExpiredClaims(loop)
            }
            let connected = peers.withLock { Array($0.keys) }
            if sinceResend >= .seconds(configuration.resendSeconds) {
                sinceResend = .zero
                let now = ContinuousClock.now
                let stalled = peers.withLock { peers in
                    connected.filter { peers[$0]?.needsResend(after: configuration.resendSeconds, now: now) ?? false }
                }
                for peer in stalled {
                    peers.withLock { $0[peer]?.ackMovedAt = now }
                    await flush(peer, loop: loop, resendAll: true)
                }
            } else if sinceResend.components.attoseconds == 0 {
                // Once a second: messages written by coordinators' commands, not by this process.
                for peer in connected { await flush(peer, loop: loop, resendAll: false) }
            }
        }
    }

    /// Once a minute: claims past their protection window lapse and waiting claims move up.
    func lapseExpiredClaims(_ loop: SocketLoop) async {
        let policy = configuration.policy
        let now = self.now()
        let registry = self.registry
        let logger = self.logger
        do {
            let notices = try await database.client.withTransaction(logger: logger) { connection in
                let notices = try await registry.lapseExpired(policy: policy, now: now, on: connection)
                try await HubOutbox.enqueue(notices, on: connection, logger: logger)
                return notices
            }
            for office in Set(notices.map(\.office)).sorted() { await flush(office, loop: loop, resendAll: false) }
        } catch {
            logger.warning("could not lapse expired claims", metadata: ["error": "\(error)"])
        }
    }

    /// One decoded message from an identified tenant, with the way to answer it.
    struct Incoming: Sendable {
        let tenant: String
        let kind: Tenant.Kind?
        let envelope: Envelope
        let reply: @Sendable (Envelope) async -> Void
        /// The same, for an answer already encoded (`Envelope.frames()`), so it is not encoded twice.
        let replyFrames: @Sendable ([[UInt8]]) async -> Void
        /// A county's state-changing message whose body was refused: only its seq is used up, in
        /// order with its neighbours (`envelope` then carries just the id and seq).
        var refused: ProtocolError? = nil

        /// Applied in the registry, in order, exactly once: may share a transaction with its neighbours.
        var isApplied: Bool {
            if refused != nil { return kind == .county && envelope.seq != nil }
            switch envelope.payload {
            case .claimFile, .leadStage, .assignmentReply: return kind == .county && envelope.seq != nil
            default: return false
            }
        }
    }

    /// Admission, peer tracking and decoding; nil when the message was refused or dropped here.
    func prepare(_ received: SocketLoop.Received, loop: SocketLoop) async -> Incoming? {
        let frames = received.message.frames
        guard frames.count >= 2, let userID = received.message.userID, let identity = Identity(userID: userID) else { return nil }
        let tenant = identity.tenant
        guard keys.isCurrent(identity) else {
            // A connection opened before its key was revoked or replaced: nothing it sends is
            // read, nothing is answered, and it is sent nothing more.
            await refuseRetiredKey(identity)
            return nil
        }
        let routing = frames[0]
        let now = ContinuousClock.now
        switch admit(tenant, now: now) {
        case .pass:
            break
        case .refuse:
            // Once a second at most, so a flood does not turn into a flood of answers.
            let error = Envelope(payload: .error(ErrorBody(ProtocolError(.rateLimited,
                "more than \(configuration.messagesPerSecond) messages a second; the rest are dropped"))))
            try? await loop.send(Message(frames: [routing] + error.frames()), on: received.socket)
            return nil
        case .drop:
            return nil
        }
        let keys = self.keys
        let replyFrames: @Sendable ([[UInt8]]) async -> Void = { frames in
            // Checked again when the answer goes out: a long poll or a batch may end after the
            // key was retired.
            guard keys.isCurrent(identity) else { return }
            try? await loop.send(Message(frames: [routing] + frames), on: received.socket)
        }
        let reply: @Sendable (Envelope) async -> Void = { envelope in await replyFrames(envelope.frames()) }
        let decoded = Envelope.decode(Array(frames.dropFirst()), revision: revision)
        var isHello = false
        if case .success(let envelope) = decoded, case .hello = envelope.payload { isHello = true }
        if isHello, !Self.take(tenant, from: helloBuckets, capacity: 5, perSecond: 5, now: now) {
            // Coalesced: past the office's budget of five hellos a second (a burst of five). A real
            // node says hello once per connection, and again only after its heartbeat interval
            // without a welcome, so only a flood loses hellos here.
            return nil
        }
        peers.withLock { peers in
            var peer = peers[tenant] ?? PeerState(key: identity.key, routingID: routing, socket: received.socket, lastHeard: now, sentThrough: 0)
            if peer.routingID != routing || peer.socket != received.socket || peer.key != identity.key { peer.sentThrough = 0 }
            peer.key = identity.key
            peer.routingID = routing
            peer.socket = received.socket
            peer.lastHeard = now
            // Set in the same step that makes a new connection visible: no flush may send with
            // the old numbering while the hello's reconciliation may renumber.
            if isHello { peer.reconciling = true }
            peers[tenant] = peer
        }
        let envelope: Envelope
        switch decoded {
        case .failure(let failure):
            logger.notice("refused a message", metadata: ["tenant": "\(tenant)", "code": "\(failure.error.code.rawValue)"])
            if failure.seq != nil, keys.kind(of: tenant) == .county, !isGreeted(tenant) { return nil }
            if let seq = failure.seq, keys.kind(of: tenant) == .county {
                // It can never be applied: its seq is used up in order, and the error goes with the ack.
                return Incoming(tenant: tenant, kind: .county, envelope: Envelope(id: failure.id ?? UUID().uuidString.lowercased(), seq: seq,
                                                                                 payload: .heartbeat),
                                reply: reply, replyFrames: replyFrames, refused: failure.error)
            }
            await reply(Envelope(re: failure.id, payload: .error(ErrorBody(failure.error))))
            return nil
        case .success(let decoded):
            envelope = decoded
        }
        WireMetrics.received(envelope.payload.type.rawValue)
        let kind = keys.kind(of: tenant)
        let needsHello = (envelope.seq != nil && envelope.payload.type.changesState) || envelope.payload.type == .resync
        if kind == .county, needsHello, !isGreeted(tenant) {
            // Queued by the office's socket before it greeted this process (schemas/PROTOCOL.md,
            // section 6): not applied, not acknowledged, not answered. The office finds the link
            // silent, greets, and sends it again after the welcome, numbered as the reconciliation
            // requires; it is applied and acknowledged then. A claims.resync waits for the hello
            // too: its answer depends on the protocol revision the hello announces.
            return nil
        }
        return Incoming(tenant: tenant, kind: kind, envelope: envelope, reply: reply, replyFrames: replyFrames)
    }

    func dispatch(_ incoming: Incoming, loop: SocketLoop) async {
        let (tenant, kind, envelope, reply) = (incoming.tenant, incoming.kind, incoming.envelope, incoming.reply)
        func refuse(_ code: ProtocolError.Code, _ detail: String) async {
            await reply(Envelope(re: envelope.id, payload: .error(ErrorBody(ProtocolError(code, detail)))))
        }
        switch envelope.payload {
        case .hello(let hello):
            do {
                let applied = try await Inbox.position(peer: tenant, client: database.client, logger: logger)
                if revision >= .r1 {
                    // The office says how far it has applied the hub's stream: after a restore of
                    // either database the two numberings are brought back in line first.
                    let found = try await Outbox.reconcile(peer: tenant, position: hello.receivedThrough,
                                                           lastID: hello.lastMessageID, client: database.client, logger: logger)
                    switch found {
                    case .inStep(let rewound) where rewound > 0:
                        logger.warning("an office lacks messages it had acknowledged (its database was restored); sending them again",
                                       metadata: ["tenant": "\(tenant)", "received_through": "\(hello.receivedThrough)", "count": "\(rewound)"])
                    case .diverged(let renumbered):
                        logger.warning("an office applied messages the hub's database lacks (the hub was restored); renumbered the waiting ones after them",
                                       metadata: ["tenant": "\(tenant)", "received_through": "\(hello.receivedThrough)", "count": "\(renumbered)"])
                    default:
                        break
                    }
                } else {
                    try await Outbox.acknowledge(peer: tenant, through: hello.receivedThrough, client: database.client, logger: logger)
                }
                peers.withLock { peers in
                    peers[tenant]?.sentThrough = hello.receivedThrough
                    peers[tenant]?.ackedThrough = hello.receivedThrough
                    peers[tenant]?.ackMovedAt = .now
                    peers[tenant]?.reconciling = false
                }
                _ = greeted.withLock { $0.insert(tenant) }
                spoken.withLock { $0[tenant] = ProtocolRevision(nodeVersion: hello.nodeVersion) }
                await reply(Envelope(re: envelope.id, payload: .welcome(Welcome(
                    tenant: tenant, appliedThrough: applied.seq, hubTime: Timestamp.format(Date()),
                    lastMessageID: revision >= .r1 ? applied.messageID : nil))))
                await flush(tenant, loop: loop, resendAll: false)
            } catch {
                peers.withLock { $0[tenant]?.reconciling = false }
                await refuse(.unavailable, "database: \(error)")
            }
        case .resync:
            guard kind == .county else {
                await refuse(.notAllowed, "only county offices hold claims")
                return
            }
            let allowed = resyncs.withLock { last in
                let now = ContinuousClock.now
                if let previous = last[tenant], previous.duration(to: now) < .seconds(60) { return false }
                last[tenant] = now
                return true
            }
            guard allowed else {
                await refuse(.rateLimited, "claims.resync at most once a minute")
                return
            }
            do {
                let count = try await restoreClaims(of: tenant)
                logger.warning("an office asked for its claims back (its database was restored from a backup)",
                               metadata: ["tenant": "\(tenant)", "claims": "\(count)"])
                await flush(tenant, loop: loop, resendAll: false)
            } catch {
                await refuse(.unavailable, "database: \(error)")
            }
        case .heartbeat:
            guard kind != .county || isGreeted(tenant) else { return }
            await reply(Envelope(re: envelope.id, payload: .heartbeat))
        case .ack(let ack):
            guard kind != .county || isGreeted(tenant) else { return }
            // An ack that moves nothing costs no database work (a flood of them stalls no one).
            let advances = peers.withLock { $0[tenant].map { ack.through > $0.ackedThrough } ?? true }
            guard advances else { return }
            do {
                try await Outbox.acknowledge(peer: tenant, through: ack.through, client: database.client, logger: logger)
                peers.withLock { peers in
                    if var peer = peers[tenant], ack.through > peer.ackedThrough {
                        peer.ackedThrough = ack.through
                        peer.ackMovedAt = .now
                        peers[tenant] = peer
                    }
                }
            } catch {
                logger.warning("could not record an ack", metadata: ["tenant": "\(tenant)", "error": "\(error)"])
            }
        case .error(let body):
            logger.notice("peer reported an error", metadata: ["tenant": "\(tenant)", "code": "\(body.code)", "re": "\(envelope.re ?? "")"])
        case .claimFile, .leadStage, .assignmentReply:
            guard kind == .county else {
                await refuse(.notAllowed, "only county offices file claims")
                return
            }
            await apply([incoming], loop: loop)
        case .check(let check):
            Counter(label: "concord_checks_total").increment()
            guard kind == .county || kind == .coordinator else {
                await refuse(.notAllowed, "only offices and coordinators may check")
                return
            }
            guard takeToken(tenant) else {
                await refuse(.rateLimited, "more than \(configuration.checksPerMinute) checks a minute")
                return
            }
            do {
                // No explicit transaction: the lookups read, and the audit row is one statement
                // that commits on its own before the answer goes out (two round trips fewer).
                let answer = try await database.client.withConnection { connection in
                    try await self.registry.check(name: check.name, code: check.creditCode, asker: tenant, on: connection)
                }
                let verdict: CheckResult.Verdict = switch answer.verdict {
                case .free: .free
                case .pursued: .pursued
                case .possiblyPursued: .possiblyPursued
                }
                await reply(Envelope(re: envelope.id, payload: .checkResult(CheckResult(
                    verdict: verdict, since: answer.since, ownOffice: answer.ownOffice, reasons: answer.reasons))))
            } catch {
                await refuse(.unavailable, "database: \(error)")
            }
        case .feedFetch(let fetch):
            guard let kind else { return }
            guard fetching.withLock({ $0.insert(tenant).inserted }) else {
                await refuse(.rateLimited, "one feed.fetch at a time")
                return
            }
            let id = envelope.id
            Task {
                // serve() ends the fetch before it replies, so the reader's next fetch is never refused.
                await self.serve(fetch, tenant: tenant, kind: kind, re: id, reply: reply, replyFrames: incoming.replyFrames)
            }
        case .opinionAdd(let opinion):
            guard kind == .department else {
                await refuse(.notAllowed, "only approval departments give review opinions")
                return
            }
            guard let id = UUID(uuidString: opinion.opinionID) else { return }
            guard Self.take(tenant, from: opinionBuckets, capacity: 20, perSecond: 20, now: ContinuousClock.now) else {
                await refuse(.rateLimited, "more than 20 opinion.add a second")
                return
            }
            let logger = self.logger
            do {
                let recorded = try await database.client.withTransaction(logger: logger) { connection in
                    let recorded = try await OpinionDesk(logger: logger).record(
                        id: id, claim: opinion.claim, department: tenant, verdict: opinion.verdict.rawValue, text: opinion.text,
                        conditions: opinion.conditions, now: self.now(), on: connection)
                    if !recorded.repeated {
                        try await Outbox.enqueue(peer: recorded.office, on: connection, logger: logger) { seq in
                            let out = Envelope(seq: seq, payload: .opinionNotice(OpinionNotice(
                                opinionID: opinion.opinionID, leadRef: recorded.leadRef, department: tenant,
                                departmentName: recorded.departmentName, verdict: opinion.verdict, text: opinion.text,
                                conditions: opinion.conditions, givenAt: recorded.givenAt)))
                            return (out.id, out.payload.type.rawValue, String(decoding: out.frames()[1], as: UTF8.self))
                        }
                        if let change = try await ReviewDesk(logger: logger).refresh(office: recorded.office, leadRef: recorded.leadRef, on: connection) {
                            try await HubOutbox.enqueue([change], on: connection, logger: logger)
                        }
                    }
                    return recorded
                }
                newEvents.signal()
                await reply(Envelope(re: envelope.id, payload: .opinionResult(OpinionResult(opinionID: opinion.opinionID, repeated: recorded.repeated))))
                await flush(recorded.office, loop: loop, resendAll: false)
            } catch let error as PostgresTransactionError {
                if let store = error.closureError as? StoreError, store.code == .notAllowed || store.code == .notFound {
                    await refuse(store.code == .notAllowed ? .notAllowed : .invalidField, store.message)
                } else {
                    await refuse(.unavailable, "database error")
                }
            } catch {
                await refuse(.unavailable, "database error")
            }
        case .welcome, .claimStatus, .checkResult, .assignmentOffer, .feedBatch, .opinionResult, .opinionNotice, .reviewStatus, .claimRestore:
            await refuse(.notAllowed, "\(envelope.payload.type.rawValue) is sent by the hub, not to it")
        }
    }

    /// Answers a feed.fetch from the event log: the reader's grants (a county: its own events; a
    /// coordinator: all), narrowed to the topics it asked for, waiting for new events if there are none.
    func serve(_ fetch: FeedFetch, tenant: String, kind: Tenant.Kind, re: String, reply: @Sendable (Envelope) async -> Void,
               replyFrames: @Sendable ([[UInt8]]) async -> Void) async {
        do {
            try await FeedPosition.record(tenant: tenant, after: fetch.after, client: database.client, logger: logger)
            let grants = kind == .coordinator ? [TopicPattern("*")!]
                : try await GrantStore.patterns(for: tenant, kind: kind, client: database.client, logger: logger)
            let requested = fetch.topics?.compactMap(TopicPattern.init)
            let deadline = ContinuousClock.now + .milliseconds(fetch.waitMs)
            var after = fetch.after
            var events: [FeedEvent] = []
            while true {
                let generation = newEvents.generation
                let page = try await EventLog.read(after: after, patterns: grants, limit: fetch.max, client: database.client, logger: logger)
                events = page.events.filter { event in requested.map { TopicPattern.allows($0, topic: event.topic, county: event.county) } ?? true }
                after = page.examinedThrough
                if !events.isEmpty || ContinuousClock.now >= deadline || Task.isCancelled { break }
                if page.events.count == fetch.max { continue }
                try Task.checkCancellation()
                await newEvents.wait(after: generation, timeout: .milliseconds(250))
            }
            let head = try await EventLog.head(client: database.client, logger: logger)
            var batched = events.map { event in
                let payload = (try? JSONSerialization.jsonObject(with: Data(event.payload.utf8))) as? [String: String] ?? [:]
                return FeedBatch.Event(seq: event.seq, topic: event.topic, county: event.county, recordedAt: event.recordedAt, payload: payload,
                                       typed: fetch.typed == true)
            }
            var answer = Envelope(re: re, payload: .feedBatch(FeedBatch(events: batched, through: max(after, events.last?.seq ?? 0), head: head)))
            // A batch must fit in one envelope: halve it until it does. The reader asks again from its last event.
            // Encoded once: the frames that were measured are the frames sent.
            var frames = answer.frames()
            while frames[1].count > Limits.maxEnvelopeBytes, batched.count > 1 {
                batched = Array(batched.prefix(batched.count / 2))
                answer = Envelope(re: re, payload: .feedBatch(FeedBatch(events: batched, through: batched[batched.count - 1].seq, head: head)))
                frames = answer.frames()
            }
            _ = fetching.withLock { $0.remove(tenant) }
            await replyFrames(frames)
        } catch {
            _ = fetching.withLock { $0.remove(tenant) }
            await reply(Envelope(re: re, payload: .error(ErrorBody(ProtocolError(.unavailable, "database: \(error)")))))
        }
    }

    enum Applied: Sendable {
        case applied(Int64, notify: Set<String>)
        case repeated(Int64)
        case gap(Int64)
        case refused(Int64, ProtocolError)
    }

    /// Applies state-changing messages exactly once and in order per sender. Each sender's run
    /// of messages goes into one transaction, and different senders' transactions run at the same
    /// time on their own connections: the registry changes, the notices they cause and the sender's
    /// new high-water mark commit together, then the acks go out. One commit for a run of queued
    /// messages is what lets the hub keep up with many offices (each commit waits for the disk), and
    /// overlapping offices keeps both cores and the disk busy. Filings from different offices on
    /// one enterprise are still decided one after the other: they take the same advisory locks.
    /// If a run fails, each of its messages is tried again alone, so one bad message cannot hold
    /// back its neighbours.
    func apply(_ batch: [Incoming], loop: SocketLoop) async {
        var runs: [String: [Int]] = [:]
        for (index, incoming) in batch.enumerated() { runs[incoming.tenant, default: []].append(index) }
        var results = [Applied?](repeating: nil, count: batch.count)
        let applied = await withTaskGroup(of: [(Int, Applied)].self) { group in
            for indices in runs.values {
                let run = indices.map { batch[$0] }
                group.addTask {
                    if let results = try? await self.transact(run) { return Array(zip(indices, results)) }
                    var alone: [(Int, Applied)] = []
                    for (index, incoming) in zip(indices, run) {
                        do {
                            alone.append((index, try await self.transact([incoming])[0]))
                        } catch {
                            self.logger.error("could not apply a message", metadata: [
                                "tenant": "\(incoming.tenant)", "seq": "\(incoming.envelope.seq ?? 0)", "error": "\(String(reflecting: error))"])
                            await incoming.reply(Envelope(re: incoming.envelope.id, payload: .error(ErrorBody(
                                ProtocolError(.unavailable, "database error")))))
                            // Later messages of this sender would only be a gap now: stop here.
                            break
                        }
                    }
                    return alone
                }
            }
            var all: [(Int, Applied)] = []
            for await part in group { all += part }
            return all
        }
        for (index, result) in applied { results[index] = result }
        newEvents.signal()
        var notify: Set<String> = []
        // One ack per sender, for the last of its messages in the batch, after any refusals.
        var lastAck: [String: (Int64, @Sendable (Envelope) async -> Void)] = [:]
        for (incoming, result) in zip(batch, results) {
            switch result {
            case nil:
                continue
            case .applied(let through, let offices)?:
                notify.formUnion(offices)
                lastAck[incoming.tenant] = (through, incoming.reply)
            case .repeated(let through)?, .gap(let through)?:
                lastAck[incoming.tenant] = (through, incoming.reply)
            case .refused(let through, let error)?:
                await incoming.reply(Envelope(re: incoming.envelope.id, payload: .error(ErrorBody(error))))
                lastAck[incoming.tenant] = (through, incoming.reply)
            }
        }
        for (tenant, (through, reply)) in lastAck.sorted(by: { $0.key < $1.key }) where isGreeted(tenant) {
            await reply(Envelope(payload: .ack(Ack(through: through))))
        }
        // Each office's new messages in parallel: one outbox read each, so the next run waits
        // for the slowest office instead of the sum of them all.
        await withTaskGroup(of: Void.self) { group in
            for office in notify.sorted() { group.addTask { await self.flush(office, loop: loop, resendAll: false) } }
        }
    }

    /// One sender's run of messages in one transaction. Every enterprise key its filings will
    /// lock is locked first, in sorted order; events and audit rows are appended at the end, just
    /// before the notices and the sender's new high-water mark.
    func transact(_ run: [Incoming]) async throws -> [Applied] {
        let logger = self.logger
        let registry = self.registry
        return try await database.client.withTransaction(logger: logger) { connection -> [Applied] in
            try await registry.lockAll(run.compactMap { incoming in
                if case .claimFile(let file) = incoming.envelope.payload { return (file.investorName, file.creditCode) }
                return nil
            }, on: connection)
            var marks = try await Inbox.lock(peers: run.map(\.tenant), on: connection, logger: logger)
            let locked = marks
            let appends = PendingAppends()
            var outbox: [Outbox.Pending] = []
            var results: [Applied] = []
            for incoming in run {
                results.append(try await self.applyOne(incoming.envelope, from: incoming.tenant, refused: incoming.refused, marks: &marks,
                                                       outbox: &outbox, appends: appends, on: connection))
            }
            try await appends.flush(on: connection, logger: logger)
            try await Outbox.enqueue(outbox, on: connection, logger: logger)
            var advanced: [String: (seq: Int64, messageID: String?)] = [:]
            for (tenant, seq) in marks where locked[tenant] != seq {
                advanced[tenant] = (seq, run.last { $0.tenant == tenant && $0.envelope.seq == seq }?.envelope.id)
            }
            try await Inbox.advance(advanced, on: connection, logger: logger)
            return results
        }
    }

    /// One state-changing message inside its run's transaction: checked against and advancing
    /// its sender's mark in `marks`, its messages to offices appended to `outbox`, a filing's
    /// events and audit rows to `appends` (flushed first wherever the order of events matters).
    func applyOne(_ envelope: Envelope, from tenant: String, refused: ProtocolError? = nil, marks: inout [String: Int64],
                  outbox: inout [Outbox.Pending], appends: PendingAppends, on connection: PostgresConnection) async throws -> Applied {
        guard let seq = envelope.seq else { return .refused(0, ProtocolError(.badBody, "seq required")) }
        let registry = self.registry
        let logger = self.logger
        let hwm = marks[tenant] ?? 0
        if seq <= hwm { return .repeated(hwm) }
        if seq > hwm + 1 { return .gap(hwm) }
        if let refused {
            marks[tenant] = seq
            return .refused(seq, refused)
        }
        var notices: [ClaimNotice] = []
        var reviewed: String?
        switch envelope.payload {
        case .claimFile(let file):
            let name = CompanyName(file.investorName)
            guard !EnterpriseKey(name: name, code: file.creditCode.map(CreditCode.parse)).all.isEmpty else {
                marks[tenant] = seq
                return .refused(seq, ProtocolError(.invalidField, "investor_name: nothing in it identifies an enterprise"))
            }
            let reportedAt = Timestamp.parse(file.reportedAt) ?? Date()
            if let problem = OfficeDate.check(reportedAt, now: now()) {
                // The office's date decides nothing (首报 is the hub's receipt), but one that cannot
                // be true is not stored.
                marks[tenant] = seq
                return .refused(seq, Self.dateRefusal(problem, field: "reported_at", value: file.reportedAt))
            }
            let filing = ClaimFiling(
                office: tenant, leadRef: file.leadRef, investorName: file.investorName, creditCode: file.creditCode,
                projectName: file.projectName, industry: file.industry, investmentWan: file.investmentWan,
                stage: LeadStage(rawValue: file.stage) ?? .lead, reportedAt: reportedAt)
            let outcome = try await registry.file(filing, on: connection, appends: appends)
            if !outcome.repeated {
                // A county filing what it accepted under a dispatch override: its first such filing
                // settles the override, and when it contests the overridden holder it is ruled a
                // transfer at once. Only counties with an override waiting pay for the look-up.
                var ruled: [ClaimNotice]?
                if overridesWaiting.withLock({ $0.contains(tenant) }) {
                    let desk = DispatchDesk(logger: logger)
                    let (pending, more) = try await desk.settlePendingOverride(
                        office: tenant, investorName: file.investorName, creditCode: file.creditCode, on: connection)
                    if !more { _ = overridesWaiting.withLock { $0.remove(tenant) } }
                    if let pending {
                        if case .contested(_, let holderClaim, _, let conflictID, true) = outcome.status, holderClaim == pending.overridesClaim {
                            ruled = try await desk.recordDispatchTransfer(pending, office: tenant, claimID: outcome.claimID, conflictID: conflictID,
                                                                          policy: configuration.policy, now: now(), appends: appends, on: connection)
                        } else {
                            appends.append(.init(actor: "hub", action: "dispatch.override.unused", subject: "claim:\(outcome.claimID)",
                                                 detailJSON: auditDetail(["assignment": "\(pending.assignmentID)",
                                                                          "why": "the filing does not contest the overridden holder"])))
                        }
                    }
                }
                if let ruled {
                    notices = ruled
                } else {
                    notices = try await registry.notices(for: filing, outcome: outcome, on: connection)
                }
                if (filing.investmentWan ?? 0) >= EventLog.claimThresholdWan {
                    // The review status is computed from the project's events: write them now.
                    try await appends.flush(on: connection, logger: logger)
                    reviewed = file.leadRef
                }
            }
        case .leadStage(let change):
            if let changedAt = Timestamp.parse(change.changedAt), let problem = OfficeDate.check(changedAt, now: now()) {
                marks[tenant] = seq
                return .refused(seq, Self.dateRefusal(problem, field: "changed_at", value: change.changedAt))
            }
            // Its events follow every earlier filing's in the log.
            try await appends.flush(on: connection, logger: logger)
            let taken = try await registry.changeStage(
                office: tenant, leadRef: change.leadRef, to: LeadStage(rawValue: change.stage) ?? .lead,
                changedAt: Timestamp.parse(change.changedAt), on: connection)
            switch taken {
            case .applied(let caused):
                notices = caused
                reviewed = change.leadRef
            case .refused(let why):
                // Its seq is used up: the office is told why, and the refusal is audited.
                marks[tenant] = seq
                return .refused(seq, Self.protocolError(why, leadRef: change.leadRef))
            }
        case .assignmentReply(let answer):
            try await appends.flush(on: connection, logger: logger)
            let taken = try await DispatchDesk(logger: logger).applyReply(
                office: tenant, assignmentID: answer.assignmentID, accept: answer.accept, reason: answer.reason,
                at: Timestamp.parse(answer.repliedAt) ?? Date(), on: connection)
            guard taken else {
                // Not waiting for this office's answer (another office's, answered, or none): said so.
                marks[tenant] = seq
                return .refused(seq, ProtocolError(.notAllowed, "assignment_id: \(answer.assignmentID) is not waiting for this office's answer"))
            }
            // Its filing may settle an override (a spare look-up if this one had none).
            if answer.accept { _ = overridesWaiting.withLock { $0.insert(tenant) } }
        default:
            return .refused(seq, ProtocolError(.notAllowed, "not a node message"))
        }
        outbox += notices.map(HubOutbox.message)
        var notify = Set(notices.map(\.office))
        if let reviewed, let change = try await ReviewDesk(logger: logger).refresh(office: tenant, leadRef: reviewed, on: connection) {
            outbox.append(HubOutbox.message(change))
            notify.insert(change.office)
        }
        marks[tenant] = seq
        return .applied(seq, notify: notify)
    }

    func isGreeted(_ tenant: String) -> Bool { greeted.withLock { $0.contains(tenant) } }

    /// After a key reload: a peer whose connection was authenticated with a key that is no longer
    /// current (revoked, or replaced by `tenant rekey`) is forgotten, greeting included, so no
    /// notice, answer or heartbeat goes to it, and the office's new connection must say hello.
    func dropPeersWithRetiredKeys() {
        let retired = peers.withLock { peers in
            let retired = peers.map { Identity(tenant: $0.key, key: $0.value.key) }.filter { !keys.isCurrent($0) }
            for identity in retired { peers[identity.tenant] = nil }
            return retired
        }
        guard !retired.isEmpty else { return }
        greeted.withLock { greeted in
            for identity in retired { greeted.remove(identity.tenant) }
        }
        for identity in retired {
            logger.warning("dropped a connection whose key is no longer current", metadata: [
                "tenant": "\(identity.tenant)", "key": "\(identity.fingerprint)"])
        }
    }

    /// Logs and audits, once per key and process, that a retired key's connection spoke.
    func refuseRetiredKey(_ identity: Identity) async {
        guard refusedKeys.withLock({ $0.insert(identity).inserted }) else { return }
        logger.warning("refused a message sent with a key that is no longer current", metadata: [
            "tenant": "\(identity.tenant)", "key": "\(identity.fingerprint)"])
        let logger = self.logger
        do {
            try await database.client.withConnection { connection in
                try await AuditChain.append(.init(actor: identity.tenant, action: "key.refused", subject: "tenant:\(identity.tenant)",
                                                  detailJSON: auditDetail(["key": identity.fingerprint])), on: connection, logger: logger)
            }
        } catch {
            logger.warning("could not audit a refused key", metadata: ["error": "\(error)"])
        }
    }

    /// An office's date that cannot be true, as the office is told it: the rule's code leads the detail.
    static func dateRefusal(_ problem: OfficeDate.Problem, field: String, value: String) -> ProtocolError {
        ProtocolError(.dateOutOfRange, "\(problem.code): \(problem.explanation)（\(field) \(value)）")
    }

    /// A refused stage change as the office is told it (schemas/PROTOCOL.md, section 7).
    static func protocolError(_ refusal: ClaimRegistry.StageRefusal, leadRef: String) -> ProtocolError {
        switch refusal {
        case .notThisOffice: return ProtocolError(.notAllowed, "lead_ref: this office has no claim \(leadRef)")
        case .rule(let error): return ProtocolError(.stageRefused, "\(error.code): \(error.explanation)")
        }
    }

    /// Queues a `claim.restore` for every claim of `office`, oldest first, in one transaction;
    /// returns how many.
    func restoreClaims(of office: String) async throws -> Int {
        let logger = self.logger
        return try await database.client.withTransaction(logger: logger) { connection in
            let rows = try await connection.query("""
                SELECT lead_ref, investor_name, credit_code, project_name, industry, investment_wan::float8, stage, reported_at, status
                FROM claims WHERE office = \(office) ORDER BY id
                """, logger: logger)
            var restores: [ClaimRestore] = []
            // A node of 1.1 knows only these four states: the others are told as it would read them.
            let older = (self.spoken.withLock { $0[office] } ?? .r1) < .r2
            let asOlder = ["joint": "held", "distinct": "held", "taskforce": "released"]
            for try await (lead, name, code, project, industry, investment, stage, reported, stored) in rows.decode(
                (String, String, String?, String?, String?, Double?, String, Date, String).self) {
                let status = older ? asOlder[stored] ?? stored : stored
                restores.append(ClaimRestore(claim: ClaimFile(leadRef: lead, investorName: name, creditCode: code, projectName: project,
                                                              industry: industry, investmentWan: investment,
                                                              stage: LeadStage(rawValue: stage) ?? .lead, reportedAt: reported),
                                             status: status))
            }
            // Then the last claim.status each lead was sent, again: a lead restored now had
            // missed it (the node could not apply it to a lead it did not have), and it says more
            // than the restore's status (who holds, who contests, the decision).
            let latest = try await connection.query("""
                SELECT DISTINCT ON (envelope::jsonb -> 'body' ->> 'lead_ref') envelope FROM outbox
                WHERE peer = \(office) AND type = 'claim.status'
                ORDER BY envelope::jsonb -> 'body' ->> 'lead_ref', seq DESC
                """, logger: logger)
            var statuses: [Payload] = []
            for try await envelope in latest.decode(String.self) {
                if case .success(let sent) = Envelope.decode([Array(Wire.signature.utf8), Array(envelope.utf8)]) {
                    statuses.append(sent.payload)
                }
            }
            let payloads = restores.map(Payload.claimRestore) + statuses
            try await Outbox.enqueue(payloads.map { payload in
                Outbox.Pending(peer: office) { seq in
                    let out = Envelope(seq: seq, payload: payload)
                    return (out.id, out.payload.type.rawValue, String(decoding: out.frames()[1], as: UTF8.self))
                }
            }, on: connection, logger: logger)
            try await AuditChain.append(.init(actor: office, action: "claims.resync", subject: "tenant:\(office)",
                                              detailJSON: "{\"claims\":\(restores.count)}"), on: connection, logger: logger)
            return restores.count
        }
    }

    /// Sends a peer's outbox: new messages since the last send, or (`resendAll`) every
    /// unacknowledged one.
    func flush(_ peer: String, loop: SocketLoop, resendAll: Bool) async {
        guard let state = peers.withLock({ $0[peer] }), !state.reconciling, isGreeted(peer) || keys.kind(of: peer) != .county,
              keys.isCurrent(Identity(tenant: peer, key: state.key)) else { return }
        do {
            let after = resendAll ? 0 : state.sentThrough
            let pending = try await Outbox.pending(peer: peer, after: after, limit: 256, client: database.client, logger: logger)
            for message in pending {
                try await loop.send(Message(frames: [state.routingID, Array(Wire.signature.utf8), Array(message.envelope.utf8)]),
                                    on: state.socket)
                WireMetrics.sent(message.type)
            }
            if resendAll { WireMetrics.resent(peer, count: pending.filter { $0.seq <= state.sentThrough }.count) }
            if let last = pending.last?.seq {
                peers.withLock { peers in
                    if var current = peers[peer], current.routingID == state.routingID, current.socket == state.socket {
                        current.sentThrough = max(current.sentThrough, last)
                        peers[peer] = current
                    }
                }
            }
        } catch let error as ZMQError where error.kind == .hostUnreachable {
            peers.withLock { $0[peer] = nil }
        } catch {
            logger.warning("could not send the outbox", metadata: ["peer": "\(peer)", "error": "\(error)"])
        }
    }

    enum Admission { case pass, refuse, drop }

    /// Each tenant may send `messagesPerSecond` messages a second, with a burst of one second's worth.
    func admit(_ tenant: String, now: ContinuousClock.Instant) -> Admission {
        let rate = Double(configuration.messagesPerSecond)
        return traffic.withLock { traffic in
            var entry = traffic[tenant] ?? (TokenBucket(capacity: rate, perSecond: rate), nil)
            defer { traffic[tenant] = entry }
            if entry.bucket.take(now: now) { return .pass }
            if let refused = entry.refusedAt, refused.duration(to: now) < .seconds(1) { return .drop }
            entry.refusedAt = now
            return .refuse
        }
    }

    /// Reads back the checks each office made in the last minute (from the audit chain, where every
    /// check is recorded), so a restart does not hand an office a fresh check budget.
    func seedCheckBudgets() async throws {
        let rate = Double(configuration.checksPerMinute)
        let recent = try await AuditChain.recent(["check"], since: now().addingTimeInterval(-60), client: database.client, logger: logger)
        let counts = Dictionary(recent.map { ($0.actor, 1) }, uniquingKeysWith: +)
        buckets.withLock { buckets in
            for (tenant, count) in counts {
                var bucket = TokenBucket(capacity: rate, perSecond: rate / 60)
                bucket.tokens = max(0, rate - Double(count))
                bucket.updated = ContinuousClock.now
                buckets[tenant] = bucket
            }
        }
    }

    func takeToken(_ tenant: String) -> Bool {
        let rate = Double(configuration.checksPerMinute)
        return Self.take(tenant, from: buckets, capacity: rate, perSecond: rate / 60, now: ContinuousClock.now)
    }

    /// Takes one of `tenant`'s tokens from its bucket in `buckets` (made full on first use).
    static func take(_ tenant: String, from buckets: borrowing Mutex<[String: TokenBucket]>, capacity: Double, perSecond: Double,
                     now: ContinuousClock.Instant) -> Bool {
        buckets.withLock { buckets in
            var bucket = buckets[tenant] ?? TokenBucket(capacity: capacity, perSecond: perSecond)
            defer { buckets[tenant] = bucket }
            return bucket.take(now: now)
        }
    }
}

/// A token bucket: `capacity` requests at once, refilled at `perSecond`.
struct TokenBucket {
    let capacity: Double
    let perSecond: Double
    var tokens: Double
    var updated: ContinuousClock.Instant?

    init(capacity: Double, perSecond: Double) {
        self.capacity = capacity
        self.perSecond = perSecond
        self.tokens = capacity
    }

    mutating func take(now: ContinuousClock.Instant) -> Bool {
        if let updated {
            let elapsed = updated.duration(to: now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            tokens = min(capacity, tokens + seconds * perSecond)
        }
        updated = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}

extension ClaimStatus {
    init(_ notice: ClaimNotice) {
        self.init(leadRef: notice.leadRef, status: notice.status,
                  holderOffice: notice.holderOffice, holderSince: notice.holderSince, conflictID: notice.conflictID,
                  contestedBy: notice.contestedBy,
                  possibleDuplicates: notice.possibleDuplicates.isEmpty ? nil : notice.possibleDuplicates.map {
                      ClaimStatus.Duplicate(office: $0.office, score: $0.score, reasons: $0.reasons)
                  },
                  decision: notice.decision.map {
                      ClaimStatus.Decision(id: $0.id, kind: $0.kind, summary: $0.summary, reason: $0.reason, outcome: $0.outcome)
                  })
    }
}

extension HubOutbox {
    /// Offers a city lead to a county, inside the caller's transaction.
    public static func enqueueOffer(_ assignment: AssignmentView, lead: CityLead, note: String?, explanation: String,
                                    on connection: PostgresConnection, logger: Logger) async throws {
        try await Outbox.enqueue(peer: assignment.county, on: connection, logger: logger) { seq in
            let out = Envelope(seq: seq, payload: .assignmentOffer(AssignmentOffer(
                assignmentID: assignment.id, cityLead: lead.id.uuidString.lowercased(), investorName: lead.investorName,
                creditCode: lead.creditCode, projectName: lead.projectName, industry: lead.industry,
                investmentWan: lead.investmentWan, landMu: lead.landMu, note: note, explanation: explanation,
                offeredAt: assignment.assignedAt, respondBy: assignment.respondBy, assessBy: assignment.assessBy)))
            return (out.id, out.payload.type.rawValue, String(decoding: out.frames()[1], as: UTF8.self))
        }
    }
}

/// Turns registry notices into claim.status messages in each office's outbox, inside the caller's
/// transaction. Used by the hub and by coordinators' commands alike; the hub delivers them.
public enum HubOutbox {
    /// Changed review statuses, as review.status messages to the owning offices.
    public static func enqueue(_ changes: [ReviewDesk.Change], on connection: PostgresConnection, logger: Logger) async throws {
        try await Outbox.enqueue(changes.map(message), on: connection, logger: logger)
    }

    public static func enqueue(_ notices: [ClaimNotice], on connection: PostgresConnection, logger: Logger) async throws {
        try await Outbox.enqueue(notices.map(message), on: connection, logger: logger)
    }

    /// A changed review status as a review.status message to the owning office.
    static func message(_ change: ReviewDesk.Change) -> Outbox.Pending {
        Outbox.Pending(peer: change.office) { seq in
            let out = Envelope(seq: seq, payload: .reviewStatus(ReviewStatusNotice(leadRef: change.leadRef, departments: change.entries.map {
                .init(department: $0.department, departmentName: $0.departmentName, since: $0.since, answeredAt: $0.answeredAt,
                      verdict: $0.verdict.flatMap(OpinionVerdict.init(rawValue:)))
            })))
            return (out.id, out.payload.type.rawValue, String(decoding: out.frames()[1], as: UTF8.self))
        }
    }

    /// A registry notice as a claim.status message to its office.
    static func message(_ notice: ClaimNotice) -> Outbox.Pending {
        Outbox.Pending(peer: notice.office) { seq in
            let out = Envelope(seq: seq, payload: .claimStatus(ClaimStatus(notice)))
            return (out.id, out.payload.type.rawValue, String(decoding: out.frames()[1], as: UTF8.self))
        }
    }
}
