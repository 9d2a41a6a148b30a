// swift-tools-version: 6.1
//
// Apus: an x86-64 teaching kernel in Embedded Swift.
//
// This package holds the portable core (`ApusCore`) and its host tests. The core compiles
// twice: hosted, for `swift test` and the benchmarks in `Benchmarks/`, and Embedded, for the
// kernel (its build proves the second on every CI run; `.ci/embedded-check` alone, quickly).

import PackageDescription

let package = Package(
    name: "Apus",
    products: [
        .library(name: "ApusCore", targets: ["ApusCore"]),
        .executable(name: "apus", targets: ["apus"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .target(
            name: "ApusCore",
            // Optimized builds: let clients (the benchmarks, the tool) specialize the core's
            // generics, as the Embedded kernel build always does; and check exclusive access
            // statically only (debug builds, and so `swift test`, keep the run-time checks,
            // which cost a quarter of an eager mmap's time when on).
            swiftSettings: [.unsafeFlags(["-cross-module-optimization", "-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        // The host tool: builds the kernel, boots it in QEMU, runs programs and tests.
        .target(name: "ApusTool", dependencies: ["ApusCore"]),
        .executableTarget(
            name: "apus",
            dependencies: ["ApusTool", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "ApusCoreTests", dependencies: ["ApusCore"]),
        // The tool on the host: status decoding, a fake QEMU, builds, inputs, the command line.
        .testTarget(name: "ApusToolTests", dependencies: ["ApusTool", "ApusCore", "apus"]),
        // The kernel in QEMU, through the tool's library and through the `apus` command itself.
        .testTarget(name: "ApusSystemTests", dependencies: ["ApusTool", "ApusCore", "apus"], exclude: ["Fixtures"]),
    ]
)
