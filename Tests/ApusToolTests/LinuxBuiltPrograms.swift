@testable import ApusTool
import Foundation
import Testing

/// Apus's programs built against the Linux shim (`Userland/linux`) and run on this host, in
/// scratch folders, so that their output can be set beside tools nobody here wrote (GNU
/// coreutils, GNU tar, busybox) before the kernel has a file system to run them on.
enum LinuxBuiltPrograms {
    /// Where they are built: a folder of this test process's, removed when it exits.
    static let location = FileManager.default.temporaryDirectory.appendingPathComponent("apus-linux-programs-\(getpid())")

    /// The programs the host tests run, built once for the whole test run.
    static let names = ["ls", "sha256sum", "tar", "mkdir", "rm", "touch", "cp", "fscalls", "fshostile"]

    static let folder: Result<URL, ToolError> = {
        do {
            let folder = location
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            atexit { try? FileManager.default.removeItem(at: LinuxBuiltPrograms.location) }
            let build = UserlandBuild()
            for name in names {
                let program = folder.appendingPathComponent(name)
                try build.buildForLinux(program: name).write(to: program)
                try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: program.path)
            }
            return .success(folder)
        } catch let error as ToolError {
            return .failure(error)
        } catch {
            return .failure(ToolError("\(error)"))
        }
    }()

    struct Finished {
        var status: Int32
        var stdout: Data
        var stderr: String
        var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs `executable` in `directory` with `input` as its standard input; its output goes
    /// through files, so any size of either is fine.
    static func run(_ executable: URL, _ arguments: [String], in directory: URL, input: Data = Data()) throws -> Finished {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("apus-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let inputFile = scratch.appendingPathComponent("in"), outputFile = scratch.appendingPathComponent("out")
        let errorFile = scratch.appendingPathComponent("err")
        try input.write(to: inputFile)
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardInput = try FileHandle(forReadingFrom: inputFile)
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
        process.waitUntilExit()
        return Finished(status: process.terminationStatus, stdout: try Data(contentsOf: outputFile),
                        stderr: String(decoding: try Data(contentsOf: errorFile), as: UTF8.self))
    }

    /// Runs one of Apus's programs, built for Linux.
    static func program(_ name: String, _ arguments: [String] = [], in directory: URL, input: Data = Data()) throws -> Finished {
        try run(folder.get().appendingPathComponent(name), arguments, in: directory, input: input)
    }

    /// Builds the benchmark program for Linux into `folder` as `bench` and runs it there: what
    /// it printed, and its lines read back.
    static func bench(_ arguments: [String], in folder: URL) throws -> (finished: Finished, output: BenchOutput) {
        let program = folder.appendingPathComponent(BenchRun.program)
        try UserlandBuild().buildForLinux(program: BenchRun.program).write(to: program)
        chmod(program.path, 0o755)
        let finished = try run(program, arguments, in: folder)
        return (finished, BenchOutput(lines: finished.text.split(separator: "\n").map { (String($0), 0) }))
    }

    /// Runs a host tool (`/usr/bin/…`).
    static func host(_ path: String, _ arguments: [String], in directory: URL, input: Data = Data()) throws -> Finished {
        try run(URL(fileURLWithPath: path), arguments, in: directory, input: input)
    }

    /// A new empty folder, removed by the caller's `defer`.
    static func scratchFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("apus-scratch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// `count` bytes that look random and are the same on every run (xorshift64).
    static func bytes(_ count: Int, seed: UInt64) -> Data {
        var data = Data(count: (count + 7) / 8 * 8)
        var state = seed | 1
        data.withUnsafeMutableBytes { raw in
            let words = raw.bindMemory(to: UInt64.self)
            for i in words.indices {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                words[i] = state
            }
        }
        return data.prefix(count)
    }

    /// What a tree holds: each path below `root` (relative, `/`-separated) with its file's
    /// bytes, or nil for a directory.
    static func tree(at root: URL) throws -> [String: Data?] {
        var entries: [String: Data?] = [:]
        let files = FileManager.default
        for relative in try files.subpathsOfDirectory(atPath: root.path) {
            var isDirectory: ObjCBool = false
            let path = root.appendingPathComponent(relative).path
            _ = files.fileExists(atPath: path, isDirectory: &isDirectory)
            entries[relative] = isDirectory.boolValue ? Optional<Data>.none : try Data(contentsOf: URL(fileURLWithPath: path))
        }
        return entries
    }

    /// Makes the files and directories of `entries` (as `tree(at:)` gives them) under `root`.
    static func make(_ entries: [String: Data?], at root: URL) throws {
        for (relative, contents) in entries.sorted(by: { $0.key < $1.key }) {
            let url = root.appendingPathComponent(relative)
            if let contents {
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try contents.write(to: url)
            } else {
                try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            }
        }
    }
}
