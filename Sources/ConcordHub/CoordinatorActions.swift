import ConcordConfig
import ConcordDomain
import ConcordStore
import Foundation
import Logging
import PostgresNIO
import ZeroMQ

/// What a coordinator does at the hub, shared by the CLI and the console: each action changes the
/// hub's database and queues what the offices must be told in one transaction; the running hub
/// delivers the messages.
public enum CoordinatorActions {
    /// An extra audit row naming the console user who acted, in the action's own transaction.
    public struct Via: Sendable {
        public let user: String
        public init(user: String) { self.user = user }
    }

    public static func arbitrate(conflictID: Int64, decision: ArbitrationDecision, reason: String, coordinator: String,
                                 supersedes: Int64?, policy: ProtectionPolicy, via: Via? = nil,
                                 client: PostgresClient, logger: Logger) async throws -> (Int64, [ClaimNotice]) {
        try await client.withTransaction(logger: logger) { connection in
            let (decisionID, notices) = try await ConflictDesk(logger: logger).decide(
                conflictID: conflictID, decision: decision, reason: reason, coordinator: coordinator,
                supersedes: supersedes, policy: policy, now: Date(), on: connection)
            try await HubOutbox.enqueue(notices, on: connection, logger: logger)
            if let via {
                try await AuditChain.append(.init(actor: "web:\(via.user)", action: "console.decision", subject: "conflict:\(conflictID)",
                                                  detailJSON: auditDetail(["decision": "\(decisionID)", "kind": decision.kind])),
                                            on: connection, logger: logger)
            }
            return (decisionID, notices)
        }
    }

    /// Offers a city lead to a county with the recommendation's explanation for that county. An
    /// enterprise another office pursues goes to that office unless `override` gives the reason
    /// (DispatchDesk.assign).
    public static func assign(lead id: String, to county: String, note: String?, coordinator: String,
                              override: String? = nil, policy: ProtectionPolicy = ProtectionPolicy(),
                              deadlines: DispatchDeadlines, via: Via? = nil,
                              client: PostgresClient, logger: Logger) async throws -> AssignmentView {
        let desk = DispatchDesk(logger: logger)
        let lead = try await desk.cityLead(id, client: client)
        let advice = try await desk.advise(lead, client: client)
        let mine = advice.ranked.first { $0.county == county }
        var explanation = mine?.explanation ?? "该区县尚无画像"
        if let holder = advice.holder, holder.office != county,
           let override = override?.trimmingCharacters(in: .whitespacesAndNewlines), !override.isEmpty {
            explanation += "；市级改派理由：\(override)"
        }
        return try await client.withTransaction(logger: logger) { connection in
            let assignment = try await desk.assign(lead, to: county, note: note, score: mine?.score, by: coordinator,
                                                   override: override, policy: policy, deadlines: deadlines, now: Date(), on: connection)
            try await HubOutbox.enqueueOffer(assignment, lead: lead, note: note, explanation: explanation,
                                             on: connection, logger: logger)
            if let via {
                try await AuditChain.append(.init(actor: "web:\(via.user)", action: "console.assignment",
                                                  subject: "city_lead:\(lead.id.uuidString.lowercased())",
                                                  detailJSON: auditDetail(["assignment": "\(assignment.id)", "county": county])),
                                            on: connection, logger: logger)
            }
            return assignment
        }
    }

    /// After grants or departments change, which departments each project waits for changes too:
    /// the offices are sent the new review statuses.
    public static func refreshReviews(client: PostgresClient, logger: Logger) async throws {
        try await client.withTransaction(logger: logger) { connection in
            let changes = try await ReviewDesk(logger: logger).refreshAll(on: connection)
            try await HubOutbox.enqueue(changes, on: connection, logger: logger)
        }
    }

    /// A new tenant's config file and registered public key. A file issued with a generated key
    /// pair holds the tenant's secret key: it is handed over once and never stored at the hub.
    public struct IssuedTenant: Sendable {
        public let configText: String
        public let publicKey: String
        public let role: String
    }

    /// The config file a tenant runs with. Without `publicKey` a key pair is generated and the file
    /// holds its secret key. With `publicKey` (a key the tenant generated itself, so its secret key
    /// never leaves its machine) nothing is generated: the file is a template without `secret_key`,
    /// which the key's owner adds before use.
    public static func tenantConfig(kind: Tenant.Kind, code: String, name: String, hubEndpoint: String, hubPublicKey: String,
                                    databaseURL: String?, consoleBind: String?, publicKey: String? = nil) throws -> IssuedTenant {
        let role = kind == .county ? "node" : (kind == .department ? "subscriber" : "coordinator")
        let databaseURL = databaseURL ?? (kind == .county ? "postgres://concord@127.0.0.1:5432/concord_node" : nil)
        var pairs: [(String, ConfigFile.Value)] = [
            ("role", .string(role)), ("tenant", .string(code)), ("name", .string(name)),
            ("hub_endpoint", .string(hubEndpoint)), ("hub_public_key", .string(hubPublicKey)),
        ]
        if let databaseURL { pairs.append(("database_url", .string(databaseURL))) }
        if kind == .county, let consoleBind { pairs.append(("console_bind", .string(consoleBind))) }
        if let publicKey {
            let text = ConfigFile.render(pairs, header: [
                "Concord \(role) configuration for \(name) (\(code)): a template without a secret key.",
                "Public key registered at the hub (generated elsewhere): \(publicKey)",
                "Before use, replace the last line with the secret key of that public key; keep the file mode 600.",
            ]) + "# secret_key = \"<the 40-character Z85 secret key>\"\n"
            return IssuedTenant(configText: text, publicKey: publicKey, role: role)
        }
        let keys = try CurveKeyPair.generate()
        pairs.append(("secret_key", .string(keys.secretKey)))
        let text = ConfigFile.render(pairs, header: [
            "Concord \(role) configuration for \(name) (\(code)). Holds a secret key: keep it mode 600.",
            "Public key registered at the hub: \(keys.publicKey)",
        ])
        return IssuedTenant(configText: text, publicKey: keys.publicKey, role: role)
    }
}
