import Foundation
import Logging
import PostgresNIO

/// A party known to the hub.
public struct Tenant: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case hub, county, department, coordinator
    }

    public let id: String
    public let kind: Kind
    public let name: String
    public let publicKey: String?
    public let createdAt: Date
    public let revokedAt: Date?

    public var isActive: Bool { revokedAt == nil }
}

/// Tenants and their CURVE public keys, at the hub.
public enum TenantStore {
    public static func add(id: String, kind: Tenant.Kind, name: String, publicKey: String,
                           client: PostgresClient, logger: Logger) async throws {
        do {
            try await client.query("""
                INSERT INTO tenants (id, kind, name, curve_public_key) VALUES (\(id), \(kind.rawValue), \(name), \(publicKey))
                """, logger: logger)
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw StoreError(.duplicate, "租户 \(id) 已存在（或该公钥已被登记）", detail: error.serverInfo?[.message])
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23514" {
            throw StoreError(.invalidInput, "租户代码只能包含小写字母、数字和 . _ -，且以字母或数字开头：\(id)",
                             detail: error.serverInfo?[.message])
        }
    }

    public static func list(client: PostgresClient, logger: Logger) async throws -> [Tenant] {
        let rows = try await client.query("""
            SELECT id, kind, name, curve_public_key, created_at, revoked_at FROM tenants ORDER BY kind, id
            """, logger: logger)
        var tenants: [Tenant] = []
        for try await (id, kind, name, key, created, revoked) in rows.decode((String, String, String, String?, Date, Date?).self) {
            tenants.append(Tenant(id: id, kind: Tenant.Kind(rawValue: kind) ?? .county, name: name,
                                  publicKey: key, createdAt: created, revokedAt: revoked))
        }
        return tenants
    }

    /// Revokes a tenant: its key is refused at its next connection. Returns false if unknown or
    /// already revoked.
    public static func revoke(id: String, client: PostgresClient, logger: Logger) async throws -> Bool {
        let rows = try await client.query("""
            WITH done AS (UPDATE tenants SET revoked_at = now() WHERE id = \(id) AND revoked_at IS NULL RETURNING 1)
            SELECT count(*)::int FROM done
            """, logger: logger)
        for try await count in rows.decode(Int.self) { return count == 1 }
        return false
    }

    /// Replaces an active tenant's public key; the old key is refused at its next connection.
    /// Returns the tenant's kind, or nil when it is unknown or revoked.
    public static func rekey(id: String, publicKey: String, client: PostgresClient, logger: Logger) async throws -> Tenant.Kind? {
        do {
            let rows = try await client.query("""
                UPDATE tenants SET curve_public_key = \(publicKey) WHERE id = \(id) AND revoked_at IS NULL RETURNING kind
                """, logger: logger)
            for try await kind in rows.decode(String.self) { return Tenant.Kind(rawValue: kind) }
            return nil
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw StoreError(.duplicate, "该公钥已登记给其他租户", detail: error.serverInfo?[.message])
        }
    }

    /// The kind of an active (not revoked) tenant, or nil.
    public static func activeKind(_ id: String, on connection: PostgresConnection, logger: Logger) async throws -> Tenant.Kind? {
        let rows = try await connection.query(
            "SELECT kind FROM tenants WHERE id = \(id) AND revoked_at IS NULL", logger: logger)
        for try await kind in rows.decode(String.self) { return Tenant.Kind(rawValue: kind) }
        return nil
    }

    /// Active keys → (tenant, kind), for the ZAP handler's in-memory registry.
    public static func activeKeys(client: PostgresClient, logger: Logger) async throws -> [String: (id: String, kind: Tenant.Kind)] {
        let rows = try await client.query("""
            SELECT curve_public_key, id, kind FROM tenants WHERE revoked_at IS NULL AND curve_public_key IS NOT NULL
            """, logger: logger)
        var keys: [String: (id: String, kind: Tenant.Kind)] = [:]
        for try await (key, id, kind) in rows.decode((String, String, String).self) {
            keys[key] = (id, Tenant.Kind(rawValue: kind) ?? .county)
        }
        return keys
    }
}
