import ConcordDomain
import ConcordProtocol
import ConcordStore
import Foundation
import Logging
import PostgresNIO

/// A city lead offered to this office.
public struct OfferedAssignment: Sendable {
    public let id: Int64
    public let investorName: String
    public let projectName: String?
    public let industry: String?
    public let investmentWan: Double?
    public let landMu: Double?
    public let note: String?
    public let explanation: String?
    public let offeredAt: Date
    public let respondBy: Date
    public let assessBy: Date
    public let status: String
    public let leadID: UUID?

    public func isOverdue(now: Date) -> Bool { status == "offered" && now > respondBy }
}

/// The office's answers to city dispatch. Accepting files the lead as the office's own (its claim.file
/// follows the reply in the outbox), so it becomes the office's protected claim at the hub.
public struct AssignmentBook: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func list() async throws -> [OfferedAssignment] {
        let rows = try await client.query("""
            SELECT id, investor_name, project_name, industry, investment_wan::float8, land_mu::float8, note, explanation,
                   offered_at, respond_by, assess_by, status, lead_id
            FROM node_assignments ORDER BY id
            """, logger: logger)
        var offers: [OfferedAssignment] = []
        for try await r in rows.decode((Int64, String, String?, String?, Double?, Double?, String?, String?, Date, Date, Date, String, UUID?).self) {
            offers.append(OfferedAssignment(id: r.0, investorName: r.1, projectName: r.2, industry: r.3, investmentWan: r.4, landMu: r.5,
                                            note: r.6, explanation: r.7, offeredAt: r.8, respondBy: r.9, assessBy: r.10, status: r.11, leadID: r.12))
        }
        return offers
    }

    /// Accepts or declines; returns the new lead's id when accepted.
    public func answer(_ id: Int64, accept: Bool, reason: String?, officer: String?, actor: String? = nil) async throws -> UUID? {
        if !accept, (reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            throw StoreError(.invalidInput, "拒绝市级派单必须写明理由（--reason）")
        }
        let logger = self.logger
        return try await client.withTransaction(logger: logger) { connection -> UUID? in
            var offer: (String, String?, String?, String?, Double?, String)?
            let rows = try await connection.query("""
                SELECT investor_name, credit_code, project_name, industry, investment_wan::float8, status
                FROM node_assignments WHERE id = \(id) FOR UPDATE
                """, logger: logger)
            for try await row in rows.decode((String, String?, String?, String?, Double?, String).self) { offer = row }
            guard let offer else { throw StoreError(.notFound, "没有编号为 \(id) 的市级派单") }
            guard offer.5 == "offered" else { throw StoreError(.invalidInput, "派单 \(id) 已答复过（\(offer.5 == "accepted" ? "已接受" : "已拒绝")）") }
            let now = Date()
            try await Outbox.enqueue(peer: LeadBook.hubPeer, on: connection, logger: logger) { seq in
                let envelope = Envelope(seq: seq, payload: .assignmentReply(AssignmentReply(
                    assignmentID: id, accept: accept, reason: reason, repliedAt: now)))
                return (envelope.id, envelope.payload.type.rawValue, String(decoding: envelope.frames()[1], as: UTF8.self))
            }
            var leadID: UUID?
            if accept {
                var lead = NewLead(investorName: offer.0, stage: .lead)
                (lead.creditCode, lead.projectName, lead.industry, lead.investmentWan) = (offer.1, offer.2, offer.3, offer.4)
                lead.officer = officer
                lead.notes = "市级派单 #\(id)"
                leadID = try await LeadBook.insert(lead, on: connection, logger: logger)
            }
            try await connection.query("""
                UPDATE node_assignments SET status = \(accept ? "accepted" : "declined"), responded_at = \(now),
                    reason = \(reason), lead_id = \(leadID) WHERE id = \(id)
                """, logger: logger)
            if let actor {
                try await AuditChain.append(.init(actor: actor, action: accept ? "assignment.accepted" : "assignment.declined",
                                                  subject: "assignment:\(id)",
                                                  detailJSON: auditDetail(["reason": reason ?? "", "lead": leadID?.uuidString.lowercased() ?? ""])),
                                            on: connection, logger: logger)
            }
            return leadID
        }
    }
}
