import ApusTool
import Foundation
import Testing

/// The `apus` command itself, run as a user runs it.
@Suite("The apus command")
struct CommandTests {

    struct Finished {
        var status: Int32
        var stdout: Data
        var stderr: String
    }

    /// Runs `apus` with `arguments` (through /bin/sh when `shell` is given, for bytes a
    /// String cannot hold) and waits for it.
    static func apus(_ arguments: [String], shell: String? = nil, environment: [String: String] = [:]) throws -> Finished {
        let process = Process()
        if let shell {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", shell, try requireApus().path]
        } else {
            process.executableURL = try requireApus()
            process.arguments = arguments
        }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stderr = LockedText()
        let reader = Thread { stderr.set(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)) }
        reader.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !reader.isFinished { usleep(1000) }
        return Finished(status: process.terminationStatus, stdout: stdout, stderr: stderr.value)
    }

    @Test(arguments: ["0", "-1", "99999999999", "1000001"])
    func aRepeatCountThatCannotBeHonouredIsRefused(count: String) throws {
        let finished = try Self.apus(["run", "--repeat", count, "hello"])
        #expect(finished.status != 0)
        #expect(finished.stdout.isEmpty)
        #expect(finished.stderr.contains("repeat") && !finished.stderr.contains("Hello"), "\(finished.stderr)")
    }

    @Test func aMissingRootfsFolderOrAFileIsAClearMessage() throws {
        let missing = try Self.apus(["run", "--rootfs", "/no/such/folder", "hello"])
        expectEqual(missing.status, 2)
        #expect(missing.stderr.contains("apus: /no/such/folder: no such folder"), "\(missing.stderr)")
        #expect(!missing.stderr.contains("NSCocoaErrorDomain"))
        let file = try Self.apus(["run", "--rootfs", "/etc/hostname", "hello"])
        expectEqual(file.status, 2)
        #expect(file.stderr.contains("is a file, not a folder"), "\(file.stderr)")
    }

    @Test func aWarmRunBuildsNothingAndSaysNothingAboutBuilding() throws {
        _ = try SystemUnderTest.kernel.get()
        _ = try SystemUnderTest.programs.get()
        let finished = try Self.apus(["run", "--acceleration", "software", "hello"])
        expectEqual(finished.status, 0, "\(finished.stderr)")
        expectEqual(String(decoding: finished.stdout, as: UTF8.self), "Hello from Apus!\n")
        #expect(!finished.stderr.contains("Building the kernel"), "\(finished.stderr)")
        #expect(!finished.stderr.contains("compiling"), "\(finished.stderr)")
    }

    @Test func aMissingProgramIsExit127WithTheClosestNamesAndHowToAddOne() throws {
        _ = try SystemUnderTest.kernel.get()
        _ = try SystemUnderTest.programs.get()
        let finished = try Self.apus(["run", "helo"])
        expectEqual(finished.status, 127)
        #expect(finished.stdout.isEmpty)
        #expect(finished.stderr.contains("apus: no program named helo in the root file system. Did you mean hello?"), "\(finished.stderr)")
        #expect(finished.stderr.contains("Userland/programs") && finished.stderr.contains("--rootfs DIR"), "\(finished.stderr)")
    }

    @Test(arguments: [[], ["run"], ["test"], ["debug"], ["boot"], ["bench"], ["build"], ["mkfs"], ["fsck"], ["ls"], ["cp"]])
    func everyHelpShowsExamples(command: [String]) throws {
        let finished = try Self.apus(command + ["--help"])
        expectEqual(finished.status, 0)
        let help = String(decoding: finished.stdout, as: UTF8.self)
        #expect(help.contains("Examples:\n  apus \(command.first ?? "")"), "\(help)")
    }

    @Test func twentyThousandArgumentsReachTheKernelWhichRefusesThemForTheStack() throws {
        _ = try SystemUnderTest.kernel.get()
        let finished = try Self.apus(["run", "argv"] + (0..<20_000).map { "a\($0)" })
        #expect(finished.stderr.contains("cannot run argv: the arguments do not fit in the 32 KiB of the stack they may take"), "\(finished.stderr)")
        expectEqual(finished.status, 126)
    }

    @Test func argumentBytesThatAreNotUTF8PassThroughTheCommandLineExactly() throws {
        _ = try SystemUnderTest.kernel.get()
        let finished = try Self.apus([], shell: #"exec "$0" run argv "$(printf 'x\377y')" -- --repeat"#)
        expectEqual(finished.status, 4, "\(finished.stderr)")
        let output = [UInt8](finished.stdout)
        #expect(output.contains(subsequence: Array("\"x".utf8) + [0xFF] + Array("y\"".utf8)))
        #expect(output.contains(subsequence: Array("\"--\"".utf8)))
        #expect(output.contains(subsequence: Array("\"--repeat\"".utf8)), "everything after the program's name is the program's")
    }

    @Test func aQEMUOnPATHThatCannotStartIsAFailureWithQEMUsMessage() throws {
        _ = try SystemUnderTest.kernel.get()
        _ = try SystemUnderTest.programs.get()
        let folder = try TemporaryFolder()
        let fake = folder.url.appendingPathComponent("qemu-system-x86_64")
        try "#!/bin/sh\necho 'qemu-system-x86_64: cannot set up guest memory: Cannot allocate memory' >&2\nexit 1\n"
            .write(to: fake, atomically: true, encoding: .utf8)
        chmod(fake.path, 0o755)
        let path = folder.url.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let boot = try Self.apus(["boot", "--acceleration", "software"], environment: ["PATH": path])
        expectEqual(boot.status, 3, "not 0: QEMU's exit 1 is no kernel status")
        #expect(boot.stderr.contains("cannot set up guest memory"), "\(boot.stderr)")
        let run = try Self.apus(["run", "--acceleration", "software", "hello"], environment: ["PATH": path])
        expectEqual(run.status, 125)
        #expect(run.stderr.contains("cannot set up guest memory"), "\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    @Test func aClosedOutputEndsTheRunAsABrokenPipeWouldNotACrash() throws {
        _ = try SystemUnderTest.kernel.get()
        _ = try SystemUnderTest.programs.get()
        let process = Process()
        process.executableURL = try requireApus()
        process.arguments = ["run", "--acceleration", "software", "flood", "1", "102400"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var first = Data()
        while first.count < 10 {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            first.append(chunk)
        }
        try out.fileHandleForReading.close()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(first.count >= 10)
        expectEqual(process.terminationStatus, 141, "\(stderr)")
        #expect(!stderr.contains("Fatal error"))
    }

    @Test func memoryMapPrintsTablesOrDrawsToTheFileGiven() throws {
        _ = try SystemUnderTest.kernel.get()
        _ = try SystemUnderTest.programs.get()
        let tables = try CommandTests.apus(["run", "--acceleration", "software", "--memory-map", "memmap"])
        expectEqual(tables.status, 0)
        expectEqual(String(decoding: tables.stdout, as: UTF8.self), "abH\n", "the tables stay off the program's output")
        #expect(tables.stderr.contains("process 2 (parent 1), at its end: "), "\(tables.stderr)")
        #expect(tables.stderr.contains("file hello.txt +0x0"), "files are named by their paths on the disk: \(tables.stderr)")
        let folder = try TemporaryFolder()
        let picture = folder.url.appendingPathComponent("map.svg")
        let drawn = try CommandTests.apus(["run", "--acceleration", "software", "--memory-map", picture.path, "memmap"])
        expectEqual(drawn.status, 0)
        #expect(drawn.stderr.contains("4 memory maps drawn in"), "\(drawn.stderr)")
        #expect(!drawn.stderr.contains("process 2 (parent 1)"))
        let svg = try String(contentsOf: picture, encoding: .utf8)
        #expect(svg.hasPrefix("<svg ") && svg.contains("file hello.txt +0x0"))
    }

    /// The process ids whose working directory is inside `folder` (QEMU runs in a folder of
    /// the run's temporary directory).
    static func processes(under folder: URL) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else { return false }
            return cwd.hasPrefix(folder.path)
        }
    }

    /// Starts `apus` with `arguments` and `folder` as its temporary folder; its standard output
    /// is the pipe returned, its standard error and input are null.
    static func start(_ arguments: [String], temporaryFolder folder: URL) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = try requireApus()
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": folder.path]) { $1 }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, out)
    }

    /// Reads `out` until `text` shows (true), `process` ends or 90 seconds pass.
    static func read(_ text: String, from out: Pipe, of process: Process) -> Bool {
        var seen = Data()
        let deadline = Date().addingTimeInterval(90)
        while !String(decoding: seen, as: UTF8.self).contains(text), Date() < deadline, process.isRunning {
            seen.append(out.fileHandleForReading.availableData)
        }
        return String(decoding: seen, as: UTF8.self).contains(text)
    }

    @Test(arguments: [SIGTERM, SIGKILL, SIGHUP, SIGQUIT])
    func killingApusRunOfASpinningProgramLeavesNoQEMUAndNoFiles(signalNumber: Int32) throws {
        _ = try SystemUnderTest.kernel.get()
        _ = try SystemUnderTest.programs.get()
        let folder = try TemporaryFolder()
        let before = RunGuaranteeTests.sharedRAMFiles()
        let (process, out) = try Self.start(["run", "--acceleration", "software", "spin"], temporaryFolder: folder.url)
        try #require(Self.read("spinning", from: out, of: process))
        #expect(!Self.processes(under: folder.url).isEmpty, "QEMU runs")
        kill(process.processIdentifier, signalNumber)
        process.waitUntilExit()
        let gone = Date().addingTimeInterval(10)
        while !Self.processes(under: folder.url).isEmpty, Date() < gone { usleep(50_000) }
        #expect(Self.processes(under: folder.url).isEmpty, "no QEMU left after the tool ended")
        if signalNumber != SIGKILL {
            #expect(process.terminationReason == .exit && process.terminationStatus == 128 + signalNumber, "ended as the signal would, without a crash report")
        }
        // The watcher removes the run's files (its disk, arguments, input) and the guest RAM.
        while !((try? FileManager.default.contentsOfDirectory(atPath: folder.url.path)) ?? []).isEmpty, Date() < gone { usleep(50_000) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).isEmpty)
        #expect(RunGuaranteeTests.unmapped(RunGuaranteeTests.sharedRAMFiles().subtracting(before), madeBy: process.processIdentifier).isEmpty)
    }
}

final class LockedText: @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""
    func set(_ value: String) { lock.lock(); text = value; lock.unlock() }
    var value: String { lock.lock(); defer { lock.unlock() }; return text }
}
