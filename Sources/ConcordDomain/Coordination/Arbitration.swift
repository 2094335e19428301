import Foundation

/// What the city decides about a conflict (撞单). Mirrors the outcomes cities publish: award to the
/// first reporter, transfer (流转) with a benefit split, joint pursuit, distinct projects, a city
/// task force (专班), or rejecting one claim.
public enum ArbitrationDecision: Sendable, Equatable {
    case award(office: String)
    /// The project moves from one office to another; local tax retained is split `fromShare:toShare`
    /// for `years`, and output is counted by both.
    case transfer(from: String, to: String, fromShare: Int, toShare: Int, years: Int)
    /// Both pursue together with the given shares (same order as `offices`).
    case joint(offices: [String], shares: [Int])
    /// Different projects of the same investor: both proceed.
    case distinct
    /// The city's task force takes the project over.
    case taskforce
    /// One claim is out of scope; the others stand.
    case reject(claimID: Int64)

    public var kind: String {
        switch self {
        case .award: return "award"
        case .transfer: return "transfer"
        case .joint: return "joint"
        case .distinct: return "distinct"
        case .taskforce: return "taskforce"
        case .reject: return "reject"
        }
    }

    public var chineseName: String {
        switch self {
        case .award: return "判归首报"
        case .transfer: return "流转"
        case .joint: return "联合招引"
        case .distinct: return "不同项目，各自推进"
        case .taskforce: return "市级专班接手"
        case .reject: return "驳回"
        }
    }

    /// A one-line description an officer reads.
    public var summary: String {
        switch self {
        case .award(let office): return "判归 \(office)"
        case .transfer(let from, let to, let a, let b, let years):
            return "由 \(from) 流转至 \(to)，地方留成税收 \(a):\(b) 分成 \(years) 年，产值双方共同统计"
        case .joint(let offices, let shares):
            return "\(offices.joined(separator: "、")) 联合招引，分成 \(shares.map(String.init).joined(separator: ":"))"
        case .distinct: return "认定为同一投资方的不同项目，各自推进"
        case .taskforce: return "由市级专班接手"
        case .reject(let claim): return "驳回报备 #\(claim)"
        }
    }
}

/// One claim in a conflict, as the rules see it.
public struct ConflictParty: Sendable, Equatable {
    public let claimID: Int64
    public let office: String
    /// When the hub received the claim's filing: 首报 is decided by the hub's clock, never by a
    /// date the office sends.
    public let receivedAt: Date
    public let lastProgressAt: Date?
    public let stage: LeadStage
    public let investmentWan: Double?

    public init(claimID: Int64, office: String, receivedAt: Date, lastProgressAt: Date? = nil,
                stage: LeadStage = .lead, investmentWan: Double? = nil) {
        self.claimID = claimID
        self.office = office
        self.receivedAt = receivedAt
        self.lastProgressAt = lastProgressAt
        self.stage = stage
        self.investmentWan = investmentWan
    }
}

/// What the rules recommend, with the reasons a coordinator reads.
public struct Recommendation: Sendable, Equatable {
    public let decision: ArbitrationDecision
    public let reasons: [String]
}

/// Why a decision is refused. Stable codes, Chinese explanations.
public enum ArbitrationError: Error, Equatable, Sendable {
    case notCoordinator(String)
    case alreadyDecided(decisionID: Int64)
    case wrongSupersede(current: Int64?, given: Int64)
    case notAParty(String)
    case badSplit(String)
    case taskforceRequired(investmentWan: Double, thresholdWan: Double)
    case reasonRequired
    case unknownClaim(Int64)

    public var code: String {
        switch self {
        case .notCoordinator: return "NOT_COORDINATOR"
        case .alreadyDecided: return "ALREADY_DECIDED"
        case .wrongSupersede: return "WRONG_SUPERSEDE"
        case .notAParty: return "NOT_A_PARTY"
        case .badSplit: return "BAD_SPLIT"
        case .taskforceRequired: return "TASKFORCE_REQUIRED"
        case .reasonRequired: return "REASON_REQUIRED"
        case .unknownClaim: return "UNKNOWN_CLAIM"
        }
    }

    public var explanation: String {
        switch self {
        case .notCoordinator(let who): return "\(who) 不是市级协调人员，不能裁决撞单"
        case .alreadyDecided(let id): return "该撞单已有裁决 #\(id)；如需改判，请用 --supersedes \(id) 明确取代"
        case .wrongSupersede(let current, let given):
            return current.map { "只能取代当前有效的裁决 #\($0)，而不是 #\(given)" } ?? "该撞单尚无裁决，无需取代 #\(given)"
        case .notAParty(let office): return "\(office) 不是该撞单的当事区县"
        case .badSplit(let detail): return "分成比例不合法：\(detail)"
        case .taskforceRequired(let investment, let threshold):
            return String(format: "项目总投资 %.0f 万元，达到专班门槛 %.0f 万元，须由市级专班接手（taskforce）", investment, threshold)
        case .reasonRequired: return "裁决必须写明理由（--reason）"
        case .unknownClaim(let id): return "报备 #\(id) 不属于该撞单"
        }
    }
}

/// The arbitration rules: pure, given the parties, the policy and the time.
public enum ArbitrationRules {
    /// First valid report wins: the earliest-reported claim whose protection has not lapsed. Above
    /// the task-force threshold the city takes over.
    public static func recommend(_ parties: [ConflictParty], policy: ProtectionPolicy, now: Date) -> Recommendation {
        let largest = parties.compactMap(\.investmentWan).max() ?? 0
        if largest >= policy.taskforceThresholdWan {
            return Recommendation(decision: .taskforce, reasons: [
                String(format: "总投资 %.0f 万元，达到专班门槛 %.0f 万元：由市级专班接手", largest, policy.taskforceThresholdWan),
            ])
        }
        let ordered = parties.sorted { ($0.receivedAt, $0.claimID) < ($1.receivedAt, $1.claimID) }
        var reasons: [String] = []
        for party in ordered {
            if policy.isLapsed(receivedAt: party.receivedAt, lastProgressAt: party.lastProgressAt, now: now) {
                let until = policy.protectedUntil(receivedAt: party.receivedAt, lastProgressAt: party.lastProgressAt)
                reasons.append("\(party.office) 首报于 \(day(party.receivedAt))，但自 \(day(until)) 起超过 \(policy.windowDays) 天无进展，保护已失效")
                continue
            }
            reasons.append("\(party.office) 于 \(day(party.receivedAt)) 首报，在 \(policy.windowDays) 天保护期内（首报首谈）")
            let later = ordered.filter { $0.claimID != party.claimID && $0.receivedAt >= party.receivedAt }
            for other in later where other.office != party.office {
                reasons.append("\(other.office) 报备于 \(day(other.receivedAt))，晚于首报")
            }
            return Recommendation(decision: .award(office: party.office), reasons: reasons)
        }
        reasons.append("所有报备的保护期均已失效：由协调人员根据各区县条件决定")
        return Recommendation(decision: .award(office: ordered.first?.office ?? ""), reasons: reasons)
    }

    /// Checks a decision before it is recorded.
    public static func validate(_ decision: ArbitrationDecision, parties: [ConflictParty], reason: String,
                                currentDecision: Int64?, supersedes: Int64?, policy: ProtectionPolicy) -> ArbitrationError? {
        if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return .reasonRequired }
        switch (currentDecision, supersedes) {
        case (let current?, nil): return .alreadyDecided(decisionID: current)
        case (let current, let given?) where current != given: return .wrongSupersede(current: current, given: given)
        default: break
        }
        let offices = Set(parties.map(\.office))
        let largest = parties.compactMap(\.investmentWan).max() ?? 0
        if largest >= policy.taskforceThresholdWan, decision != .taskforce, !isReject(decision) {
            return .taskforceRequired(investmentWan: largest, thresholdWan: policy.taskforceThresholdWan)
        }
        switch decision {
        case .award(let office):
            if !offices.contains(office) { return .notAParty(office) }
        case .transfer(let from, let to, let a, let b, let years):
            // The receiving county must have its own claim to take over (a county outside the
            // conflict is reached by city dispatch instead).
            if !offices.contains(from) { return .notAParty(from) }
            if !offices.contains(to) || to == from { return .notAParty(to) }
            if a < 0 || b < 0 || a + b != 100 { return .badSplit("\(a):\(b) 之和应为 100") }
            if !(1...20).contains(years) { return .badSplit("年限应在 1 到 20 年之间") }
        case .joint(let members, let shares):
            if let outsider = members.first(where: { !offices.contains($0) }) { return .notAParty(outsider) }
            if members.count < 2 || Set(members).count != members.count { return .badSplit("联合招引需要至少两个不同的区县") }
            if shares.count != members.count || shares.contains(where: { $0 <= 0 }) || shares.reduce(0, +) != 100 {
                return .badSplit("\(shares.map(String.init).joined(separator: ":")) 应为每个区县一个正数，之和为 100")
            }
        case .reject(let claim):
            if !parties.contains(where: { $0.claimID == claim }) { return .unknownClaim(claim) }
        case .distinct, .taskforce:
            break
        }
        return nil
    }

    static func isReject(_ decision: ArbitrationDecision) -> Bool {
        if case .reject = decision { return true }
        return false
    }

    static func day(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        return formatter.string(from: date)
    }

    /// Parses "60:40" into shares.
    public static func shares(_ text: String) -> [Int]? {
        let parts = text.split(separator: ":").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count >= 2, parts.allSatisfy({ $0 != nil }) else { return nil }
        return parts.map { $0! }
    }
}

extension ArbitrationDecision {
    /// Builds a decision from its kind and targets as a coordinator writes them (the CLI's
    /// arguments, the console's form): award OFFICE | transfer FROM TO | joint A,B | distinct |
    /// taskforce | reject CLAIM. Returns the problem, in Chinese, when they do not fit.
    public static func parse(kind: String, targets: [String], split: String?, years: Int) -> Result<ArbitrationDecision, ArbitrationInputError> {
        func need(_ count: Int) -> ArbitrationInputError? {
            targets.count == count ? nil : ArbitrationInputError("\(kind) 需要 \(count) 个对象，实际给了 \(targets.count) 个")
        }
        switch kind {
        case "award":
            if let error = need(1) { return .failure(error) }
            return .success(.award(office: targets[0]))
        case "transfer":
            if let error = need(2) { return .failure(error) }
            guard let shares = ArbitrationRules.shares(split ?? "50:50"), shares.count == 2 else {
                return .failure(ArbitrationInputError("分成比例应为两个数，如 50:50"))
            }
            guard (1...20).contains(years) else { return .failure(ArbitrationInputError("分成年限应为 1 到 20 年")) }
            return .success(.transfer(from: targets[0], to: targets[1], fromShare: shares[0], toShare: shares[1], years: years))
        case "joint":
            if let error = need(1) { return .failure(error) }
            let offices = targets[0].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            // Equal shares that add up to 100 (the first offices take the remainder: 34:33:33).
            let count = max(1, offices.count)
            let even = (0..<offices.count).map { String(100 / count + ($0 < 100 % count ? 1 : 0)) }.joined(separator: ":")
            guard let shares = ArbitrationRules.shares(split ?? even) else {
                return .failure(ArbitrationInputError("分成比例应如 60:40"))
            }
            return .success(.joint(offices: offices, shares: shares))
        case "distinct":
            if let error = need(0) { return .failure(error) }
            return .success(.distinct)
        case "taskforce":
            if let error = need(0) { return .failure(error) }
            return .success(.taskforce)
        case "reject":
            if let error = need(1) { return .failure(error) }
            guard let claim = Int64(targets[0]) else { return .failure(ArbitrationInputError("驳回需要报备编号（数字）")) }
            return .success(.reject(claimID: claim))
        default:
            return .failure(ArbitrationInputError("未知的裁决：\(kind)（award transfer joint distinct taskforce reject）"))
        }
    }
}

public struct ArbitrationInputError: Error, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
}
