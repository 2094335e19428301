/// The one vocabulary of claim states: what the hub stores for an office's claim on an enterprise,
/// plus the two states it only ever tells an office (`held_by_own_office`, `lapsed`). Notices
/// (`claim.status`), `claim.restore`, the conflict desk, the node and both consoles all speak it.
public enum ClaimState: String, CaseIterable, Sendable, Codable {
    /// The office holds the enterprise (首报首谈 protection, or awarded, or moved up).
    case held
    /// Another office holds the enterprise; this claim waits for the city's ruling.
    case contested
    /// The project produces (投产): the holding is final.
    case settled
    /// The office no longer pursues the enterprise: dropped (终止), lost, transferred out, rejected
    /// or lapsed (the claim's decision outcome says which).
    case released
    /// Pursued jointly with other offices by a ruling (联合招引).
    case joint
    /// The city's task force (专班) took the project over.
    case taskforce
    /// Ruled a different project of the same investor: it proceeds on its own.
    case distinct
    /// Notice only: another lead of the same office already holds the enterprise.
    case heldByOwnOffice = "held_by_own_office"
    /// Notice only: the protection window ran out with no progress; stored as `released`.
    case lapsed

    /// The states a claim row at the hub can be in.
    public static let stored: [ClaimState] = [.held, .contested, .settled, .released, .joint, .taskforce, .distinct]

    public var isStored: Bool { ClaimState.stored.contains(self) }

    /// The state as the hub stores it (`held_by_own_office` is a held claim, `lapsed` a released one).
    public var stored: ClaimState {
        switch self {
        case .heldByOwnOffice: return .held
        case .lapsed: return .released
        default: return self
        }
    }

    /// The office pursues the enterprise in this state (it counts as one of its open projects).
    public var isPursuing: Bool {
        switch self {
        case .held, .heldByOwnOffice, .contested, .joint, .distinct: return true
        case .settled, .released, .taskforce, .lapsed: return false
        }
    }

    /// What officers and coordinators read, short (badges, tables).
    public var label: String {
        switch self {
        case .held: return "占有"
        case .contested: return "撞单待裁决"
        case .settled: return "已投产"
        case .released: return "已释放"
        case .joint: return "联合招引"
        case .taskforce: return "市级专班接手"
        case .distinct: return "不同项目，各自推进"
        case .heldByOwnOffice: return "本区县另一线索已占有"
        case .lapsed: return "保护期已过，已失去占有"
        }
    }

    /// Which stage changes an office may still make to a lead whose claim is in this state.
    public var stageChanges: StageChanges {
        switch self {
        case .held, .heldByOwnOffice, .joint, .distinct, .settled: return .any
        // 首报首谈: an office waiting on another's protected claim does not negotiate; it may drop.
        // A lost, transferred-out, rejected or lapsed lead may only be closed in the office's books.
        case .contested, .released, .lapsed: return .dropOnly
        case .taskforce: return .none
        }
    }

    public enum StageChanges: Sendable, Equatable {
        case any, dropOnly, none
    }

    /// Accepts the wire value or the Chinese label.
    public init?(text: String) {
        if let state = ClaimState(rawValue: text) {
            self = state
        } else if let state = ClaimState.allCases.first(where: { $0.label == text }) {
            self = state
        } else {
            return nil
        }
    }
}

/// What a city ruling (or a lapse) made of one office's claim.
public enum DecisionOutcome: String, CaseIterable, Sendable, Codable {
    case won, lost
    case transferredIn = "transferred_in", transferredOut = "transferred_out"
    case joint, distinct, taskforce, rejected, upheld, lapsed

    public var label: String {
        switch self {
        case .won: return "判归本区县"
        case .lost: return "判归他区县"
        case .transferredIn: return "流转至本区县"
        case .transferredOut: return "已流转出"
        case .joint: return "联合招引"
        case .distinct: return "不同项目"
        case .taskforce: return "专班接手"
        case .rejected: return "本报备被驳回"
        case .upheld: return "维持"
        case .lapsed: return "保护期失效"
        }
    }
}
