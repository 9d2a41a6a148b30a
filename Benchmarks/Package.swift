// swift-tools-version: 6.1
//
// Benchmarks of ApusCore on the host, with package-benchmark. A package of its own, so that
// `swift test` at the root never builds them. Run from this folder:
//
//     swift package benchmark
//
// (docs/speed.md says what each benchmark measures, with the latest numbers).

import PackageDescription

let package = Package(
    name: "ApusBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "Apus", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "CoreBenchmarks",
            dependencies: [
                .product(name: "ApusCore", package: "Apus"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/CoreBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v5)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
