// swift-tools-version: 6.1
//
// The Apus kernel: Embedded Swift for bare-metal x86-64, booted by QEMU with `-kernel`.
//
// Built by `apus` (Sources/ApusTool/KernelBuild.swift) with
//
//     swift build --package-path Kernel --triple x86_64-unknown-none-elf -c release
//
// Every flag is in this manifest, and this package depends on nothing. The kernel is one
// Swift module: its own sources and ApusCore's, compiled whole, so the kernel's flags reach
// the core and the optimiser specialises the core's generics once, for the kernel
// (docs/testing.md, "CI"). Sources/ApusKernel/ApusCore is a link to the root package's core
// (the same sources `swift test` checks). Being one module, the kernel could name what the
// core keeps internal; .ci/embedded-check checks that it names only what the core makes
// public. No two files of the module may share a name (SwiftPM names their objects after
// them), so the kernel's extensions of its own types are named `Type+Subject.swift`.

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
        .executableTarget(
            name: "ApusKernel",
            dependencies: [
                "X86_64Support",
                "KernelRuntime",
            ],
            exclude: ["arch/x86_64/support", "ApusCore/ApusCore.docc"],
            // The kernel's globals are its state, guarded by its locks (Locking/), which the
            // Swift 6 checker cannot see; the root package's build checks the core in Swift 6.
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
