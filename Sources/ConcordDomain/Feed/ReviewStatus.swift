import Foundation

/// A project's combined review status (联审进度): which approval departments have answered, which
/// are still pending, and how long each took or has waited.
///
/// A department is asked to review a project from the moment the feed first shows it a project
/// event of that project (`claim.filed` or a `stage.*` change) under its grants. A department that
/// gave an opinion is listed as answered whether or not it was asked. Conflict, dispatch and opinion
/// events inform but do not ask for a review.
public struct ReviewEntry: Sendable, Equatable, Codable {
    public let department: String
    public let departmentName: String
    /// When the department was first shown the project (or, if it never was, when it answered).
    public let since: Date
    public let answeredAt: Date?
    /// The latest opinion's verdict (`approve`, `conditional`, `reject`), if answered.
    public let verdict: String?

    public init(department: String, departmentName: String, since: Date, answeredAt: Date?, verdict: String?) {
        (self.department, self.departmentName, self.since, self.answeredAt, self.verdict) =
            (department, departmentName, since, answeredAt, verdict)
    }

    public var isPending: Bool { answeredAt == nil }

    /// Seconds the department took to answer, or has waited so far.
    public func waited(now: Date) -> TimeInterval {
        max(0, (answeredAt ?? now).timeIntervalSince(since))
    }

    enum CodingKeys: String, CodingKey {
        case department, departmentName = "department_name", since, answeredAt = "answered_at", verdict
    }
}

public enum ReviewStatus {
    /// A department with the topic patterns it is granted.
    public struct Reader: Sendable {
        public let id: String
        public let name: String
        public let patterns: [TopicPattern]

        public init(id: String, name: String, patterns: [TopicPattern]) {
            (self.id, self.name, self.patterns) = (id, name, patterns)
        }
    }

    /// One event of the log about the project.
    public struct Event: Sendable {
        public let topic: String
        public let county: String?
        public let at: Date

        public init(topic: String, county: String?, at: Date) {
            (self.topic, self.county, self.at) = (topic, county, at)
        }
    }

    /// One opinion given on the project.
    public struct Opinion: Sendable {
        public let department: String
        public let verdict: String
        public let at: Date

        public init(department: String, verdict: String, at: Date) {
            (self.department, self.verdict, self.at) = (department, verdict, at)
        }
    }

    /// Whether an event of this topic asks its readers for a review.
    public static func asksForReview(_ topic: String) -> Bool {
        topic == "claim.filed" || topic.hasPrefix("stage.")
    }

    /// The entries for one project, pending first (longest waiting first), then answered by time.
    /// `names` supplies display names for departments that answered but are no longer readers.
    public static func compute(readers: [Reader], events: [Event], opinions: [Opinion],
                               names: [String: String] = [:]) -> [ReviewEntry] {
        var latest: [String: Opinion] = [:]
        for opinion in opinions where latest[opinion.department].map({ opinion.at >= $0.at }) ?? true {
            latest[opinion.department] = opinion
        }
        let ordered = events.sorted { $0.at < $1.at }
        var entries: [ReviewEntry] = []
        var seen: Set<String> = []
        for reader in readers {
            let asked = ordered.first { asksForReview($0.topic) && TopicPattern.allows(reader.patterns, topic: $0.topic, county: $0.county) }
            let answer = latest[reader.id]
            guard asked != nil || answer != nil else { continue }
            let shown = ordered.first { TopicPattern.allows(reader.patterns, topic: $0.topic, county: $0.county) }
            let since = asked?.at ?? shown?.at ?? answer!.at
            entries.append(ReviewEntry(department: reader.id, departmentName: reader.name, since: min(since, answer?.at ?? since),
                                       answeredAt: answer?.at, verdict: answer?.verdict))
            seen.insert(reader.id)
        }
        for (department, answer) in latest where !seen.contains(department) {
            entries.append(ReviewEntry(department: department, departmentName: names[department] ?? department,
                                       since: answer.at, answeredAt: answer.at, verdict: answer.verdict))
        }
        return entries.sorted { a, b in
            if a.isPending != b.isPending { return a.isPending }
            if a.isPending { return (a.since, a.department) < (b.since, b.department) }
            return (a.answeredAt!, a.department) < (b.answeredAt!, b.department)
        }
    }

    /// "已答复 2 / 待答复 1" style counts.
    public static func counts(_ entries: [ReviewEntry]) -> (answered: Int, pending: Int) {
        let pending = entries.filter(\.isPending).count
        return (entries.count - pending, pending)
    }

    /// A duration for officers: "3 天 4 小时", "5 小时", "12 分钟".
    public static func chineseDuration(_ seconds: TimeInterval) -> String {
        let minutes = Int(seconds / 60)
        let (days, hours) = (minutes / 1440, (minutes % 1440) / 60)
        if days > 0 { return hours > 0 ? "\(days) 天 \(hours) 小时" : "\(days) 天" }
        if hours > 0 { return "\(hours) 小时" }
        return "\(minutes) 分钟"
    }

    /// One entry for officers: "自然资源局 待答复，已等 2 天 3 小时" or "发改委 有条件同意，用时 1 天".
    public static func describe(_ entry: ReviewEntry, now: Date) -> String {
        let waited = chineseDuration(entry.waited(now: now))
        guard entry.answeredAt != nil else { return "\(entry.departmentName) 待答复，已等 \(waited)" }
        let verdict = entry.verdict.map { verdictNames[$0] ?? $0 } ?? "已答复"
        return "\(entry.departmentName) \(verdict)，用时 \(waited)"
    }

    public static let verdictNames = ["approve": "同意", "conditional": "有条件同意", "reject": "不同意"]
}
