// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "concord",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "concord", targets: ["concord"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        // SHA-256 for `audit verify`, which must not trust a hash function stored in the database it
        // checks. Already built for postgres-nio; the range is the one postgres-nio resolves in.
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CZeroMQ",
            pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"])]
        ),
        .target(
            name: "ConcordDomain"
        ),
        .target(
            name: "ConcordConfig"
        ),
        .target(
            name: "ConcordProtocol",
            dependencies: ["ConcordDomain"]
        ),
        .target(
            name: "ZeroMQ",
            dependencies: ["CZeroMQ"]
        ),
        // The promises every byte parser keeps; the libFuzzer targets in Fuzz/ and the tests share them.
        .target(
            name: "ConcordFuzzChecks",
            dependencies: ["ConcordConfig", "ConcordDomain", "ConcordProtocol"]
        ),
        .target(
            name: "ConcordStore",
            dependencies: [
                "ConcordDomain",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "ConcordHub",
            dependencies: [
                "ConcordConfig", "ConcordDomain", "ConcordProtocol", "ConcordStore", "ZeroMQ",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "ConcordNode",
            dependencies: [
                "ConcordConfig", "ConcordDomain", "ConcordProtocol", "ConcordStore", "ZeroMQ",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The web consoles served by `hub run` and `node run`: server-rendered HTML, sessions, CSRF.
        .target(
            name: "ConcordWeb",
            dependencies: [
                "ConcordConfig", "ConcordDomain", "ConcordHub", "ConcordNode", "ConcordProtocol", "ConcordStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "concord",
            dependencies: [
                "ConcordConfig",
                "ConcordWeb",
                "ConcordDomain",
                "ConcordHub",
                "ConcordNode",
                "ConcordProtocol",
                "ZeroMQ",
                "ConcordStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "ConcordDomainTests",
            dependencies: ["ConcordDomain"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "ConcordConfigTests",
            dependencies: ["ConcordConfig"]
        ),
        .testTarget(
            name: "ConcordProtocolTests",
            dependencies: ["ConcordProtocol"]
        ),
        .testTarget(
            name: "ConcordHubTests",
            dependencies: ["ConcordHub", "ConcordNode", "ConcordStore", "ConcordProtocol", "ConcordTestSupport", "ZeroMQ"]
        ),
        .testTarget(
            name: "ConcordFuzzTests",
            dependencies: ["ConcordFuzzChecks", "ConcordConfig", "ConcordDomain", "ConcordProtocol",
                           .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(
            name: "ZeroMQTests",
            dependencies: ["ZeroMQ"]
        ),
        .target(
            name: "ConcordTestSupport",
            dependencies: [
                "ConcordStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Tests/ConcordTestSupport"
        ),
        .testTarget(
            name: "ConcordWebTests",
            dependencies: ["ConcordWeb", "ConcordTestSupport", "ConcordStore", "ConcordNode", "ConcordHub",
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "HTTPTypes", package: "swift-http-types"),
                           .product(name: "Mustache", package: "swift-mustache")]
        ),
        .testTarget(
            name: "ConcordStoreTests",
            dependencies: ["ConcordStore", "ConcordTestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
