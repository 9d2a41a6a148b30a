import Foundation

/// Building the programs Apus ships (`Userland/programs/*.c`) against its small C library
/// (`Userland/lib`, `Userland/include`), with the toolchain's clang, as static ELF programs
/// linked at 0x401000 (`Userland/user.ld`). A program is rebuilt when any of its inputs is
/// newer than it.
public struct UserlandBuild: Sendable {
    public let workspace: Workspace

    public init(workspace: Workspace = .current) { self.workspace = workspace }

    var userland: URL { workspace.root.appendingPathComponent("Userland") }
    /// Where the built programs go.
    public var binaries: URL { userland.appendingPathComponent(".build/bin") }
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
        let headers = try contents(of: "include")
        let script = userland.appendingPathComponent("user.ld")
        let shared = library + headers + [script]
        for program in try contents(of: "programs") where program.pathExtension == "c" {
            let output = binaries.appendingPathComponent(program.deletingPathExtension().lastPathComponent)
            guard isStale(output, inputs: shared + [program]) else { continue }
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
        }
        return binaries
    }

    private func contents(of folder: String) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: userland.appendingPathComponent(folder), includingPropertiesForKeys: nil)
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    private func isStale(_ output: URL, inputs: [URL]) -> Bool {
        guard let built = modificationDate(output) else { return true }
        return inputs.contains { (modificationDate($0) ?? .distantFuture) > built }
    }

    private func modificationDate(_ url: URL) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date
    }

    private func run(_ tool: String, _ arguments: [String]) throws -> (Int32, String) {
        let output = LockedData()
        let status = try runReadingOutput(URL(fileURLWithPath: "/usr/bin/env"), [tool] + arguments, onData: output.append)
        return (status, String(decoding: output.data, as: UTF8.self))
    }
}
