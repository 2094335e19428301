import ConcordDomain
import Foundation
import Logging
import PostgresNIO

/// Every claim at the hub, for the coordinators' project list: by county and stage, searchable by
/// name or credit code, with the departments' opinions.
public struct ProjectDesk: Sendable {
    public struct Project: Sendable {
        public let claim: Int64
        public let office: String
        public let investorName: String
        public let creditCode: String?
        public let projectName: String?
        public let industry: String?
        public let investmentWan: Double?
        public let stage: LeadStage
        public let status: String
        /// 首报: when the hub received the filing.
        public let receivedAt: Date
        public let opinions: [Opinion]
    }

    public struct Opinion: Sendable {
        public let department: String
        public let departmentName: String
        public let verdict: String
        public let text: String
        public let conditions: String?
        public let givenAt: Date
    }

    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// Claims matching `text` (part of the investor or project name, or the credit code), in
    /// `county` and `stage` when given; newest first, at most `limit`.
    public func search(text: String?, county: String?, stage: LeadStage?, limit: Int = 200,
                       client: PostgresClient) async throws -> [Project] {
        let pattern = text.map { "%" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%" }
        let code = text?.uppercased()
        let rows = try await client.query("""
            SELECT id, office, investor_name, credit_code, project_name, industry, investment_wan::float8, stage, status, received_at
            FROM claims
            WHERE (\(county)::text IS NULL OR office = \(county))
              AND (\(stage?.rawValue)::text IS NULL OR stage = \(stage?.rawValue))
              AND (\(pattern)::text IS NULL OR investor_name ILIKE \(pattern) OR project_name ILIKE \(pattern) OR credit_code = \(code))
            ORDER BY received_at DESC, id DESC LIMIT \(limit)
            """, logger: logger)
        var found: [(Int64, String, String, String?, String?, String?, Double?, String, String, Date)] = []
        for try await row in rows.decode((Int64, String, String, String?, String?, String?, Double?, String, String, Date).self) {
            found.append(row)
        }
        var opinions: [Int64: [Opinion]] = [:]
        if !found.isEmpty {
            let opinionRows = try await client.query("""
                SELECT o.claim_id, o.department, coalesce(t.name, o.department), o.verdict, o.text, o.conditions, o.given_at
                FROM opinions o LEFT JOIN tenants t ON t.id = o.department
                WHERE o.claim_id = ANY(\(found.map(\.0))) ORDER BY o.given_at
                """, logger: logger)
            for try await (claim, department, name, verdict, text, conditions, at) in opinionRows.decode(
                (Int64, String, String, String, String, String?, Date).self) {
                opinions[claim, default: []].append(Opinion(department: department, departmentName: name, verdict: verdict,
                                                            text: text, conditions: conditions, givenAt: at))
            }
        }
        return found.map { row in
            Project(claim: row.0, office: row.1, investorName: row.2, creditCode: row.3, projectName: row.4, industry: row.5,
                    investmentWan: row.6, stage: LeadStage(rawValue: row.7) ?? .lead, status: row.8, receivedAt: row.9,
                    opinions: opinions[row.0] ?? [])
        }
    }

    /// Claims per office and stage, for the filter's counts.
    public func counts(client: PostgresClient) async throws -> [String: [LeadStage: Int]] {
        let rows = try await client.query("SELECT office, stage, count(*)::int FROM claims GROUP BY office, stage", logger: logger)
        var counts: [String: [LeadStage: Int]] = [:]
        for try await (office, stage, count) in rows.decode((String, String, Int).self) {
            if let stage = LeadStage(rawValue: stage) { counts[office, default: [:]][stage] = count }
        }
        return counts
    }
}
