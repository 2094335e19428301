import ConcordDomain
import Foundation
import Logging
import PostgresNIO

extension ClaimRegistry {
    /// One enterprise already being pursued, for `bulkLoad`.
    public struct Registered: Sendable {
        public var office: String
        public var leadRef: String
        public var investorName: String
        public var creditCode: String?
        public var industry: String?

        public init(office: String, leadRef: String, investorName: String, creditCode: String? = nil, industry: String? = nil) {
            self.office = office
            self.leadRef = leadRef
            self.investorName = investorName
            self.creditCode = creditCode
            self.industry = industry
        }
    }

    /// Loads held claims of distinct enterprises in bulk, with the same normalisation and keys as a
    /// filing, in one statement per call (callers pass a few thousand at a time). It does no conflict
    /// detection and writes no audit rows, events or notices: it is for loading a registry that is
    /// already deduplicated (a ledger taken over from elsewhere, a benchmark's million enterprises).
    /// A key already held keeps its holder; the claim is still loaded. Returns the claims inserted
    /// (an (office, lead_ref) already present is skipped).
    @discardableResult
    public func bulkLoad(_ enterprises: [Registered], on connection: PostgresConnection) async throws -> Int {
        guard !enterprises.isEmpty else { return 0 }
        // Arrays of text cannot hold NULL here: an absent value travels as '' and becomes NULL again.
        var offices: [String] = [], leads: [String] = [], names: [String] = [], codes: [String] = []
        var codeKeys: [String] = [], nameKeys: [String] = [], normalized: [String] = [], brands: [String] = []
        var industries: [String] = []
        for enterprise in enterprises {
            let name = CompanyName(enterprise.investorName)
            let parsed = enterprise.creditCode.map(CreditCode.parse)
            let key = EnterpriseKey(name: name, code: parsed)
            guard !key.all.isEmpty else { continue }
            offices.append(enterprise.office)
            leads.append(enterprise.leadRef)
            names.append(enterprise.investorName)
            codes.append(parsed?.code?.value ?? "")
            codeKeys.append(key.codeKey ?? "")
            nameKeys.append(key.nameKey ?? "")
            normalized.append(name.searchText)
            brands.append(name.brand)
            industries.append(enterprise.industry ?? "")
        }
        let rows = try await connection.query("""
            WITH input AS (
                SELECT * FROM unnest(\(offices)::text[], \(leads)::text[], \(names)::text[], \(codes)::text[], \(codeKeys)::text[],
                                     \(nameKeys)::text[], \(normalized)::text[], \(brands)::text[], \(industries)::text[])
                    AS u(office, lead_ref, investor_name, credit_code, code_key, name_key, normalized_name, brand, industry)
            ), claim AS (
                INSERT INTO claims (office, lead_ref, investor_name, credit_code, code_key, name_key, normalized_name, brand,
                                    industry, stage, reported_at, status)
                SELECT office, lead_ref, investor_name, nullif(credit_code, ''), nullif(code_key, ''), nullif(name_key, ''),
                       normalized_name, brand, nullif(industry, ''), 'lead', now(), 'held' FROM input
                ON CONFLICT (office, lead_ref) DO NOTHING
                RETURNING id, code_key, name_key
            ), stage AS (
                INSERT INTO claim_stages (claim_id, stage, reached_at) SELECT id, 'lead', now() FROM claim
            ), held AS (
                INSERT INTO enterprise_holders (key, claim_id)
                SELECT k, id FROM claim, unnest(ARRAY[code_key, name_key]) AS k WHERE k IS NOT NULL
                ON CONFLICT (key) DO NOTHING
            )
            SELECT count(*)::int FROM claim
            """, logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }
}
