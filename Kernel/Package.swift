// swift-tools-version: 6.1
//
// The Apus kernel: Embedded Swift for bare-metal x86-64, booted by QEMU with `-kernel`.
//
// Built by `apus` (see Sources/ApusTool/KernelBuild.swift) with
//
//     swift build --package-path Kernel --triple x86_64-unknown-none-elf -c release \
//         -Xswiftc -enable-experimental-feature -Xswiftc Embedded -Xswiftc -wmo \
//         -Xcc -mcmodel=large -Xcc -mno-red-zone -Xcc -fno-pic …
//
// which compiles ApusCore (from the root package, the same sources `swift test` checks) and
// this package for the kernel. The flags must be on the command line so that they reach the
// ApusCore target too.

import Foundation
import PackageDescription

let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path

let package = Package(
    name: "ApusKernel",
    dependencies: [.package(name: "Apus", path: "..")],
    targets: [
        .target(name: "KernelSupport"),
        .executableTarget(
            name: "ApusKernel",
            dependencies: [
                "KernelSupport",
                .product(name: "ApusCore", package: "Apus"),
            ],
            // One CPU, no threads: the kernel's globals are its state, not a data race.
            swiftSettings: [.swiftLanguageMode(.v5)],
            linkerSettings: [
                .unsafeFlags([
                    "-use-ld=lld", "-Xclang-linker", "-nostdlib",
                    "-Xlinker", "-T", "-Xlinker", "\(here)/Sources/KernelSupport/linker.ld",
                    "-Xlinker", "-static", "-Xlinker", "--no-pie", "-Xlinker", "--no-dynamic-linker",
                    "-Xlinker", "--gc-sections", "-Xlinker", "-z", "-Xlinker", "max-page-size=4096",
                ]),
            ]
        ),
    ]
)
