import ConcordDomain
import Foundation
import Logging
import PostgresNIO

/// Review opinions at the hub: recorded once per opinion id, audited, published to the feed, and
/// addressed to the office that owns the project.
public struct OpinionDesk: Sendable {
    public struct Recorded: Sendable {
        public let repeated: Bool
        public let office: String
        public let leadRef: String
        public let departmentName: String
        public let givenAt: Date
    }

    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// A department may give an opinion on a project it can see in its feed.
    public func record(id: UUID, claim: Int64, department: String, verdict: String, text: String, conditions: String?,
                       now: Date, on connection: PostgresConnection) async throws -> Recorded {
        var project: (String, String, String?)?
        let claims = try await connection.query(
            "SELECT office, lead_ref, investor_name FROM claims WHERE id = \(claim)", logger: logger)
        for try await (office, lead, investor) in claims.decode((String, String, String?).self) { project = (office, lead, investor) }
        // A number that exists and one that does not are refused alike: a department learns of a
        // project only through the events it is granted.
        let unseen = StoreError(.notAllowed, "\(department) 未被授权查看项目 \(claim)（或没有该项目），不能出具意见")
        guard let (office, leadRef, investor) = project else { throw unseen }
        var name = department
        let names = try await connection.query("SELECT name FROM tenants WHERE id = \(department)", logger: logger)
        for try await value in names.decode(String.self) { name = value }

        let existing = try await connection.query("SELECT given_at FROM opinions WHERE id = \(id)", logger: logger)
        for try await at in existing.decode(Date.self) {
            return Recorded(repeated: true, office: office, leadRef: leadRef, departmentName: name, givenAt: at)
        }
        let grants = try await GrantStore.patterns(for: department, kind: .department, on: connection, logger: logger)
        var visible = false
        let events = try await connection.query(
            "SELECT topic, county FROM events WHERE payload ->> 'claim' = \(String(claim))", logger: logger)
        for try await (topic, county) in events.decode((String, String?).self) where TopicPattern.allows(grants, topic: topic, county: county) {
            visible = true
        }
        guard visible else { throw unseen }

        try await connection.query("""
            INSERT INTO opinions (id, claim_id, department, verdict, text, conditions, given_at)
            VALUES (\(id), \(claim), \(department), \(verdict), \(text), \(conditions), \(now))
            """, logger: logger)
        try await EventLog.append(topic: "opinion.added", county: office, payload: [
            "claim": String(claim), "department": department, "department_name": name, "verdict": verdict,
            "text": text, "conditions": conditions ?? "", "investor_name": investor ?? "",
        ], on: connection, logger: logger)
        try await AuditChain.append(.init(actor: department, action: "opinion", subject: "claim:\(claim)",
                                          detailJSON: auditDetail(["opinion": id.uuidString.lowercased(), "verdict": verdict])),
                                    on: connection, logger: logger)
        return Recorded(repeated: false, office: office, leadRef: leadRef, departmentName: name, givenAt: now)
    }
}
