import Foundation

/// 首报首谈 runs on the hub's clock: first report, protection windows and lapses are counted from
/// when the hub received a filing (`received_at`). An office's own dates — a filing's
/// `reported_at` (区县填报日期), a stage change's `changed_at` — are kept and shown as the office's,
/// but decide nothing. One that cannot be true (far ahead of the hub's clock, or absurdly old) is
/// refused instead of stored, so no claim carries a date from 2099.
public enum OfficeDate {
    /// How far an office's clock may run ahead of the hub's (clock skew between two servers).
    public static let allowedSkew: TimeInterval = 10 * 60
    /// The oldest date an office may send: a node keeps what it filed while the link is down and
    /// sends it later, but not years later.
    public static let maximumAgeDays = 366

    public enum Problem: Error, Equatable, Sendable {
        /// The date is this many seconds ahead of the hub's clock.
        case inFuture(seconds: Int)
        /// The date is this many days before the hub's clock.
        case tooOld(days: Int)

        public var code: String {
            switch self {
            case .inFuture: return "DATE_IN_FUTURE"
            case .tooOld: return "DATE_TOO_OLD"
            }
        }

        public var explanation: String {
            switch self {
            case .inFuture(let seconds):
                return "区县填报的日期比协同中心的时钟晚 \(seconds / 60) 分钟以上（允许 \(Int(OfficeDate.allowedSkew) / 60) 分钟误差）：请校准本机时钟后重发"
            case .tooOld(let days):
                return "区县填报的日期在 \(days) 天前，超过 \(OfficeDate.maximumAgeDays) 天：不能作为报备或阶段日期"
            }
        }
    }

    /// Checks an office's date against the hub's clock.
    public static func check(_ date: Date, now: Date) -> Problem? {
        let ahead = date.timeIntervalSince(now)
        if ahead > allowedSkew { return .inFuture(seconds: Int(ahead)) }
        let age = now.timeIntervalSince(date)
        if age > TimeInterval(maximumAgeDays) * 86_400 { return .tooOld(days: Int(age / 86_400)) }
        return nil
    }
}
