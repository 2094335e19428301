import ConcordConfig
import ConcordStore
import ZeroMQ

/// A county node's configuration, as `concord tenant add` writes it.
public struct NodeConfiguration: Sendable {
    public var tenant: String
    public var name: String
    /// As configured: one endpoint, or several separated by commas (the hub's standbys, tried in
    /// turn when the current one stays silent).
    public var hubEndpoint: String
    public var hubEndpoints: [String] {
        hubEndpoint.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
    public var hubPublicKey: String
    public var keys: CurveKeyPair
    public var database: DatabaseConfiguration
    public var heartbeatSeconds: Int
    public var resendSeconds: Int
    /// Where the officers' web console listens (nil: no console).
    public var console: ConsoleAddress?
    /// Where Prometheus scrapes `/metrics` (nil: no metrics endpoint).
    public var metrics: ConsoleAddress?

    public init(tenant: String, name: String, hubEndpoint: String, hubPublicKey: String, keys: CurveKeyPair,
                database: DatabaseConfiguration, heartbeatSeconds: Int = 5, resendSeconds: Int = 10) {
        self.tenant = tenant
        self.name = name
        self.hubEndpoint = hubEndpoint
        self.hubPublicKey = hubPublicKey
        self.keys = keys
        self.database = database
        self.heartbeatSeconds = heartbeatSeconds
        self.resendSeconds = resendSeconds
    }

    public static let knownKeys: Set<String> = ["role", "tenant", "name", "hub_endpoint", "hub_public_key", "secret_key",
                                                "database_url", "heartbeat_seconds", "resend_seconds", "log_level", "log_format", "schemas", "console_bind", "metrics_bind"]

    public static func load(_ file: ConfigFile) throws -> NodeConfiguration {
        try file.checkKnown(knownKeys)
        guard try file.string("role") == "node" else {
            throw ConfigFile.Error(line: nil, key: "role", message: "节点需要 role = \"node\"")
        }
        guard let keys = try? CurveKeyPair(secretKey: try file.string("secret_key")) else {
            throw ConfigFile.Error(line: nil, key: "secret_key", message: "应为 40 位 Z85 私钥")
        }
        let hubKey = try file.string("hub_public_key")
        guard Z85.isKey(hubKey) else {
            throw ConfigFile.Error(line: nil, key: "hub_public_key", message: "应为 40 位 Z85 公钥")
        }
        let database: DatabaseConfiguration
        do {
            database = try DatabaseConfiguration.parse(url: try file.string("database_url"))
        } catch let error as StoreError {
            throw ConfigFile.Error(line: nil, key: "database_url", message: error.message)
        }
        let endpoints = try file.string("hub_endpoint").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !endpoints.isEmpty, endpoints.allSatisfy({ $0.hasPrefix("tcp://") || $0.hasPrefix("ipc://") }) else {
            throw ConfigFile.Error(line: nil, key: "hub_endpoint", message: "应为 tcp://主机:端口，多个（备用协同中心）用逗号分隔")
        }
        var configuration = NodeConfiguration(
            tenant: try file.string("tenant"), name: try file.optionalString("name") ?? "",
            hubEndpoint: try file.string("hub_endpoint"), hubPublicKey: hubKey, keys: keys, database: database,
            heartbeatSeconds: try file.integer("heartbeat_seconds", default: 5, range: 1...300),
            resendSeconds: try file.integer("resend_seconds", default: 10, range: 1...3600))
        configuration.console = try file.consoleAddress()
        configuration.metrics = try file.address("metrics_bind")
        return configuration
    }
}
