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
        // The assembly and C that only x86-64 hardware needs (boot, the trap and system call
        // entries, the context switch, the memory functions, random bytes) and the linker
        // script. SwiftPM does not mix C and Swift in one target, so it is a target of its
        // own in the folder of the Swift that calls it, which excludes it.
        .target(name: "X86_64Support", path: "Sources/ApusKernel/arch/x86_64/support", exclude: ["linker.ld"]),
        // C that is not hardware: the Embedded runtime's heap entry points and the rings of
        // memory shared with the host for the program's input and output.
        .target(name: "KernelRuntime", dependencies: ["X86_64Support"]),
        .executableTarget(
            name: "ApusKernel",
            dependencies: [
                "X86_64Support",
                "KernelRuntime",
                .product(name: "ApusCore", package: "Apus"),
            ],
            exclude: ["arch/x86_64/support"],
            // One CPU, no threads: the kernel's globals are its state, not a data race.
            swiftSettings: [.swiftLanguageMode(.v5)],
            linkerSettings: [
                .unsafeFlags([
                    "-use-ld=lld", "-Xclang-linker", "-nostdlib",
                    "-Xlinker", "-T", "-Xlinker", "\(here)/Sources/ApusKernel/arch/x86_64/support/linker.ld",
                    "-Xlinker", "-static", "-Xlinker", "--no-pie", "-Xlinker", "--no-dynamic-linker",
                    "-Xlinker", "--gc-sections", "-Xlinker", "-z", "-Xlinker", "max-page-size=4096",
                ]),
            ]
        ),
    ]
)
