import ConcordConfig
import ConcordDomain
import ConcordStore
import ZeroMQ

/// `concord hub run --config FILE`: where the hub listens, its key and its database.
public struct HubConfiguration: Sendable {
    public var bind: String
    public var keys: CurveKeyPair
    public var database: DatabaseConfiguration
    /// Checks each tenant may make per minute.
    public var checksPerMinute: Int
    /// Messages each tenant may send per second (burst: one second's worth); more are dropped.
    public var messagesPerSecond: Int
    /// The most state-changing messages applied in one transaction (1 = one transaction each).
    public var applyBatch: Int
    /// Unacknowledged messages are resent after this many seconds.
    public var resendSeconds: Int
    /// 首报首谈 window and the task-force threshold.
    public var policy: ProtectionPolicy
    /// Time a county has to respond to and assess a city dispatch.
    public var deadlines: DispatchDeadlines
    /// Where the coordinators' web console listens (nil: no console).
    public var console: ConsoleAddress?
    /// Where Prometheus scrapes `/metrics` (nil: no metrics endpoint).
    public var metrics: ConsoleAddress?
    /// While the hub's own key is being replaced (`concord hub rekey`): the previous key, still
    /// served on its previous address so that offices not yet given the new public key keep
    /// delivering; removed with `concord hub rekey --finish`.
    public var previous: PreviousKey?

    public struct PreviousKey: Sendable {
        public var keys: CurveKeyPair
        public var bind: String

        public init(keys: CurveKeyPair, bind: String) {
            self.keys = keys
            self.bind = bind
        }
    }

    public init(bind: String, keys: CurveKeyPair, database: DatabaseConfiguration,
                checksPerMinute: Int = 120, messagesPerSecond: Int = 5_000, applyBatch: Int = 256, resendSeconds: Int = 10, policy: ProtectionPolicy = ProtectionPolicy(),
                deadlines: DispatchDeadlines = DispatchDeadlines()) {
        self.policy = policy
        self.deadlines = deadlines
        self.bind = bind
        self.keys = keys
        self.database = database
        self.checksPerMinute = checksPerMinute
        self.messagesPerSecond = messagesPerSecond
        self.applyBatch = applyBatch
        self.resendSeconds = resendSeconds
    }

    public static let knownKeys: Set<String> = ["role", "bind", "secret_key", "database_url", "checks_per_minute", "messages_per_second", "apply_batch",
                                                "resend_seconds", "schemas", "log_level", "log_format", "protection_days",
                                                "taskforce_threshold_wan", "respond_hours", "assess_hours", "console_bind", "metrics_bind",
                                                "previous_secret_key", "previous_bind"]

    public static func load(_ file: ConfigFile) throws -> HubConfiguration {
        try file.checkKnown(knownKeys)
        guard try file.string("role") == "hub" else {
            throw ConfigFile.Error(line: nil, key: "role", message: "hub run 需要 role = \"hub\"")
        }
        let secret = try file.string("secret_key")
        guard let keys = try? CurveKeyPair(secretKey: secret) else {
            throw ConfigFile.Error(line: nil, key: "secret_key", message: "应为 40 位 Z85 私钥")
        }
        let database: DatabaseConfiguration
        do {
            database = try DatabaseConfiguration.parse(url: try file.string("database_url"))
        } catch let error as StoreError {
            throw ConfigFile.Error(line: nil, key: "database_url", message: error.message)
        }
        var configuration = HubConfiguration(
            bind: try file.optionalString("bind") ?? "tcp://127.0.0.1:7700",
            keys: keys, database: database,
            checksPerMinute: try file.integer("checks_per_minute", default: 120, range: 1...100_000),
            messagesPerSecond: try file.integer("messages_per_second", default: 5_000, range: 10...1_000_000),
            applyBatch: try file.integer("apply_batch", default: 256, range: 1...4096),
            resendSeconds: try file.integer("resend_seconds", default: 10, range: 1...3600),
            policy: ProtectionPolicy(
                windowDays: try file.integer("protection_days", default: 180, range: 1...3650),
                taskforceThresholdWan: Double(try file.integer("taskforce_threshold_wan", default: 1_000_000, range: 1...1_000_000_000))),
            deadlines: DispatchDeadlines(respondHours: try file.integer("respond_hours", default: 24, range: 1...720),
                                         assessHours: try file.integer("assess_hours", default: 72, range: 1...2160)))
        configuration.console = try file.consoleAddress()
        configuration.metrics = try file.address("metrics_bind")
        switch (try file.optionalString("previous_secret_key"), try file.optionalString("previous_bind")) {
        case (nil, nil):
            break
        case (let secret?, let bind?):
            guard let previous = try? CurveKeyPair(secretKey: secret) else {
                throw ConfigFile.Error(line: nil, key: "previous_secret_key", message: "应为 40 位 Z85 私钥")
            }
            guard bind != configuration.bind else {
                throw ConfigFile.Error(line: nil, key: "previous_bind", message: "须与 bind 不同：新旧密钥各用一个地址")
            }
            configuration.previous = PreviousKey(keys: previous, bind: bind)
        case (nil, _):
            throw ConfigFile.Error(line: nil, key: "previous_secret_key", message: "有 previous_bind 时必填")
        case (_, nil):
            throw ConfigFile.Error(line: nil, key: "previous_bind", message: "有 previous_secret_key 时必填")
        }
        return configuration
    }
}
