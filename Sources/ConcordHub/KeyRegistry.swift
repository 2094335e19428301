import ConcordStore
import Logging
import PostgresNIO
import Synchronization
import ZeroMQ

/// The ZAP authoriser: active CURVE keys → tenant, reloaded from the tenants table, so a new or
/// revoked key takes effect at the next connection without a restart.
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
        return .allow(userID: tenant.id)
    }
}
