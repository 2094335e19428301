import Foundation

/// The facts the cockpit report (招商驾驶舱) is computed from, read from the hub's database.
public struct CockpitInput: Sendable {
    public struct Claim: Sendable {
        /// The hub's claim id.
        public let id: Int64
        public let office: String
        public let filedAt: Date
        public let stage: LeadStage
        /// When the claim reached each stage the hub saw.
        public let reached: [LeadStage: Date]
        /// The claim's state at the hub: held, contested, settled, released, joint, taskforce, distinct.
        public let status: String
        /// What a city ruling (or a lapse) made of the claim: won, lost, transferred_in,
        /// transferred_out, joint, distinct, taskforce, rejected, upheld, lapsed; nil without one.
        public let outcome: String?
        /// The enterprise the claim is on, named by the id of the claim that holds (or last held) it.
        public let enterprise: Int64
        /// Whether the enterprise is counted by this claim: exactly one claim per enterprise counts,
        /// the holding one (`CockpitSource` decides; see there for the rule).
        public let counts: Bool

        public init(id: Int64 = 0, office: String, filedAt: Date, stage: LeadStage, reached: [LeadStage: Date],
                    status: String = "held", outcome: String? = nil, enterprise: Int64? = nil, counts: Bool = true) {
            (self.id, self.office, self.filedAt, self.stage, self.reached) = (id, office, filedAt, stage, reached)
            (self.status, self.outcome, self.enterprise, self.counts) = (status, outcome, enterprise ?? id, counts)
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
    /// Enterprises, each counted once, under the office that holds it.
    public var enterprises = 0
    /// Claims filed, one per claim: lost, transferred-out and waiting claims included.
    public var claimsFiled = 0
    public var byStage: [LeadStage: Int] = [:]
    /// How many of the enterprises reached each stage of the forward path (the funnel); stages no
    /// enterprise reached are absent.
    public var reached: [LeadStage: Int] = [:]
    /// (from, to, rate) for each step of the forward path with at least one lead at `from`.
    public var conversions: [(from: LeadStage, to: LeadStage, rate: Double)] = []
    public var daysToSigned: Spread?
    public var daysBetween: [(from: LeadStage, to: LeadStage, spread: Spread)] = []
    /// Enterprises held by a transfer ruling (流转入); included in `enterprises`.
    public var transfersIn = 0
    /// Claims transferred to another office by a ruling (流转出); counted there, not here.
    public var transfersOut = 0
    /// Jointly pursued enterprises (联合招引) this office holds; included in `enterprises`.
    public var jointHeld = 0
    /// The partner offices of those, sorted (empty in the total).
    public var jointPartners: [String] = []
    /// Jointly pursued enterprises another office holds with this one as a partner; not in `enterprises`.
    /// In the total: every partner's share, summed.
    public var jointShared = 0
    public var responseHours: Spread?
    public var overdue = 0
    public var conflictsOpened = 0
    public var conflictsResolved = 0
    public var daysToDecision: Spread?
    public var outcomes: [String: Int] = [:]
    public var checks = 0

    public init(scope: String) { self.scope = scope }

    public static func == (a: CockpitRow, b: CockpitRow) -> Bool {
        a.scope == b.scope && a.enterprises == b.enterprises && a.claimsFiled == b.claimsFiled && a.byStage == b.byStage
            && a.reached == b.reached && a.transfersIn == b.transfersIn && a.transfersOut == b.transfersOut
            && a.jointHeld == b.jointHeld && a.jointPartners == b.jointPartners && a.jointShared == b.jointShared
            && a.daysToSigned == b.daysToSigned
            && a.responseHours == b.responseHours && a.overdue == b.overdue && a.conflictsOpened == b.conflictsOpened
            && a.conflictsResolved == b.conflictsResolved && a.daysToDecision == b.daysToDecision && a.outcomes == b.outcomes
            && a.checks == b.checks && a.conversions.map { "\($0.from)\($0.to)\($0.rate)" } == b.conversions.map { "\($0.from)\($0.to)\($0.rate)" }
            && a.daysBetween.map { "\($0.from)\($0.to)" } == b.daysBetween.map { "\($0.from)\($0.to)" }
            && a.daysBetween.map(\.spread) == b.daysBetween.map(\.spread)
    }
}

/// The cockpit's metrics. Every definition is here, in one place (`ReportText.definitions` says the
/// same in Chinese, and the README repeats it):
/// - enterprises: each enterprise counted once, by the claim that holds it (`Claim.counts`), under
///   that claim's office, when that claim was first reported within [from, to). Claims waiting on
///   another office's claim, claims ruled to another office (lost, transferred out, rejected) and an
///   office's second claim on an enterprise it already holds are not counted again. A dropped or
///   lapsed claim that nobody took over still counts its enterprise once;
/// - claims filed: every claim first reported within the window, one per claim;
/// - by stage: the enterprises' current stage; reached (the funnel): how many reached each stage of
///   the forward path;
/// - conversion k→k+1: of those enterprises that reached stage k, the share that reached k+1 (an
///   enterprise has reached every forward stage up to the furthest one its claim was seen in);
/// - days to 签约: from the first report to reaching 签约, for those that reached it;
/// - days between stages: from reaching k to reaching k+1, when the hub saw both;
/// - transfers in: enterprises held by a transfer ruling; transfers out: claims ruled transferred
///   to another office (counted under the receiving office);
/// - joint: jointly pursued enterprises, counted once under the holding office (the first office
///   the ruling names), with the partner offices listed; partners count it as shared, not as theirs;
/// - assignment response (hours): from the offer to the answer, for offers made within the window;
///   overdue: offers not answered by their respond-by time (answered late, or still waiting past it);
/// - conflicts opened within the window; resolved: those with a decision; days to decision: from
///   opening to the first decision; outcomes: the kind of the decision in force;
/// - checks: "is anyone pursuing X?" questions asked within the window;
/// - medians and p90 are nearest-rank percentiles (`Spread`).
/// A county row counts the enterprises it holds, its claims, offers, checks and every conflict it is
/// a party to; the total counts each enterprise and each conflict once.
public enum Cockpit {
    public static let total = "合计"

    public static func compute(_ input: CockpitInput, from: Date, to: Date, now: Date) -> [CockpitRow] {
        let inWindow = { (date: Date) in date >= from && date < to }
        let filed = input.claims.filter { inWindow($0.filedAt) }
        let counted = filed.filter(\.counts)
        let joint = jointOffices(input.claims)
        let partnersOf = { (claim: CockpitInput.Claim) in partners(of: claim, joint) }
        let assignments = input.assignments.filter { inWindow($0.assignedAt) }
        let conflicts = input.conflicts.filter { inWindow($0.openedAt) }
        let checks = input.checks.filter { inWindow($0.at) }
        var counties = Set(filed.map(\.office))
        counties.formUnion(counted.flatMap(partnersOf))
        counties.formUnion(assignments.map(\.county))
        counties.formUnion(conflicts.flatMap(\.offices))
        counties.formUnion(checks.map(\.asker))
        var rows = counties.sorted().map { county in
            row(county, enterprises: counted.filter { $0.office == county }, filed: filed.filter { $0.office == county },
                partners: partnersOf, shared: counted.filter { partnersOf($0).contains(county) }.count,
                assignments: assignments.filter { $0.county == county },
                conflicts: conflicts.filter { $0.offices.contains(county) }, checks: checks.filter { $0.asker == county }, now: now)
        }
        rows.append(row(total, enterprises: counted, filed: filed, partners: { _ in [] },
                        shared: counted.reduce(0) { $0 + partnersOf($1).count },
                        assignments: assignments, conflicts: conflicts, checks: checks, now: now))
        return rows
    }

    /// The forward path, in order: the funnel's stages.
    public static let path: [LeadStage] = [.lead, .negotiating, .signed, .registered, .construction, .production]

    static func furthest(_ claim: CockpitInput.Claim) -> Int {
        let seen = claim.reached.keys.filter { $0 != .dropped }.map(\.order) + (claim.stage == .dropped ? [] : [claim.stage.order])
        return seen.max() ?? 0
    }

    /// For each enterprise pursued jointly: the offices whose claims on it are in joint status.
    static func jointOffices(_ claims: [CockpitInput.Claim]) -> [Int64: Set<String>] {
        var offices: [Int64: Set<String>] = [:]
        for claim in claims where claim.status == "joint" { offices[claim.enterprise, default: []].insert(claim.office) }
        return offices
    }

    /// The partner offices of a jointly pursued enterprise, seen from the claim counting it: the
    /// other offices in joint status on the same enterprise.
    static func partners(of claim: CockpitInput.Claim, _ joint: [Int64: Set<String>]) -> [String] {
        guard claim.status == "joint" else { return [] }
        return (joint[claim.enterprise] ?? []).subtracting([claim.office]).sorted()
    }

    /// One row: `claims` are the counted claims (one per enterprise), `filed` every claim of the scope.
    static func row(_ scope: String, enterprises claims: [CockpitInput.Claim], filed: [CockpitInput.Claim],
                    partners: (CockpitInput.Claim) -> [String], shared: Int, assignments: [CockpitInput.Assignment],
                    conflicts: [CockpitInput.Conflict], checks: [CockpitInput.Check], now: Date) -> CockpitRow {
        var row = CockpitRow(scope: scope)
        row.enterprises = claims.count
        row.claimsFiled = filed.count
        for claim in claims { row.byStage[claim.stage, default: 0] += 1 }
        for stage in path {
            let count = claims.filter { furthest($0) >= stage.order }.count
            if count > 0 { row.reached[stage] = count }
        }
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
        row.transfersIn = claims.filter { $0.outcome == "transferred_in" }.count
        row.transfersOut = filed.filter { $0.outcome == "transferred_out" }.count
        let joint = claims.filter { $0.status == "joint" }
        row.jointHeld = joint.count
        row.jointPartners = Set(joint.flatMap(partners)).sorted()
        row.jointShared = shared
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
