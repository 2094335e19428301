import ConcordConfig
import ConcordStore
import ZeroMQ

/// A department's subscriber configuration, as `concord tenant add --kind department` writes it.
public struct SubscriberConfiguration: Sendable {
    public var tenant: String
    public var name: String
    public var hubEndpoint: String
    public var hubPublicKey: String
    public var keys: CurveKeyPair
    /// Where the cursor is kept when it is not a file (nil: a file beside the config).
    public var database: DatabaseConfiguration?
    public var cursorFile: String?

    public static let knownKeys: Set<String> = ["role", "tenant", "name", "hub_endpoint", "hub_public_key", "secret_key",
                                                "database_url", "cursor_file", "log_level", "log_format"]

    public static func load(_ file: ConfigFile) throws -> SubscriberConfiguration {
        try file.checkKnown(knownKeys)
        guard try file.string("role") == "subscriber" else {
            throw ConfigFile.Error(line: nil, key: "role", message: "部门订阅需要 role = \"subscriber\"")
        }
        guard let keys = try? CurveKeyPair(secretKey: try file.string("secret_key")) else {
            throw ConfigFile.Error(line: nil, key: "secret_key", message: "应为 40 位 Z85 私钥")
        }
        let hubKey = try file.string("hub_public_key")
        guard Z85.isKey(hubKey) else {
            throw ConfigFile.Error(line: nil, key: "hub_public_key", message: "应为 40 位 Z85 公钥")
        }
        var database: DatabaseConfiguration?
        if let url = try file.optionalString("database_url") {
            do {
                database = try DatabaseConfiguration.parse(url: url)
            } catch let error as StoreError {
                throw ConfigFile.Error(line: nil, key: "database_url", message: error.message)
            }
        }
        return SubscriberConfiguration(
            tenant: try file.string("tenant"), name: try file.optionalString("name") ?? "", hubEndpoint: try file.string("hub_endpoint"),
            hubPublicKey: hubKey, keys: keys, database: database, cursorFile: try file.optionalString("cursor_file"))
    }
}
