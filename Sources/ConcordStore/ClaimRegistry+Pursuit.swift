import ConcordDomain
import Foundation
import Logging
import PostgresNIO

extension ClaimRegistry {
    /// Every office pursuing the enterprise a name and code identify, found as a filing is matched
    /// (the enterprise's keys, then the fuzzy candidates judged by the identity core): the holder,
    /// the claims contesting it or sharing it by a ruling, and other offices' claims that may be
    /// the same enterprise. Released claims are not pursuits. Reads only.
    public func pursuits(name text: String, code: String?, on connection: PostgresConnection) async throws -> [DispatchPursuit] {
        let name = CompanyName(text)
        let parsed = code.map(CreditCode.parse)
        let key = EnterpriseKey(name: name, code: parsed)
        guard !key.all.isEmpty else { return [] }
        var holder: (id: Int64, reasons: [String])?
        let holders = try await connection.query("""
            SELECT c.id, h.key, c.code_key, c.credit_code, c.investor_name
            FROM enterprise_holders h JOIN claims c ON c.id = h.claim_id
            WHERE h.key = ANY(\(key.all)) ORDER BY h.since, c.id
            """, logger: logger)
        for try await (id, heldKey, holderCodeKey, holderCode, investor) in holders.decode((Int64, String, String?, String?, String).self) {
            // A name key held by an enterprise with another valid credit code is another enterprise.
            let sameCode = heldKey == key.codeKey || key.codeKey == nil || holderCodeKey == nil || holderCodeKey == key.codeKey
            guard sameCode, holder == nil else { continue }
            let match = EnterpriseMatch.compare(name, CompanyName(investor), codeA: parsed, codeB: holderCode.map(CreditCode.parse))
            holder = (id, match.reasons)
        }
        var possible: [Int64: [String]] = [:]
        for similar in try await similarClaims(to: name, code: parsed, office: "", excluding: holder?.id, on: connection) {
            if holder == nil, similar.verdict == .same {
                holder = (similar.claimID, similar.reasons)
            } else if similar.claimID != holder?.id {
                possible[similar.claimID] = similar.reasons
            }
        }
        let group = holder?.id ?? 0
        let rows = try await connection.query("""
            SELECT c.id, c.office, c.status, c.received_at FROM claims c
            WHERE c.status <> 'released' AND (
                c.id = \(group) OR c.id = ANY(\(Array(possible.keys)))
                OR (c.holder_claim = \(group) AND c.status = 'contested')
                OR c.id IN (SELECT p.claim_id FROM conflict_parties p JOIN conflicts f ON f.id = p.conflict_id
                            WHERE f.holder_claim = \(group) AND f.status <> 'withdrawn'))
            ORDER BY c.id <> \(group), c.received_at, c.id
            """, logger: logger)
        var found: [DispatchPursuit] = []
        for try await (id, office, status, received) in rows.decode((Int64, String, String, Date).self) {
            let inGroup = possible[id] == nil
            found.append(DispatchPursuit(claimID: id, office: office, state: ClaimState(rawValue: status) ?? .held, receivedAt: received,
                                         isHolder: id == group, sameEnterprise: inGroup,
                                         reasons: id == group ? holder?.reasons ?? [] : possible[id] ?? []))
        }
        return found
    }
}
