// swift-tools-version: 6.1
//
// The Apus kernel: Embedded Swift for bare-metal x86-64, booted by QEMU with `-kernel`.
//
// Built by `apus` (Sources/ApusTool/KernelBuild.swift) with
//
//     swift build --package-path Kernel --triple x86_64-unknown-none-elf -c release
//
// Every flag is in this manifest. ApusCore is a target of this package too, so that the
// kernel's flags reach it: its folder, Sources/ApusCore, is a link to the root package's
// (the same sources `swift test` checks), and this package depends on nothing.

import Foundation
import PackageDescription

let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path

/// What every file of the kernel, C or Swift, is compiled for: the kernel's code and data
/// live in the lower-half kernel window (docs/memory-layout.md), and it uses no SSE.
let freestanding = ["-mcmodel=large", "-mno-red-zone", "-fno-pic", "-mno-sse", "-mno-sse2", "-mno-mmx",
                    "-ffreestanding", "-fno-omit-frame-pointer"]

/// Embedded Swift (DESIGN.md, "Facts that shape the layout"), compiled whole, with no stack
/// protector; exclusive access is checked statically (the host's debug builds check it at
/// run time).
let embeddedSwift: [SwiftSetting] = [
    .enableExperimentalFeature("Embedded"),
    .unsafeFlags(["-wmo", "-Xfrontend", "-disable-stack-protector", "-enforce-exclusivity=unchecked"]
                 + freestanding.flatMap { ["-Xcc", $0] }),
]

let package = Package(
    name: "ApusKernel",
    targets: [
        // The assembly and C that only x86-64 hardware needs (boot, the trap and system call
        // entries, the context switch, the memory functions, random bytes) and the linker
        // script. SwiftPM does not mix C and Swift in one target, so it is a target of its
        // own in the folder of the Swift that calls it, which excludes it.
        .target(name: "X86_64Support", path: "Sources/ApusKernel/arch/x86_64/support", exclude: ["linker.ld"],
                cSettings: [.unsafeFlags(freestanding)]),
        // C that is not hardware: the Embedded runtime's heap entry points and the rings of
        // memory shared with the host for the program's input and output.
        .target(name: "KernelRuntime", dependencies: ["X86_64Support"], cSettings: [.unsafeFlags(freestanding)]),
        // The portable core, with the settings the root package gives it in release builds.
        .target(name: "ApusCore", swiftSettings: embeddedSwift + [.unsafeFlags(["-cross-module-optimization"])]),
        .executableTarget(
            name: "ApusKernel",
            dependencies: [
                "X86_64Support",
                "KernelRuntime",
                "ApusCore",
            ],
            exclude: ["arch/x86_64/support"],
            // One CPU, no threads: the kernel's globals are its state, not a data race.
            swiftSettings: embeddedSwift + [.swiftLanguageMode(.v5)],
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
