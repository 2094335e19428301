/// The lifecycle of an investment lead: 线索 → 洽谈 → 签约 → 注册 → 建设 → 投产, or 终止 from any
/// stage before 投产.
///
/// A lead moves forward one stage at a time (a project that needs no new registration records 注册
/// the day it signs), or is dropped. 投产 and 终止 are final: a dropped project that revives is filed
/// again, so its first-report date is honest.
public enum LeadStage: String, CaseIterable, Sendable, Codable, Comparable {
    case lead = "lead"
    case negotiating = "negotiating"
    case signed = "signed"
    case registered = "registered"
    case construction = "construction"
    case production = "production"
    case dropped = "dropped"

    /// What officers call it.
    public var chineseName: String {
        switch self {
        case .lead: return "线索"
        case .negotiating: return "洽谈"
        case .signed: return "签约"
        case .registered: return "注册"
        case .construction: return "建设"
        case .production: return "投产"
        case .dropped: return "终止"
        }
    }

    /// Accepts the English code or the Chinese name.
    public init?(text: String) {
        if let stage = LeadStage(rawValue: text.lowercased()) {
            self = stage
        } else if let stage = LeadStage.allCases.first(where: { $0.chineseName == text }) {
            self = stage
        } else {
            return nil
        }
    }

    /// The order of the forward path; `dropped` stands outside it.
    var order: Int {
        switch self {
        case .lead: return 0
        case .negotiating: return 1
        case .signed: return 2
        case .registered: return 3
        case .construction: return 4
        case .production: return 5
        case .dropped: return 6
        }
    }

    public static func < (a: LeadStage, b: LeadStage) -> Bool { a.order < b.order }

    public var isFinal: Bool { self == .production || self == .dropped }

    /// The stage after this one on the forward path, if any.
    public var next: LeadStage? {
        switch self {
        case .lead: return .negotiating
        case .negotiating: return .signed
        case .signed: return .registered
        case .registered: return .construction
        case .construction: return .production
        case .production, .dropped: return nil
        }
    }

    /// What a stage means for the office's claim on the enterprise at the hub.
    public enum ClaimEffect: String, Sendable {
        /// The office pursues the enterprise: the claim is held (or contested).
        case active
        /// The project is producing: the claim is settled and stays with its office.
        case settled
        /// The project was dropped: the claim is released and another office may take the enterprise.
        case released
    }

    public var claimEffect: ClaimEffect {
        switch self {
        case .production: return .settled
        case .dropped: return .released
        default: return .active
        }
    }

    public enum TransitionError: Error, Equatable, Sendable {
        case final(LeadStage)
        case notNext(from: LeadStage, to: LeadStage, expected: LeadStage)
        case backward(from: LeadStage, to: LeadStage)
        case unchanged(LeadStage)
        /// The office's claim no longer lets it change the lead (released, lapsed, taken over).
        case claimClosed(ClaimState)
        /// The office waits on another office's protected claim: it may only drop the lead.
        case contested(to: LeadStage)

        public var code: String {
            switch self {
            case .final: return "STAGE_FINAL"
            case .notNext: return "STAGE_SKIPPED"
            case .backward: return "STAGE_BACKWARD"
            case .unchanged: return "STAGE_UNCHANGED"
            case .claimClosed: return "CLAIM_CLOSED"
            case .contested: return "CLAIM_CONTESTED"
            }
        }

        public var explanation: String {
            switch self {
            case .final(let stage):
                return "线索已处于「\(stage.chineseName)」，不能再变更阶段；如项目重启，请重新报备"
            case .notNext(let from, let to, let expected):
                return "不能从「\(from.chineseName)」直接变为「\(to.chineseName)」，下一阶段应为「\(expected.chineseName)」（或「终止」）"
            case .backward(let from, let to):
                return "阶段不能倒退：线索已处于「\(from.chineseName)」，不能改回「\(to.chineseName)」"
            case .unchanged(let stage):
                return "线索已经处于「\(stage.chineseName)」"
            case .claimClosed(let state):
                return "本区县对该企业的报备已是「\(state.label)」，线索不能再推进（可终止以结案）"
            case .contested(let to):
                return "该企业由他区县首报在先，撞单待市级裁决：裁决前只能「终止」，不能推进到「\(to.chineseName)」"
            }
        }
    }

    /// Checks a stage change: forward one stage, or to 终止 from any non-final stage.
    public func transition(to target: LeadStage) -> Result<LeadStage, TransitionError> {
        if target == self { return .failure(.unchanged(self)) }
        if isFinal { return .failure(.final(self)) }
        if target == .dropped || target == next { return .success(target) }
        if target < self { return .failure(.backward(from: self, to: target)) }
        return .failure(.notNext(from: self, to: target, expected: next!))
    }
}

/// The lead lifecycle rule, written once; the node (before it sends) and the hub (before it
/// applies) both ask it.
///
/// - A lead moves forward one stage at a time: 线索 → 洽谈 → 签约 → 注册 → 建设 → 投产. Skipping a
///   stage is refused (`STAGE_SKIPPED`), going back too (`STAGE_BACKWARD`); a project that needs no
///   new registration records 注册 the day it signs. A lead may be filed at any stage.
/// - 终止 is allowed from any stage before 投产. 投产 and 终止 are final (`STAGE_FINAL`): a dropped
///   project that revives is filed again, so its first-report date is honest.
/// - The office's claim closes the lead: released (lost, transferred out, rejected, lapsed) allows
///   only 终止, to close it in the office's books, and taken over by the city's task force allows no
///   change (`CLAIM_CLOSED`); contested (another office reported first and the city has not ruled)
///   allows only 终止 (`CLAIM_CONTESTED`, 首报首谈).
///   Held, joint, distinct and settled claims allow every forward move. A claim the hub has not yet
///   answered (`nil`) is checked by the stage rule alone: the hub checks it again.
public enum LeadLifecycle {
    /// Whether an applied change renews the claim's 首报首谈 protection window (counted from the
    /// hub's receipt of the change): only a move forward on the path does. 终止 releases the claim,
    /// and no other move is allowed, so no change can keep a claim protected without progress.
    public static func renewsProtection(from current: LeadStage, to target: LeadStage) -> Bool {
        target != .dropped && current != .dropped && current < target
    }

    public static func check(from current: LeadStage, to target: LeadStage, claim: ClaimState?) -> Result<LeadStage, LeadStage.TransitionError> {
        if let claim {
            switch claim.stageChanges {
            case .none where target != current: return .failure(.claimClosed(claim))
            case .dropOnly where target != .dropped && target != current:
                return .failure(claim == .contested ? .contested(to: target) : .claimClosed(claim))
            default: break
            }
        }
        return current.transition(to: target)
    }
}
