// swift-tools-version:6.1
// libFuzzer targets, one per parser that takes bytes from the network or a file. A package of its
// own, because every target here is built with -sanitize=fuzzer,address; the sources are the main
// package's (symbolic links). Run: scripts/fuzz [--seconds N]
import PackageDescription

let fuzzers = ["FuzzEnvelope", "FuzzConfig", "FuzzCsv", "FuzzNames", "FuzzTopics"]

let package = Package(
    name: "ConcordFuzz",
    targets: [
        .target(name: "ConcordDomain", path: "Sources/ConcordDomain"),
        .target(name: "ConcordConfig", path: "Sources/ConcordConfig"),
        .target(name: "ConcordProtocol", dependencies: ["ConcordDomain"], path: "Sources/ConcordProtocol"),
        .target(name: "ConcordFuzzChecks", dependencies: ["ConcordConfig", "ConcordDomain", "ConcordProtocol"],
                path: "Sources/ConcordFuzzChecks"),
        // libFuzzer's callback and driver; each executable picks its check by its own name.
        .target(name: "FuzzDriver", dependencies: ["ConcordFuzzChecks"], path: "Targets/FuzzDriver"),
    ] + fuzzers.map { name in
        .executableTarget(name: name, dependencies: ["FuzzDriver"], path: "Targets/\(name)")
    },
    swiftLanguageModes: [.v6]
)
