// swift-tools-version:6.1
// Benchmarks live in their own package so the main build and CI never build ordo-one/benchmark.
// Run: cd Benchmarks && swift package --allow-writing-to-package-directory benchmark
import PackageDescription

let package = Package(
    name: "ConcordBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The same sources as the main package's ConcordDomain (a symbolic link), built here in release.
        .target(name: "ConcordDomain", path: "Sources/ConcordDomain"),
        .executableTarget(
            name: "IdentityBenchmarks",
            dependencies: [
                "ConcordDomain",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/IdentityBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
