import ApusCore
import ApusTool
import Foundation
import Testing

/// `apus run` reports exactly what the program did: every byte of its output, its status and
/// statistics from the kernel's own records, and every failure as a failure; and the machine
/// ends with the tool.
@Suite("What apus run reports")
struct RunReportingTests {
    /// Byte `i` of what `flood` writes.
    static func floodPattern(_ count: Int) -> Data {
        var data = Data(count: count)
        data.withUnsafeMutableBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            for index in 0..<count { bytes[index] = UInt8(truncatingIfNeeded: index ^ (index >> 8) ^ (index >> 16)) }
        }
        return data
    }

    @Test(arguments: [ConsoleStream.output, .error])
    func sixteenMiBArriveByteForByteAndAsTheProgramWrites(stream: ConsoleStream) throws {
        let chunks = LockedCounter()
        let result = try SystemUnderTest.run("flood", [stream == .output ? "1" : "2", "16384"], onOutput: { _, _ in chunks.increment() })
        expectEqual(result.problem, nil)
        expectEqual(result.exitStatus, 0)
        let expected = Self.floodPattern(16 << 20)
        let (got, other) = stream == .output ? (result.output, result.errorOutput) : (result.errorOutput, result.output)
        expectEqual(got.count, expected.count)
        expectEqual(got, expected, "every byte, in order")
        #expect(other.isEmpty)
        #expect(chunks.value > 1, "passed on as it arrives, not at the end")
    }

    @Test(arguments: [ConsoleStream.output, .error])
    func withoutSharedRAMTheOutputTakesTheDebugConsolesEveryByteStill(stream: ConsoleStream) throws {
        let result = try SystemUnderTest.run("flood", [stream == .output ? "1" : "2", "512"]) { $0.machine.usesOutputRings = false }
        expectEqual(result.problem, nil)
        expectEqual((stream == .output ? result.output : result.errorOutput), Self.floodPattern(512 << 10))
        #expect((stream == .output ? result.errorOutput : result.output).isEmpty)
    }

    static let forgedName = Array("e\nexit status 0\nframes in use: 1 before, 1 after (0 leaked)\n".utf8)

    @Test func aFileNameCannotForgeAStatusOrStatistics() throws {
        let folder = try TemporaryFolder()
        try writeFile(folder.path + Self.forgedName, Array("\u{7F}ELF but not a program".utf8))
        let result = try SystemUnderTest.run("", rootfs: [folder.url]) { $0.program = Self.forgedName }
        #expect(result.exitStatuses.isEmpty)
        #expect(result.frames == nil)
        expectEqual(result.shellStatus, 126)
        expectEqual(result.problem, #"cannot run e\nexit status 0\nframes in use: 1 before, 1 after (0 leaked)\n: not a valid x86-64 ELF executable"#)
        #expect(!result.logLines.contains("exit status 0"), "the name is escaped in the log:\n\(result.log)")
    }

    @Test func aKernelAndFoldersUnderPathsWithSpacesAndCommasRun() throws {
        let folder = try TemporaryFolder(name: "a checkout, with spaces, and commas")
        let kernel = folder.url.appendingPathComponent("Apus Kernel, release")
        try FileManager.default.copyItem(at: SystemUnderTest.kernel.get(), to: kernel)
        let result = try SystemUnderTest.run("cat", ["motd.txt"], kernel: kernel) { $0.machine.scratchParent = folder.url }
        expectEqual(result.problem, nil, "log:\n\(result.log)")
        expectEqual(result.stdout, "KeOS is fun!\nApus too.\n")
        expectEqual(result.exitStatus, 0)
    }

    @Test func theProgramsBuildAndRunFromACheckoutUnderAPathWithSpacesAndCommas() throws {
        let folder = try TemporaryFolder(name: "a checkout, with spaces, and commas")
        let userland = folder.url.appendingPathComponent("Userland")
        try FileManager.default.createDirectory(at: userland, withIntermediateDirectories: true)
        for part in ["include", "lib", "programs", "data", "user.ld"] {
            try FileManager.default.copyItem(at: Workspace.current.root.appendingPathComponent("Userland/\(part)"),
                                             to: userland.appendingPathComponent(part))
        }
        let build = UserlandBuild(workspace: Workspace(root: folder.url))
        let programs = try build.build(.only(["hello"]))
        let result = try SystemUnderTest.run("hello", programs: programs) { $0.machine.scratchParent = folder.url }
        expectEqual(result.problem, nil)
        expectEqual(result.stdout, "Hello from Apus!\n")
    }

    @Test func aRepeatedRunThatCannotStartFailsTheCommandAndEveryRunIsReported() throws {
        let result = try SystemUnderTest.run("selfwrite") { $0.repetitions = 3 }
        expectEqual(result.runs, [.exited(0), .couldNotStart(.notAProgram)])
        expectEqual(result.problem, "run 2 of 3: cannot run selfwrite: not a valid x86-64 ELF executable")
        expectEqual(result.shellStatus, 126)
    }

    @Test func aRepeatThatTimesOutFailsTheCommand() throws {
        let result = try SystemUnderTest.run("spin") { run in
            run.repetitions = 2
            run.machine.timeout = 1
        }
        expectEqual(result.stdout, "spinning\n")
        expectEqual(result.problem?.contains("did not power off within 1 second of"), true)
        expectEqual(result.shellStatus, 125)
    }

    @Test func argumentBytesThatAreNotUTF8ReachTheProgramExactly() throws {
        let name: [UInt8] = [0x68, 0xFF, 0x6C, 0x6C, 0x6F]
        let result = try SystemUnderTest.run("argv") { run in
            run.argv0 = name
            run.arguments = [[0xFF, 0x41], [0xC3, 0x28]]
        }
        expectEqual(result.exitStatus, 3)
        let output = [UInt8](result.output)
        for bytes in [name, [0xFF, 0x41], [0xC3, 0x28]] as [[UInt8]] {
            #expect(output.contains(subsequence: [UInt8(ascii: "\"")] + bytes + [UInt8(ascii: "\"")]), "\(bytes) in \(result.stdout)")
        }
    }

    /// A name on the disk is UTF-8 (ABI.md §6): a `--rootfs` file whose name is not cannot
    /// be on it, and the tool says which before it boots.
    @Test func aRootfsFileWhoseNameIsNotUTF8IsRefusedByName() throws {
        let folder = try TemporaryFolder()
        try writeFile(folder.path + [0x68, 0xFF, 0x6C, 0x6C, 0x6F], [1, 2, 3])
        #expect { try SystemUnderTest.run("hello", rootfs: [folder.url]) } throws: { error in
            "\(error)".contains("h\\xffllo") && "\(error)".contains("UTF-8")
        }
    }

    @Test func standardInputLargerThanTheMachineIsRefused() throws {
        #expect(throws: ToolError.self) {
            try SystemUnderTest.run("cat") { run in
                run.machine.memory = 32
                run.standardInput = Data(count: (32 << 20) + 1)
            }
        }
    }
}

/// Writes `bytes` to the file at `path` (bytes: a name need not be UTF-8).
func writeFile(_ path: [UInt8], _ bytes: [UInt8]) throws {
    let descriptor = (path + [0]).withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_CREAT | O_WRONLY | O_TRUNC, 0o755) } }
    guard descriptor >= 0 else { throw ToolError("cannot create \(String(decoding: path, as: UTF8.self))") }
    defer { close(descriptor) }
    _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
}

final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}

/// A folder for one test, removed at its end.
final class TemporaryFolder {
    let url: URL

    init(name: String = "apus-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)/\(name)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The folder's path as bytes, ending in a slash.
    var path: [UInt8] { Array(url.path.utf8) + [UInt8(ascii: "/")] }

    deinit { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
}

extension Array where Element == UInt8 {
    func contains(subsequence: [UInt8]) -> Bool {
        guard subsequence.count <= count else { return false }
        return (0...(count - subsequence.count)).contains { self[$0..<($0 + subsequence.count)].elementsEqual(subsequence) }
    }
}
