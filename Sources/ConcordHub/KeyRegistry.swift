import ConcordStore
import Logging
import PostgresNIO
import Synchronization
import ZeroMQ

/// The ZAP authoriser: active CURVE keys → tenant, reloaded from the tenants table, so a new or
/// revoked key takes effect at the next connection without a restart. A connection already open
/// keeps the key it was authenticated with: ZAP puts tenant and key in the `User-Id` of every
/// message (`Identity`), and the hub checks on each one that the key is still current, since
/// libzmq offers no way to drop one peer of a bound ROUTER.
final class KeyRegistry: ZAPAuthorizer, Sendable {
    private let keys = Mutex<[String: (id: String, kind: Tenant.Kind)]>([:])
    private let kinds = Mutex<[String: Tenant.Kind]>([:])
    private let logger: Logger
    /// Set when a key was refused: the hub reloads at once, so a tenant added a moment ago gets in
    /// on its client's next attempt rather than after the periodic reload.
    private let stale = Atomic<Bool>(false)

    var isStale: Bool { stale.load(ordering: .acquiring) }

    init(logger: Logger) {
        self.logger = logger
    }

    func reload(client: PostgresClient) async throws {
        let active = try await TenantStore.activeKeys(client: client, logger: logger)
        stale.store(false, ordering: .releasing)
        keys.withLock { $0 = active }
        kinds.withLock { kinds in
            kinds = [:]
            for value in active.values { kinds[value.id] = value.kind }
        }
    }

    func kind(of tenant: String) -> Tenant.Kind? {
        kinds.withLock { $0[tenant] }
    }

    func authorize(_ request: ZAPRequest) -> ZAPDecision {
        guard request.mechanism == "CURVE", let key = request.publicKey,
              let tenant = keys.withLock({ $0[key] }) else {
            stale.store(true, ordering: .releasing)
            logger.warning("refused a connection", metadata: ["address": "\(request.address)", "mechanism": "\(request.mechanism)"])
            return .deny(reason: "unknown or revoked key")
        }
        return .allow(userID: Identity(tenant: tenant.id, key: key).userID)
    }

    /// `key` is the tenant's current key: registered to it and not revoked or replaced.
    func isCurrent(_ identity: Identity) -> Bool {
        keys.withLock { $0[identity.key]?.id == identity.tenant }
    }
}

/// Who sent a message: the tenant and the CURVE public key its connection was authenticated with.
struct Identity: Hashable, Sendable {
    let tenant: String
    let key: String

    /// "tenant key": tenant codes have no spaces, Z85 keys have none either.
    var userID: String { "\(tenant) \(key)" }

    init(tenant: String, key: String) {
        self.tenant = tenant
        self.key = key
    }

    init?(userID: String) {
        let parts = userID.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].count == 40 else { return nil }
        self.init(tenant: String(parts[0]), key: String(parts[1]))
    }

    /// What logs and the audit chain name a key by: its first eight characters (public, and
    /// enough to tell it from the tenant's other keys in `concord tenant list`).
    var fingerprint: String { String(key.prefix(8)) }
}
