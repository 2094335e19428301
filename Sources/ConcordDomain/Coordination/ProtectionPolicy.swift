import Foundation

/// 首报首谈 protection: the office that reported a project first is protected for a window that
/// starts at the report and is renewed by every stage progress. A claim with no progress past its
/// window lapses: it loses protection and the next contesting claim moves up.
public struct ProtectionPolicy: Sendable, Equatable {
    public var windowDays: Int
    /// Claims with total investment at or above this (万元) go to a city task force (专班).
    public var taskforceThresholdWan: Double

    public init(windowDays: Int = 180, taskforceThresholdWan: Double = 1_000_000) {
        self.windowDays = windowDays
        self.taskforceThresholdWan = taskforceThresholdWan
    }

    var window: TimeInterval { TimeInterval(windowDays) * 86_400 }

    /// The end of protection: the window counted from the later of the hub's receipt of the report
    /// and of the last forward stage change.
    public func protectedUntil(receivedAt: Date, lastProgressAt: Date?) -> Date {
        max(receivedAt, lastProgressAt ?? receivedAt).addingTimeInterval(window)
    }

    public func isLapsed(receivedAt: Date, lastProgressAt: Date?, now: Date) -> Bool {
        now > protectedUntil(receivedAt: receivedAt, lastProgressAt: lastProgressAt)
    }
}
