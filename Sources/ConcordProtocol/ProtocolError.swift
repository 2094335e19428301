/// Why a message was refused. Every code is stable and sent back in an `error` message with a
/// Chinese explanation; the connection stays usable and nothing is applied.
public struct ProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Codable, CaseIterable {
        /// The first frame is not `CONCORD/<version>`.
        case notConcord = "NOT_CONCORD"
        /// `CONCORD/<n>` with a version this peer does not speak.
        case unsupportedVersion = "UNSUPPORTED_VERSION"
        /// Not exactly two frames after the routing envelope.
        case malformedFrames = "MALFORMED_FRAMES"
        /// The envelope frame is larger than `Limits.maxEnvelopeBytes`.
        case tooLarge = "MESSAGE_TOO_LARGE"
        /// The envelope is not a JSON object with the required fields.
        case malformedEnvelope = "MALFORMED_ENVELOPE"
        /// The `type` is not one this version defines.
        case unknownType = "UNKNOWN_TYPE"
        /// A state-changing message without a sequence number.
        case missingSequence = "MISSING_SEQ"
        /// The body does not match the message type's schema.
        case badBody = "BAD_BODY"
        /// A field is present but its value is not allowed.
        case invalidField = "INVALID_FIELD"
        /// The sender may not send this type (e.g. a department filing a claim).
        case notAllowed = "NOT_ALLOWED"
        /// Too many requests of this kind from this tenant; try again later.
        case rateLimited = "RATE_LIMITED"
        /// The hub failed to process a valid message (its database is down); resend later.
        case unavailable = "UNAVAILABLE"
        /// (1.2) A `lead.stage` the lead lifecycle rule refuses: `detail` starts with the rule's
        /// code (STAGE_SKIPPED, STAGE_BACKWARD, STAGE_FINAL, CLAIM_CLOSED, CLAIM_CONTESTED), a colon
        /// and the Chinese explanation. Its `seq` is used up (acknowledged); it is not applied.
        case stageRefused = "STAGE_REFUSED"
        /// (1.2) An office's date (`reported_at`, `changed_at`) more than 10 minutes ahead of the
        /// hub's clock or more than 366 days old: `detail` starts with `DATE_IN_FUTURE` or
        /// `DATE_TOO_OLD`, a colon and the Chinese explanation. Its `seq` is used up; not applied.
        case dateOutOfRange = "DATE_OUT_OF_RANGE"
    }

    public let code: Code
    /// Technical detail (which field, which limit), English.
    public let detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    /// What an officer or operator reads.
    public var chineseMessage: String {
        switch code {
        case .notConcord: return "不是招商协同协议的消息"
        case .unsupportedVersion: return "协议版本不受支持，请升级程序"
        case .malformedFrames: return "消息帧数不对"
        case .tooLarge: return "消息过大，超出协议限制"
        case .malformedEnvelope: return "消息格式错误：应为含 type、id、body 的 JSON 对象"
        case .unknownType: return "未知的消息类型"
        case .missingSequence: return "改变状态的消息缺少序号 seq"
        case .badBody: return "消息内容不符合该类型的格式"
        case .invalidField: return "消息中有字段取值不合法"
        case .notAllowed: return "本租户无权发送此类消息"
        case .rateLimited: return "请求过于频繁，请稍后再试"
        case .unavailable: return "协同中心暂时无法处理，请稍后重发"
        case .stageRefused: return "协同中心未接受该阶段变更"
        case .dateOutOfRange: return "区县填报的日期不可信（超前于协同中心时钟或过于久远）"
        }
    }

    public var description: String { "\(code.rawValue): \(chineseMessage) (\(detail))" }
}

/// Size limits of the protocol.
public enum Limits {
    /// The envelope frame (JSON) may not exceed this many bytes.
    public static let maxEnvelopeBytes = 256 * 1024
    /// Set as ZMQ_MAXMSGSIZE on every socket: a peer sending more is disconnected by libzmq.
    public static let maxSocketMessageBytes: Int64 = 1024 * 1024
    /// Longest message id.
    public static let maxIDLength = 64
}
