import Foundation

/// The facts the cockpit report (招商驾驶舱) is computed from, read from the hub's database.
public struct CockpitInput: Sendable {
    public struct Claim: Sendable {
        public let office: String
        public let filedAt: Date
        public let stage: LeadStage
        /// When the claim reached each stage the hub saw.
        public let reached: [LeadStage: Date]
        public init(office: String, filedAt: Date, stage: LeadStage, reached: [LeadStage: Date]) {
            (self.office, self.filedAt, self.stage, self.reached) = (office, filedAt, stage, reached)
        }
    }

    public struct Assignment: Sendable {
        public let county: String
        public let assignedAt: Date
        public let respondBy: Date
        public let respondedAt: Date?
        public init(county: String, assignedAt: Date, respondBy: Date, respondedAt: Date?) {
            (self.county, self.assignedAt, self.respondBy, self.respondedAt) = (county, assignedAt, respondBy, respondedAt)
        }
    }

    public struct Conflict: Sendable {
        public let offices: [String]
        public let openedAt: Date
        /// The first decision, if any.
        public let decidedAt: Date?
        /// The kind of the decision in force.
        public let outcome: String?
        public init(offices: [String], openedAt: Date, decidedAt: Date?, outcome: String?) {
            (self.offices, self.openedAt, self.decidedAt, self.outcome) = (offices, openedAt, decidedAt, outcome)
        }
    }

    public struct Check: Sendable {
        public let asker: String
        public let at: Date
        public init(asker: String, at: Date) { (self.asker, self.at) = (asker, at) }
    }

    public var claims: [Claim]
    public var assignments: [Assignment]
    public var conflicts: [Conflict]
    public var checks: [Check]

    public init(claims: [Claim] = [], assignments: [Assignment] = [], conflicts: [Conflict] = [], checks: [Check] = []) {
        (self.claims, self.assignments, self.conflicts, self.checks) = (claims, assignments, conflicts, checks)
    }
}

/// A median and a 90th percentile (nearest rank), or nil with no data.
public struct Spread: Sendable, Equatable {
    public let median: Double
    public let p90: Double
    public let count: Int

    /// Nearest-rank percentiles: the value at rank ⌈p·n⌉ of the sorted values.
    public static func of(_ values: [Double]) -> Spread? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        func rank(_ p: Double) -> Double { sorted[max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1)] }
        return Spread(median: rank(0.5), p90: rank(0.9), count: sorted.count)
    }
}

/// One row of the cockpit: a county, or the total ("合计").
public struct CockpitRow: Sendable, Equatable {
    public let scope: String
    public var leadsFiled = 0
    public var byStage: [LeadStage: Int] = [:]
    /// (from, to, rate) for each step of the forward path with at least one lead at `from`.
    public var conversions: [(from: LeadStage, to: LeadStage, rate: Double)] = []
    public var daysToSigned: Spread?
    public var daysBetween: [(from: LeadStage, to: LeadStage, spread: Spread)] = []
    public var responseHours: Spread?
    public var overdue = 0
    public var conflictsOpened = 0
    public var conflictsResolved = 0
    public var daysToDecision: Spread?
    public var outcomes: [String: Int] = [:]
    public var checks = 0

    public init(scope: String) { self.scope = scope }

    public static func == (a: CockpitRow, b: CockpitRow) -> Bool {
        a.scope == b.scope && a.leadsFiled == b.leadsFiled && a.byStage == b.byStage && a.daysToSigned == b.daysToSigned
            && a.responseHours == b.responseHours && a.overdue == b.overdue && a.conflictsOpened == b.conflictsOpened
            && a.conflictsResolved == b.conflictsResolved && a.daysToDecision == b.daysToDecision && a.outcomes == b.outcomes
            && a.checks == b.checks && a.conversions.map { "\($0.from)\($0.to)\($0.rate)" } == b.conversions.map { "\($0.from)\($0.to)\($0.rate)" }
            && a.daysBetween.map { "\($0.from)\($0.to)" } == b.daysBetween.map { "\($0.from)\($0.to)" }
            && a.daysBetween.map(\.spread) == b.daysBetween.map(\.spread)
    }
}

/// The cockpit's metrics. Every definition is here, in one place (the README repeats them):
/// - leads filed: claims first reported to the hub within [from, to);
/// - by stage: those leads' current stage;
/// - conversion k→k+1: of those leads that reached stage k, the share that reached k+1 (a lead has
///   reached every forward stage up to the furthest one it was seen in);
/// - days to 签约: from the first report to reaching 签约, for those leads that reached it;
/// - days between stages: from reaching k to reaching k+1, when the hub saw both;
/// - assignment response (hours): from the offer to the answer, for offers made within the window;
///   overdue: offers not answered by their respond-by time (answered late, or still waiting past it);
/// - conflicts opened within the window; resolved: those with a decision; days to decision: from
///   opening to the first decision; outcomes: the kind of the decision in force;
/// - checks: "is anyone pursuing X?" questions asked within the window;
/// - medians and p90 are nearest-rank percentiles (`Spread`).
/// A county row counts the county's claims, offers, checks and every conflict it is a party to; the
/// total counts each conflict once.
public enum Cockpit {
    public static let total = "合计"

    public static func compute(_ input: CockpitInput, from: Date, to: Date, now: Date) -> [CockpitRow] {
        let inWindow = { (date: Date) in date >= from && date < to }
        let claims = input.claims.filter { inWindow($0.filedAt) }
        let assignments = input.assignments.filter { inWindow($0.assignedAt) }
        let conflicts = input.conflicts.filter { inWindow($0.openedAt) }
        let checks = input.checks.filter { inWindow($0.at) }
        var counties = Set(claims.map(\.office))
        counties.formUnion(assignments.map(\.county))
        counties.formUnion(conflicts.flatMap(\.offices))
        counties.formUnion(checks.map(\.asker))
        var rows = counties.sorted().map { county in
            row(county, claims: claims.filter { $0.office == county }, assignments: assignments.filter { $0.county == county },
                conflicts: conflicts.filter { $0.offices.contains(county) }, checks: checks.filter { $0.asker == county }, now: now)
        }
        rows.append(row(total, claims: claims, assignments: assignments, conflicts: conflicts, checks: checks, now: now))
        return rows
    }

    static let path: [LeadStage] = [.lead, .negotiating, .signed, .registered, .construction, .production]

    static func furthest(_ claim: CockpitInput.Claim) -> Int {
        let seen = claim.reached.keys.filter { $0 != .dropped }.map(\.order) + (claim.stage == .dropped ? [] : [claim.stage.order])
        return seen.max() ?? 0
    }

    static func row(_ scope: String, claims: [CockpitInput.Claim], assignments: [CockpitInput.Assignment],
                    conflicts: [CockpitInput.Conflict], checks: [CockpitInput.Check], now: Date) -> CockpitRow {
        var row = CockpitRow(scope: scope)
        row.leadsFiled = claims.count
        for claim in claims { row.byStage[claim.stage, default: 0] += 1 }
        for (from, to) in zip(path, path.dropFirst()) {
            let reachedFrom = claims.filter { furthest($0) >= from.order }
            guard !reachedFrom.isEmpty else { continue }
            let reachedTo = reachedFrom.filter { furthest($0) >= to.order }
            row.conversions.append((from, to, Double(reachedTo.count) / Double(reachedFrom.count)))
            let gaps = claims.compactMap { claim -> Double? in
                guard let a = claim.reached[from], let b = claim.reached[to] else { return nil }
                return b.timeIntervalSince(a) / 86_400
            }
            if let spread = Spread.of(gaps) { row.daysBetween.append((from, to, spread)) }
        }
        row.daysToSigned = Spread.of(claims.compactMap { claim in claim.reached[.signed].map { $0.timeIntervalSince(claim.filedAt) / 86_400 } })
        row.responseHours = Spread.of(assignments.compactMap { a in a.respondedAt.map { $0.timeIntervalSince(a.assignedAt) / 3600 } })
        row.overdue = assignments.filter { a in (a.respondedAt.map { $0 > a.respondBy }) ?? (now > a.respondBy) }.count
        row.conflictsOpened = conflicts.count
        row.conflictsResolved = conflicts.filter { $0.decidedAt != nil }.count
        row.daysToDecision = Spread.of(conflicts.compactMap { c in c.decidedAt.map { $0.timeIntervalSince(c.openedAt) / 86_400 } })
        for conflict in conflicts { if let outcome = conflict.outcome { row.outcomes[outcome, default: 0] += 1 } }
        row.checks = checks.count
        return row
    }
}
