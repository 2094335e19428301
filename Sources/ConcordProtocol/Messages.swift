import ConcordDomain
import Foundation

/// The revisions of protocol version 1. A revision only adds: optional fields (which a receiver of
/// an earlier revision ignores, as section 3 requires) and message types that are sent only to a
/// peer known to speak the revision, or that an earlier peer refuses with `UNKNOWN_TYPE` and the
/// sender can do without (schemas/PROTOCOL.md, section 8).
public enum ProtocolRevision: Int, Comparable, Sendable, CaseIterable {
    /// 1.0: the message set frozen in schemas/v1.0/.
    case r0 = 0
    /// 1.1: reconciliation after a restore (`last_message_id` in hello and welcome,
    /// `claims.resync`, `claim.restore`).
    case r1 = 1
    /// 1.2: refusals a sender acts on (`STAGE_REFUSED`; a refused state-changing message's seq is
    /// used up), `claim.restore` carries every stored claim state (`joint`,
    /// `taskforce`, `distinct`).
    case r2 = 2

    public static let current = ProtocolRevision.r2
    public var name: String { "1.\(rawValue)" }

    /// The revision a node announces in `hello.node_version` (`… protocol/1.<n>`); none means 1.0,
    /// a later one than this side knows means the latest it knows.
    public init(nodeVersion: String) {
        guard let part = nodeVersion.split(separator: " ").last(where: { $0.hasPrefix("protocol/1.") }),
              let minor = Int(part.dropFirst("protocol/1.".count)) else {
            self = .r0
            return
        }
        self = ProtocolRevision(rawValue: minor) ?? (minor > ProtocolRevision.current.rawValue ? .current : .r0)
    }

    public static func < (a: ProtocolRevision, b: ProtocolRevision) -> Bool { a.rawValue < b.rawValue }
}

/// Every message type of protocol version 1 (schemas/PROTOCOL.md has the table).
public enum MessageType: String, CaseIterable, Sendable {
    case hello
    case welcome
    case heartbeat
    case ack
    case error
    case claimFile = "claim.file"
    case leadStage = "lead.stage"
    case claimStatus = "claim.status"
    case check
    case checkResult = "check.result"
    case assignmentOffer = "assignment.offer"
    case assignmentReply = "assignment.reply"
    case feedFetch = "feed.fetch"
    case feedBatch = "feed.batch"
    case opinionAdd = "opinion.add"
    case opinionResult = "opinion.result"
    case opinionNotice = "opinion.notice"
    case reviewStatus = "review.status"
    case resync = "claims.resync"
    case claimRestore = "claim.restore"

    /// The revision that added the type.
    public var introduced: ProtocolRevision {
        switch self {
        case .resync, .claimRestore: return .r1
        default: return .r0
        }
    }

    /// State-changing messages carry a per-sender `seq`, are kept in the sender's outbox until
    /// acknowledged, and are applied by the receiver exactly once, in order.
    public var changesState: Bool {
        switch self {
        case .claimFile, .leadStage, .claimStatus, .assignmentOffer, .assignmentReply, .opinionNotice, .reviewStatus, .claimRestore:
            return true
        default: return false
        }
    }
}

/// A message body, by type.
public enum Payload: Sendable, Equatable {
    case hello(Hello)
    case welcome(Welcome)
    case heartbeat
    case ack(Ack)
    case error(ErrorBody)
    case claimFile(ClaimFile)
    case leadStage(LeadStageChange)
    case claimStatus(ClaimStatus)
    case check(Check)
    case checkResult(CheckResult)
    case assignmentOffer(AssignmentOffer)
    case assignmentReply(AssignmentReply)
    case feedFetch(FeedFetch)
    case feedBatch(FeedBatch)
    case opinionAdd(OpinionAdd)
    case opinionResult(OpinionResult)
    case opinionNotice(OpinionNotice)
    case reviewStatus(ReviewStatusNotice)
    case resync
    case claimRestore(ClaimRestore)

    public var type: MessageType {
        switch self {
        case .hello: return .hello
        case .welcome: return .welcome
        case .heartbeat: return .heartbeat
        case .ack: return .ack
        case .error: return .error
        case .claimFile: return .claimFile
        case .leadStage: return .leadStage
        case .claimStatus: return .claimStatus
        case .check: return .check
        case .checkResult: return .checkResult
        case .assignmentOffer: return .assignmentOffer
        case .assignmentReply: return .assignmentReply
        case .feedFetch: return .feedFetch
        case .feedBatch: return .feedBatch
        case .opinionAdd: return .opinionAdd
        case .opinionResult: return .opinionResult
        case .opinionNotice: return .opinionNotice
        case .reviewStatus: return .reviewStatus
        case .resync: return .resync
        case .claimRestore: return .claimRestore
        }
    }

    struct Out<Body: Encodable>: Encodable {
        let type: String
        let id: String
        let seq: Int64?
        let re: String?
        let body: Body
    }

    struct In<Body: Decodable>: Decodable {
        let body: Body
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    func encodeEnvelope(id: String, seq: Int64?, re: String?) -> [UInt8] {
        func encode<B: Encodable>(_ body: B) -> [UInt8] {
            // Encoding these plain structs cannot fail.
            Array((try? Self.encoder.encode(Out(type: type.rawValue, id: id, seq: seq, re: re, body: body))) ?? Data())
        }
        switch self {
        case .hello(let body): return encode(body)
        case .welcome(let body): return encode(body)
        case .heartbeat: return encode(Empty())
        case .ack(let body): return encode(body)
        case .error(let body): return encode(body)
        case .claimFile(let body): return encode(body)
        case .leadStage(let body): return encode(body)
        case .claimStatus(let body): return encode(body)
        case .check(let body): return encode(body)
        case .checkResult(let body): return encode(body)
        case .assignmentOffer(let body): return encode(body)
        case .assignmentReply(let body): return encode(body)
        case .feedFetch(let body): return encode(body)
        case .feedBatch(let body): return encode(body)
        case .opinionAdd(let body): return encode(body)
        case .opinionResult(let body): return encode(body)
        case .opinionNotice(let body): return encode(body)
        case .reviewStatus(let body): return encode(body)
        case .resync: return encode(Empty())
        case .claimRestore(let body): return encode(body)
        }
    }

    static func decode(type: MessageType, envelope data: Data) -> Result<Payload, ProtocolError> {
        func body<B: Decodable & Validating>(_: B.Type) throws -> B {
            let value: B
            do {
                value = try JSONDecoder().decode(In<B>.self, from: data).body
            } catch {
                throw ProtocolError(.badBody, describe(error))
            }
            try value.validate()
            return value
        }
        do {
            switch type {
            case .hello: return .success(.hello(try body(Hello.self)))
            case .welcome: return .success(.welcome(try body(Welcome.self)))
            case .heartbeat: _ = try body(Empty.self); return .success(.heartbeat)
            case .ack: return .success(.ack(try body(Ack.self)))
            case .error: return .success(.error(try body(ErrorBody.self)))
            case .claimFile: return .success(.claimFile(try body(ClaimFile.self)))
            case .leadStage: return .success(.leadStage(try body(LeadStageChange.self)))
            case .claimStatus: return .success(.claimStatus(try body(ClaimStatus.self)))
            case .check: return .success(.check(try body(Check.self)))
            case .checkResult: return .success(.checkResult(try body(CheckResult.self)))
            case .assignmentOffer: return .success(.assignmentOffer(try body(AssignmentOffer.self)))
            case .assignmentReply: return .success(.assignmentReply(try body(AssignmentReply.self)))
            case .feedFetch: return .success(.feedFetch(try body(FeedFetch.self)))
            case .feedBatch: return .success(.feedBatch(try body(FeedBatch.self)))
            case .opinionAdd: return .success(.opinionAdd(try body(OpinionAdd.self)))
            case .opinionResult: return .success(.opinionResult(try body(OpinionResult.self)))
            case .opinionNotice: return .success(.opinionNotice(try body(OpinionNotice.self)))
            case .reviewStatus: return .success(.reviewStatus(try body(ReviewStatusNotice.self)))
            case .resync: _ = try body(Empty.self); return .success(.resync)
            case .claimRestore: return .success(.claimRestore(try body(ClaimRestore.self)))
            }
        } catch let error as ProtocolError {
            return .failure(error)
        } catch {
            return .failure(ProtocolError(.badBody, "\(error)"))
        }
    }
}

/// A body's own rules beyond its JSON shape.
protocol Validating {
    func validate() throws
}

extension Validating {
    func validate() throws {}
}

func check(_ condition: Bool, _ field: String, _ rule: String) throws {
    if !condition { throw ProtocolError(.invalidField, "\(field): \(rule)") }
}

func checkText(_ value: String?, _ field: String, max: Int, required: Bool = false) throws {
    guard let value else {
        // A missing field is a body that does not match its type (BAD_BODY), not a bad value.
        if required { throw ProtocolError(.badBody, "missing field \(field)") }
        return
    }
    try check(!value.isEmpty || !required, field, "must not be empty")
    // Counted in Unicode scalars, as PostgreSQL's length() counts: a field that passes here fits its column.
    try check(value.unicodeScalars.count <= max, field, "at most \(max) characters")
    // NUL cannot be stored at all; other control characters (but tab and line breaks) are never text.
    try check(!value.unicodeScalars.contains { $0.properties.generalCategory == .control && !"\t\n\r".unicodeScalars.contains($0) },
              field, "must not contain control characters")
}

func checkDate(_ value: String?, _ field: String) throws {
    guard let value else { return }
    try check(Timestamp.parse(value) != nil, field, "must be an RFC 3339 time such as 2026-11-30T08:00:00Z")
}

/// RFC 3339 times on the wire.
public enum Timestamp {
    /// Reads `YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|±HH:MM)` by hand. ICU's ISO 8601 parser, which this
    /// replaced, died of SIGFPE on a fraction of a few hundred digits (found by fuzzing): text from
    /// the network never reaches it now.
    public static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard (20...35).contains(b.count) else { return nil }
        func number(_ at: Int, _ count: Int) -> Int? {
            var value = 0
            for i in at..<(at + count) {
                guard i < b.count, (0x30...0x39).contains(b[i]) else { return nil }
                value = value * 10 + Int(b[i] - 0x30)
            }
            return value
        }
        guard let year = number(0, 4), b[4] == UInt8(ascii: "-"), let month = number(5, 2), b[7] == UInt8(ascii: "-"),
              let day = number(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"),
              let hour = number(11, 2), b[13] == UInt8(ascii: ":"), let minute = number(14, 2), b[16] == UInt8(ascii: ":"),
              let second = number(17, 2) else { return nil }
        var i = 19
        var fraction = 0.0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            let start = i + 1
            i = start
            while i < b.count, (0x30...0x39).contains(b[i]) { i += 1 }
            guard (1...9).contains(i - start), let digits = number(start, i - start) else { return nil }
            fraction = Double(digits) / pow(10, Double(i - start))
        }
        guard i < b.count else { return nil }
        var offset = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard let h = number(i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"), let m = number(i + 4, 2),
                  h <= 23, m <= 59 else { return nil }
            offset = (h * 3600 + m * 60) * (b[i] == UInt8(ascii: "+") ? 1 : -1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count, (1...12).contains(month), hour <= 23, minute <= 59, second <= 59 else { return nil }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...lengths[month - 1]).contains(day) else { return nil }
        // Days from 1970-01-01 to the civil date (Howard Hinnant's days_from_civil).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, as ISO8601DateFormatter with fractional seconds writes it (the
    /// milliseconds truncated), by hand: the formatter opened an ICU calendar for every call, and
    /// that was 58 % of the hub's time while it served a cold feed replay.
    public static func format(_ date: Date) -> String {
        // Through whole microseconds first, so that k / 1000 s, which a Double holds only nearly,
        // still writes k milliseconds.
        let (totalMilliseconds, _) = floorDivide(Int64((date.timeIntervalSince1970 * 1_000_000).rounded()), 1000)
        let (days, msOfDay) = floorDivide(totalMilliseconds, 86_400_000)
        // The civil date of a day number (Howard Hinnant's civil_from_days).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        var text = ""
        text.reserveCapacity(24)
        func append(_ value: Int64, _ width: Int) {
            let digits = String(value)
            if digits.count < width { text += String(repeating: "0", count: width - digits.count) }
            text += digits
        }
        append(year, 4); text += "-"; append(month, 2); text += "-"; append(day, 2); text += "T"
        append(msOfDay / 3_600_000, 2); text += ":"; append(msOfDay / 60_000 % 60, 2); text += ":"
        append(msOfDay / 1000 % 60, 2); text += "."; append(msOfDay % 1000, 3); text += "Z"
        return text
    }

    static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a / b, r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }
}

public struct Empty: Codable, Sendable, Equatable, Validating {
    public init() {}
}

/// Node → hub, first message on every connection: what the node has received from the hub.
public struct Hello: Codable, Sendable, Equatable, Validating {
    public var nodeVersion: String
    /// The highest hub→node `seq` the node has applied; the hub resends from the next one.
    public var receivedThrough: Int64
    /// 1.1: the id of the message applied at `receivedThrough`, so the hub can tell whether its
    /// message with that seq is the same one (it is not after the hub's database was restored).
    public var lastMessageID: String?

    public init(nodeVersion: String, receivedThrough: Int64, lastMessageID: String? = nil) {
        self.nodeVersion = nodeVersion
        self.receivedThrough = receivedThrough
        self.lastMessageID = lastMessageID
    }

    enum CodingKeys: String, CodingKey {
        case nodeVersion = "node_version", receivedThrough = "received_through", lastMessageID = "last_message_id"
    }

    func validate() throws {
        try checkText(nodeVersion, "node_version", max: 40)
        try check(receivedThrough >= 0, "received_through", "must be ≥ 0")
        try checkText(lastMessageID, "last_message_id", max: Limits.maxIDLength)
    }
}

/// Hub → node, the answer to `hello`: who the hub says the node is, and what it has applied.
public struct Welcome: Codable, Sendable, Equatable, Validating {
    /// The tenant the node's key is registered to.
    public var tenant: String
    /// The highest node→hub `seq` the hub has applied; the node resends from the next one.
    public var appliedThrough: Int64
    public var hubTime: String
    /// 1.1: the id of the node's message applied at `appliedThrough` (see `Hello.lastMessageID`).
    public var lastMessageID: String?

    public init(tenant: String, appliedThrough: Int64, hubTime: String, lastMessageID: String? = nil) {
        self.tenant = tenant
        self.appliedThrough = appliedThrough
        self.hubTime = hubTime
        self.lastMessageID = lastMessageID
    }

    enum CodingKeys: String, CodingKey {
        case tenant, appliedThrough = "applied_through", hubTime = "hub_time", lastMessageID = "last_message_id"
    }

    func validate() throws {
        try checkText(tenant, "tenant", max: 63, required: true)
        try check(appliedThrough >= 0, "applied_through", "must be ≥ 0")
        try checkDate(hubTime, "hub_time")
        try checkText(lastMessageID, "last_message_id", max: Limits.maxIDLength)
    }
}

/// Cumulative acknowledgement: every state-changing message up to `through` is applied.
public struct Ack: Codable, Sendable, Equatable, Validating {
    public var through: Int64

    public init(through: Int64) { self.through = through }

    func validate() throws {
        try check(through >= 0, "through", "must be ≥ 0")
    }
}

/// A refusal: a stable code, a Chinese explanation and technical detail. `re` names the message.
public struct ErrorBody: Codable, Sendable, Equatable, Validating {
    public var code: String
    public var message: String
    public var detail: String

    public init(_ error: ProtocolError) {
        code = error.code.rawValue
        message = error.chineseMessage
        detail = error.detail
    }

    func validate() throws {
        try checkText(code, "code", max: 40, required: true)
        try checkText(message, "message", max: 500)
        try checkText(detail, "detail", max: 2000)
    }
}

/// Node → hub: the 报备 fields of a lead, filing a claim on its enterprise.
public struct ClaimFile: Codable, Sendable, Equatable, Validating {
    public var leadRef: String
    public var investorName: String
    public var creditCode: String?
    public var projectName: String?
    public var industry: String?
    /// Total investment, 万元.
    public var investmentWan: Double?
    public var stage: String
    /// When the office first reported the lead (首报).
    public var reportedAt: String

    public init(leadRef: String, investorName: String, creditCode: String? = nil, projectName: String? = nil,
                industry: String? = nil, investmentWan: Double? = nil, stage: LeadStage, reportedAt: Date) {
        self.leadRef = leadRef
        self.investorName = investorName
        self.creditCode = creditCode
        self.projectName = projectName
        self.industry = industry
        self.investmentWan = investmentWan
        self.stage = stage.rawValue
        self.reportedAt = Timestamp.format(reportedAt)
    }

    enum CodingKeys: String, CodingKey {
        case leadRef = "lead_ref", investorName = "investor_name", creditCode = "credit_code"
        case projectName = "project_name", industry, investmentWan = "investment_wan", stage, reportedAt = "reported_at"
    }

    func validate() throws {
        try checkText(leadRef, "lead_ref", max: 100, required: true)
        try checkText(investorName, "investor_name", max: 200, required: true)
        try checkText(creditCode, "credit_code", max: 40)
        try checkText(projectName, "project_name", max: 200)
        try checkText(industry, "industry", max: 100)
        if let investmentWan { try check(investmentWan.isFinite && investmentWan >= 0 && investmentWan < 1e12, "investment_wan", "must be a non-negative number") }
        try check(LeadStage(rawValue: stage) != nil, "stage", "one of \(LeadStage.allCases.map(\.rawValue).joined(separator: ", "))")
        try checkDate(reportedAt, "reported_at")
    }
}

/// Node → hub: a lead moved to another stage.
public struct LeadStageChange: Codable, Sendable, Equatable, Validating {
    public var leadRef: String
    public var stage: String
    public var changedAt: String

    public init(leadRef: String, stage: LeadStage, changedAt: Date) {
        self.leadRef = leadRef
        self.stage = stage.rawValue
        self.changedAt = Timestamp.format(changedAt)
    }

    enum CodingKeys: String, CodingKey {
        case leadRef = "lead_ref", stage, changedAt = "changed_at"
    }

    func validate() throws {
        try checkText(leadRef, "lead_ref", max: 100, required: true)
        try check(LeadStage(rawValue: stage) != nil, "stage", "one of \(LeadStage.allCases.map(\.rawValue).joined(separator: ", "))")
        try checkDate(changedAt, "changed_at")
    }
}

/// Hub → node (1.1), in answer to `claims.resync`: one of the office's claims as the hub holds it,
/// so a node restored from an older backup gets back the leads it filed after that backup. The
/// node adds the lead if it lacks it; for a lead it has, it takes the stage only when it has no
/// stage change of its own still waiting to be delivered.
public struct ClaimRestore: Codable, Sendable, Equatable, Validating {
    /// The claim's fields as they were filed: at the body's top level, as in `claim.file`.
    public var claim: ClaimFile
    /// The claim's state as the hub stores it: one of `ClaimState.stored` (held, contested,
    /// settled, released, joint, taskforce, distinct).
    public var status: String

    public init(claim: ClaimFile, status: String) {
        self.claim = claim
        self.status = status
    }

    enum CodingKeys: String, CodingKey {
        case status
    }

    public init(from decoder: any Decoder) throws {
        claim = try ClaimFile(from: decoder)
        status = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .status)
    }

    public func encode(to encoder: any Encoder) throws {
        try claim.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(status, forKey: .status)
    }

    func validate() throws {
        try claim.validate()
        try check(ClaimState(rawValue: status)?.isStored == true, "status", "one of \(ClaimState.stored.map(\.rawValue).joined(separator: ", "))")
    }
}

/// Hub → node: what the hub decided about one of the office's claims.
public struct ClaimStatus: Codable, Sendable, Equatable, Validating {
    /// The one claim-state vocabulary (ConcordDomain): the stored states and the notice-only ones.
    public typealias Status = ClaimState

    /// A city decision on the conflict this claim was part of.
    public struct Decision: Codable, Sendable, Equatable {
        public var id: Int64
        /// award, transfer, joint, distinct, taskforce, reject.
        public var kind: String
        public var summary: String
        public var reason: String
        /// For this office: won, lost, transferred_in, transferred_out, joint, distinct, taskforce, rejected, upheld.
        public var outcome: String

        public init(id: Int64, kind: String, summary: String, reason: String, outcome: String) {
            (self.id, self.kind, self.summary, self.reason, self.outcome) = (id, kind, summary, reason, outcome)
        }
    }

    public struct Duplicate: Codable, Sendable, Equatable {
        public var office: String
        public var score: Double
        public var reasons: [String]

        public init(office: String, score: Double, reasons: [String]) {
            self.office = office
            self.score = score
            self.reasons = reasons
        }
    }

    public var leadRef: String
    public var status: Status
    /// For `contested`: the office holding the enterprise and since when. For the holder told that
    /// others contest it: the holder fields name itself and `contestedBy` lists the others.
    public var holderOffice: String?
    public var holderSince: String?
    public var conflictID: Int64?
    public var contestedBy: [String]?
    /// Other offices' claims that may be the same enterprise (for a coordinator; blocks nobody).
    public var possibleDuplicates: [Duplicate]?
    public var decision: Decision?

    public init(leadRef: String, status: Status, holderOffice: String? = nil, holderSince: Date? = nil,
                conflictID: Int64? = nil, contestedBy: [String]? = nil, possibleDuplicates: [Duplicate]? = nil,
                decision: Decision? = nil) {
        self.decision = decision
        self.leadRef = leadRef
        self.status = status
        self.holderOffice = holderOffice
        self.holderSince = holderSince.map(Timestamp.format)
        self.conflictID = conflictID
        self.contestedBy = contestedBy
        self.possibleDuplicates = possibleDuplicates
    }

    enum CodingKeys: String, CodingKey {
        case leadRef = "lead_ref", status, holderOffice = "holder_office", holderSince = "holder_since"
        case conflictID = "conflict_id", contestedBy = "contested_by", possibleDuplicates = "possible_duplicates", decision
    }

    func validate() throws {
        try checkText(leadRef, "lead_ref", max: 100, required: true)
        try checkText(holderOffice, "holder_office", max: 63)
        try checkDate(holderSince, "holder_since")
    }
}

/// Node → hub: is anyone pursuing this enterprise? Answered at once with `check.result`.
public struct Check: Codable, Sendable, Equatable, Validating {
    public var name: String
    public var creditCode: String?

    public init(name: String, creditCode: String? = nil) {
        self.name = name
        self.creditCode = creditCode
    }

    enum CodingKeys: String, CodingKey {
        case name, creditCode = "credit_code"
    }

    func validate() throws {
        try checkText(name, "name", max: 200, required: true)
        try checkText(creditCode, "credit_code", max: 40)
    }
}

/// Hub → node: the answer to `check`. It says whether an office pursues the enterprise and since
/// when, never which office or its lead (offices see only their own leads).
public struct CheckResult: Codable, Sendable, Equatable, Validating {
    public enum Verdict: String, Codable, Sendable {
        /// No office pursues it.
        case free
        /// An office (possibly the asker) pursues the same enterprise.
        case pursued
        /// An office pursues an enterprise that may be the same; a coordinator would decide.
        case possiblyPursued = "possibly_pursued"
    }

    public var verdict: Verdict
    public var since: String?
    /// True when the pursuing office is the asker itself.
    public var ownOffice: Bool
    public var reasons: [String]

    public init(verdict: Verdict, since: Date? = nil, ownOffice: Bool = false, reasons: [String] = []) {
        self.verdict = verdict
        self.since = since.map(Timestamp.format)
        self.ownOffice = ownOffice
        self.reasons = reasons
    }

    enum CodingKeys: String, CodingKey {
        case verdict, since, ownOffice = "own_office", reasons
    }

    func validate() throws {
        try checkDate(since, "since")
    }
}

/// Hub → node: the city offers the office a city-level lead, with deadlines to respond and assess.
public struct AssignmentOffer: Codable, Sendable, Equatable, Validating {
    public var assignmentID: Int64
    public var cityLead: String
    public var investorName: String
    public var creditCode: String?
    public var projectName: String?
    public var industry: String?
    public var investmentWan: Double?
    public var landMu: Double?
    public var note: String?
    /// Why this county was recommended (score and factors), in Chinese.
    public var explanation: String
    public var offeredAt: String
    public var respondBy: String
    public var assessBy: String

    public init(assignmentID: Int64, cityLead: String, investorName: String, creditCode: String?, projectName: String?,
                industry: String?, investmentWan: Double?, landMu: Double?, note: String?, explanation: String,
                offeredAt: Date, respondBy: Date, assessBy: Date) {
        (self.assignmentID, self.cityLead, self.investorName, self.creditCode) = (assignmentID, cityLead, investorName, creditCode)
        (self.projectName, self.industry, self.investmentWan, self.landMu) = (projectName, industry, investmentWan, landMu)
        (self.note, self.explanation) = (note, explanation)
        (self.offeredAt, self.respondBy, self.assessBy) = (Timestamp.format(offeredAt), Timestamp.format(respondBy), Timestamp.format(assessBy))
    }

    enum CodingKeys: String, CodingKey {
        case assignmentID = "assignment_id", cityLead = "city_lead", investorName = "investor_name", creditCode = "credit_code"
        case projectName = "project_name", industry, investmentWan = "investment_wan", landMu = "land_mu", note, explanation
        case offeredAt = "offered_at", respondBy = "respond_by", assessBy = "assess_by"
    }

    func validate() throws {
        try check(assignmentID >= 1, "assignment_id", "must be ≥ 1")
        try checkText(cityLead, "city_lead", max: 64, required: true)
        try checkText(investorName, "investor_name", max: 200, required: true)
        try checkText(note, "note", max: 2000)
        try checkText(explanation, "explanation", max: 4000)
        for (field, value) in [("offered_at", offeredAt), ("respond_by", respondBy), ("assess_by", assessBy)] {
            try checkText(value, field, max: 40, required: true)
            try checkDate(value, field)
        }
    }
}

/// Node → hub: the office accepts or declines an offered city lead (a decline needs a reason).
public struct AssignmentReply: Codable, Sendable, Equatable, Validating {
    public var assignmentID: Int64
    public var accept: Bool
    public var reason: String?
    public var repliedAt: String

    public init(assignmentID: Int64, accept: Bool, reason: String?, repliedAt: Date) {
        self.assignmentID = assignmentID
        self.accept = accept
        self.reason = reason
        self.repliedAt = Timestamp.format(repliedAt)
    }

    enum CodingKeys: String, CodingKey {
        case assignmentID = "assignment_id", accept, reason, repliedAt = "replied_at"
    }

    func validate() throws {
        try check(assignmentID >= 1, "assignment_id", "must be ≥ 1")
        try checkText(reason, "reason", max: 2000)
        if !accept { try check(!(reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty, "reason", "a decline needs a reason") }
        try checkDate(repliedAt, "replied_at")
    }
}

/// Subscriber → hub: events after `after` that the subscriber is granted (and, if given, that match
/// `topics`), at most `max`; when there are none the hub waits up to `waitMs` for new ones.
public struct FeedFetch: Codable, Sendable, Equatable, Validating {
    public var after: Int64
    public var topics: [String]?
    public var max: Int
    public var waitMs: Int
    /// (1.2) Payload values typed: identifiers as JSON integers, amounts as JSON numbers
    /// (`FeedValue.integerKeys`, `FeedValue.numberKeys`); otherwise every value is a string.
    public var typed: Bool?

    public init(after: Int64, topics: [String]? = nil, max: Int = 500, waitMs: Int = 20_000, typed: Bool? = nil) {
        (self.after, self.topics, self.max, self.waitMs, self.typed) = (after, topics, max, waitMs, typed)
    }

    enum CodingKeys: String, CodingKey {
        case after, topics, max, waitMs = "wait_ms", typed
    }

    func validate() throws {
        try check(after >= 0, "after", "must be ≥ 0")
        try check((1...500).contains(max), "max", "1…500")
        try check((0...25_000).contains(waitMs), "wait_ms", "0…25000")
        try check((topics?.count ?? 0) <= 50, "topics", "at most 50")
        for topic in topics ?? [] { try check(TopicPattern(topic) != nil, "topics", "not a topic pattern: \(topic)") }
    }
}

/// Hub → subscriber: the answer to `feed.fetch`, in order. `through` is the last sequence number the
/// hub examined for this reader: the next fetch asks after it (events in between were not granted).
public struct FeedBatch: Codable, Sendable, Equatable, Validating {
    public struct Event: Codable, Sendable, Equatable {
        public var seq: Int64
        public var topic: String
        public var county: String?
        public var recordedAt: String
        public var payload: [String: FeedValue]

        /// `typed` (a 1.2 fetch that asked for it): identifiers and amounts as JSON numbers.
        public init(seq: Int64, topic: String, county: String?, recordedAt: Date, payload: [String: String], typed: Bool = false) {
            (self.seq, self.topic, self.county, self.recordedAt) = (seq, topic, county, Timestamp.format(recordedAt))
            self.payload = payload.reduce(into: [:]) { out, pair in
                out[pair.key] = typed ? FeedValue.typed(key: pair.key, pair.value) : .string(pair.value)
            }
        }

        enum CodingKeys: String, CodingKey {
            case seq, topic, county, recordedAt = "recorded_at", payload
        }
    }

    public var events: [Event]
    public var through: Int64
    public var head: Int64

    public init(events: [Event], through: Int64, head: Int64) {
        (self.events, self.through, self.head) = (events, through, head)
    }

    func validate() throws {
        try check(through >= 0 && head >= 0, "through", "must be ≥ 0")
    }
}

/// A feed payload value. Up to 1.1, and in 1.2 unless the fetch asks `typed`, every value is a
/// string; a typed fetch gets identifiers as integers and amounts as numbers.
public enum FeedValue: Codable, Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case number(Double)

    /// Keys holding an identifier (the hub's number for a project, conflict, decision, assignment).
    public static let integerKeys: Set<String> = ["claim", "conflict", "decision", "assignment"]
    /// Keys holding an amount (万元, 亩).
    public static let numberKeys: Set<String> = ["investment_wan", "land_mu"]

    /// The value of `key` as a typed fetch receives it; text that does not parse stays a string.
    public static func typed(key: String, _ text: String) -> FeedValue {
        if integerKeys.contains(key), let value = Int64(text) { return .integer(value) }
        if numberKeys.contains(key), let value = Double(text), value.isFinite { return .number(value) }
        return .string(text)
    }

    /// The value as text, whichever way it came.
    public var text: String {
        switch self {
        case .string(let text): return text
        case .integer(let value): return String(value)
        case .number(let value): return String(value)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else {
            self = .number(try container.decode(Double.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let text): try container.encode(text)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        }
    }
}

/// Review verdicts of approval departments.
public enum OpinionVerdict: String, Codable, Sendable, CaseIterable {
    case approve, conditional, reject

    public var chineseName: String {
        switch self {
        case .approve: return "同意"
        case .conditional: return "有条件同意"
        case .reject: return "不同意"
        }
    }

    public init?(text: String) {
        if let verdict = OpinionVerdict(rawValue: text) { self = verdict; return }
        guard let verdict = OpinionVerdict.allCases.first(where: { $0.chineseName == text }) else { return nil }
        self = verdict
    }
}

/// Department → hub: a review opinion on a project (a claim the department saw in its feed). The
/// department picks `opinion_id` and repeats the message until it gets `opinion.result`: the hub
/// records an id once, so a repeat changes nothing.
public struct OpinionAdd: Codable, Sendable, Equatable, Validating {
    public var opinionID: String
    public var claim: Int64
    public var verdict: OpinionVerdict
    public var text: String
    public var conditions: String?

    public init(opinionID: String, claim: Int64, verdict: OpinionVerdict, text: String, conditions: String?) {
        (self.opinionID, self.claim, self.verdict, self.text, self.conditions) = (opinionID, claim, verdict, text, conditions)
    }

    enum CodingKeys: String, CodingKey {
        case opinionID = "opinion_id", claim, verdict, text, conditions
    }

    func validate() throws {
        try check(UUID(uuidString: opinionID) != nil, "opinion_id", "must be a UUID")
        try check(claim >= 1, "claim", "must be ≥ 1")
        try checkText(text, "text", max: 4000, required: true)
        try checkText(conditions, "conditions", max: 4000)
        if verdict == .conditional { try check(!(conditions ?? "").isEmpty, "conditions", "a conditional approval names its conditions") }
    }
}

/// Hub → department: the opinion is recorded (`repeated` when it had been already).
public struct OpinionResult: Codable, Sendable, Equatable, Validating {
    public var opinionID: String
    public var repeated: Bool

    public init(opinionID: String, repeated: Bool) { (self.opinionID, self.repeated) = (opinionID, repeated) }

    enum CodingKeys: String, CodingKey { case opinionID = "opinion_id", repeated }
}

/// Hub → node, state-changing: a department's opinion on one of the office's leads.
public struct OpinionNotice: Codable, Sendable, Equatable, Validating {
    public var opinionID: String
    public var leadRef: String
    public var department: String
    public var departmentName: String
    public var verdict: OpinionVerdict
    public var text: String
    public var conditions: String?
    public var givenAt: String

    public init(opinionID: String, leadRef: String, department: String, departmentName: String, verdict: OpinionVerdict,
                text: String, conditions: String?, givenAt: Date) {
        (self.opinionID, self.leadRef, self.department, self.departmentName) = (opinionID, leadRef, department, departmentName)
        (self.verdict, self.text, self.conditions, self.givenAt) = (verdict, text, conditions, Timestamp.format(givenAt))
    }

    enum CodingKeys: String, CodingKey {
        case opinionID = "opinion_id", leadRef = "lead_ref", department, departmentName = "department_name", verdict, text
        case conditions, givenAt = "given_at"
    }

    func validate() throws {
        try checkText(leadRef, "lead_ref", max: 100, required: true)
        try checkDate(givenAt, "given_at")
    }
}

/// Hub → node: the combined review status of one of the office's projects, whole (it replaces the
/// previous one), sent whenever it changes.
public struct ReviewStatusNotice: Codable, Sendable, Equatable, Validating {
    public struct Entry: Codable, Sendable, Equatable {
        public var department: String
        public var departmentName: String
        public var since: String
        public var answeredAt: String?
        public var verdict: OpinionVerdict?

        public init(department: String, departmentName: String, since: Date, answeredAt: Date?, verdict: OpinionVerdict?) {
            (self.department, self.departmentName, self.verdict) = (department, departmentName, verdict)
            (self.since, self.answeredAt) = (Timestamp.format(since), answeredAt.map(Timestamp.format))
        }

        enum CodingKeys: String, CodingKey {
            case department, departmentName = "department_name", since, answeredAt = "answered_at", verdict
        }
    }

    public var leadRef: String
    public var departments: [Entry]

    public init(leadRef: String, departments: [Entry]) {
        (self.leadRef, self.departments) = (leadRef, departments)
    }

    enum CodingKeys: String, CodingKey {
        case leadRef = "lead_ref", departments
    }

    func validate() throws {
        try checkText(leadRef, "lead_ref", max: 100, required: true)
        guard departments.count <= 200 else { throw ProtocolError(.invalidField, "departments: at most 200") }
        for entry in departments {
            try checkText(entry.department, "department", max: 63, required: true)
            try checkText(entry.departmentName, "department_name", max: 200, required: true)
            try checkDate(entry.since, "since")
            if let answered = entry.answeredAt { try checkDate(answered, "answered_at") }
        }
    }
}
