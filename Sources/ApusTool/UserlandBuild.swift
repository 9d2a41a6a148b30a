import Foundation

/// Building the programs Apus ships (`Userland/programs/*.c`) against its small C library
/// (`Userland/lib`, `Userland/include`), with the toolchain's clang, as static ELF programs
/// linked at 0x401000 (`Userland/user.ld`). A program is rebuilt when the fingerprint of its
/// inputs (its source, the library, the headers, the linker script, the flags and clang
/// itself) differs from the one its last build left in `Userland/.build/stamps`.
public struct UserlandBuild: Sendable {
    public let workspace: Workspace

    public init(workspace: Workspace = .current) { self.workspace = workspace }

    var userland: URL { workspace.root.appendingPathComponent("Userland") }
    /// Where the built programs go.
    public var binaries: URL { userland.appendingPathComponent(".build/bin") }
    /// Where each program's ``FingerprintStamp`` is kept (not beside the programs: every file
    /// there joins the root file system).
    var stamps: URL { userland.appendingPathComponent(".build/stamps") }
    /// Data files the root file system always holds.
    public var dataFiles: URL { userland.appendingPathComponent("data") }

    public static let compilerFlags = [
        "--target=x86_64-unknown-none-elf", "-ffreestanding", "-fno-pic", "-fno-stack-protector",
        "-fno-builtin", "-O2", "-Wall", "-nostdlib", "-static", "-fuse-ld=lld",
    ]

    /// Builds every program that is stale and returns the folder that holds them all.
    public func build(progress: (String) -> Void = { _ in }) throws -> URL {
        let files = FileManager.default
        try files.createDirectory(at: binaries, withIntermediateDirectories: true)
        let library = try contents(of: "lib").filter { ["c", "S"].contains($0.pathExtension) }
        let script = userland.appendingPathComponent("user.ld")
        var shared = BuildFingerprint()
        shared.add("checkout", [workspace.root.standardizedFileURL.path])
        shared.add("flags", Self.compilerFlags)
        shared.addTool("clang")
        // The whole folders, not only the files compiled: a header added or removed counts.
        for folder in ["lib", "include"] {
            shared.addFiles(under: userland.appendingPathComponent(folder), relativeTo: userland)
        }
        shared.addFile(script, as: "user.ld")
        for program in try contents(of: "programs") where program.pathExtension == "c" {
            let name = program.deletingPathExtension().lastPathComponent
            let output = binaries.appendingPathComponent(name)
            var fingerprint = shared
            fingerprint.addFile(program, as: "programs/\(program.lastPathComponent)")
            let stamp = FingerprintStamp(product: output, stamp: stamps.appendingPathComponent(name + ".fingerprint"))
            if stamp.isCurrent(fingerprint) { continue }
            stamp.forget()
            progress("compiling \(program.lastPathComponent)")
            let arguments = Self.compilerFlags + [
                "-I", userland.appendingPathComponent("include").path,
                // -Xlinker, not -Wl: a comma in the checkout's path must not split the argument.
                "-Xlinker", "-T", "-Xlinker", script.path, "-Wl,--build-id=none",
                "-o", output.path,
            ] + library.map(\.path) + [program.path]
            let (status, messages) = try run("clang", arguments)
            guard status == 0 else {
                throw ToolError("\(program.lastPathComponent) did not compile:\n\(messages)")
            }
            try stamp.record(fingerprint)
        }
        return binaries
    }

    /// The flags of a program built for Linux: the same compiler and optimization as Apus's
    /// programs, Linux's target, no C library (``linuxLibrary`` stands in for one).
    public static let linuxCompilerFlags = [
        "--target=x86_64-unknown-linux-gnu", "-ffreestanding", "-fno-pic", "-fno-stack-protector",
        "-fno-builtin", "-O2", "-Wall", "-nostdlib", "-static", "-fuse-ld=lld",
    ]

    /// What a KeOS program is linked with on Linux: Linux's entry and the KeOS calls over
    /// Linux's (`Userland/linux`), and the portable parts of Apus's library.
    var linuxLibrary: [URL] {
        [userland.appendingPathComponent("linux/crt0.S"), userland.appendingPathComponent("linux/syscall.c"),
         userland.appendingPathComponent("lib/syscall6.c"), userland.appendingPathComponent("lib/stdio.c"),
         userland.appendingPathComponent("lib/string.c")]
    }

    /// Builds `Userland/programs/NAME.c` as a static Linux program (for `apus bench --linux`)
    /// and returns its bytes. Headers come from `Userland/linux/include` first, then
    /// `Userland/include`; it is built every time (one compiler run).
    public func buildForLinux(program name: String) throws -> Data {
        let folder = userland.appendingPathComponent(".build/linux")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let output = folder.appendingPathComponent(name)
        let arguments = Self.linuxCompilerFlags + [
            "-I", userland.appendingPathComponent("linux/include").path,
            "-I", userland.appendingPathComponent("include").path,
            "-Wl,--build-id=none", "-o", output.path,
        ] + linuxLibrary.map(\.path) + [userland.appendingPathComponent("programs/\(name).c").path]
        let (status, messages) = try run("clang", arguments)
        guard status == 0 else { throw ToolError("\(name).c did not compile for Linux:\n\(messages)") }
        return try Data(contentsOf: output)
    }

    private func contents(of folder: String) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: userland.appendingPathComponent(folder), includingPropertiesForKeys: nil)
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    private func run(_ tool: String, _ arguments: [String]) throws -> (Int32, String) {
        let output = LockedData()
        let status = try runReadingOutput(URL(fileURLWithPath: "/usr/bin/env"), [tool] + arguments, onData: output.append)
        return (status, String(decoding: output.data, as: UTF8.self))
    }
}
