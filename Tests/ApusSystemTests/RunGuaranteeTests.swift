import ApusTool
import Foundation
import Testing

/// What `apus run` guarantees (docs/apus-run.md), run as a user runs it: the order of the
/// output, the statuses, the files and processes it leaves behind, and `--trace`.
@Suite("What apus run guarantees")
struct RunGuaranteeTests {
    static func prepare() throws {
        _ = try SystemUnderTest.kernel.get()
        _ = try SystemUnderTest.programs.get()
    }

    /// Runs `script` with `sh -c`, `$0` being the `apus` command.
    static func shell(_ script: String, environment: [String: String] = [:]) throws -> CommandTests.Finished {
        try CommandTests.apus([], shell: script, environment: environment)
    }

    /// The lines `interleave count` writes, in the order it writes them.
    static func interleaved(_ count: Int) -> String {
        (0..<count).map { "\($0 % 2 == 0 ? "err" : "out") \($0)\n" }.joined()
    }

    // MARK: Order

    @Test func outputAndErrorsThatAreOneFileArriveInTheOrderWritten() throws {
        try Self.prepare()
        let folder = try TemporaryFolder()
        let file = folder.url.appendingPathComponent("both").path
        let toFile = try Self.shell("\"$0\" run --acceleration software interleave 400 > '\(file)' 2>&1")
        expectEqual(toFile.status, 0, "\(toFile.stderr)")
        expectEqual(try String(contentsOfFile: file, encoding: .utf8), Self.interleaved(400))
        let throughPipe = try Self.shell("\"$0\" run --acceleration software interleave 400 2>&1 | cat")
        expectEqual(String(decoding: throughPipe.stdout, as: UTF8.self), Self.interleaved(400))
        // Apart, each stream is exact.
        let apart = try CommandTests.apus(["run", "--acceleration", "software", "interleave", "6"])
        expectEqual(String(decoding: apart.stdout, as: UTF8.self), "out 1\nout 3\nout 5\n")
        expectEqual(apart.stderr, "err 0\nerr 2\nerr 4\n")
    }

    // MARK: Statuses

    @Test func repeatExitsWithTheFirstFailingRunsStatusAndSaysWhichRunItWas() throws {
        try Self.prepare()
        let failing = try CommandTests.apus(["run", "--acceleration", "software", "--repeat", "4", "nthrun", "0", "3", "5", "0"])
        expectEqual(failing.status, 3, "\(failing.stderr)")
        #expect(failing.stderr.contains("apus: run 2 of 4 was the first to fail (exit status 3)"), "\(failing.stderr)")
        let passing = try CommandTests.apus(["run", "--acceleration", "software", "--repeat", "3", "nthrun", "0", "0", "0", "7"])
        expectEqual(passing.status, 0, "the last run ran past the statuses: \(passing.stderr)")
        #expect(!passing.stderr.contains("first to fail"))
    }

    /// Runs that sleep (busybox's `sleep`: the machine idles, so the test costs little CPU)
    /// take at least their time on any host, however fast.
    @Test func eachRepeatedRunHasItsOwnTimeOut() throws {
        try LinuxProgramTests.withBusybox { _, files in
            let result = try SystemUnderTest.run("busybox", ["sleep", "0.3"], rootfs: [files]) { run in
                run.machine.timeout = 2
                run.repetitions = 9
            }
            expectEqual(result.problem, nil, "9 runs of at least 0.3 s each outlast one time-out of 2 s")
            #expect(result.runs.count == 9 && result.shellStatus == 0)
        }
    }

    @Test func aNegativeRepeatCountIsACountOutOfRange() throws {
        let finished = try CommandTests.apus(["run", "--repeat", "-1", "hello"])
        expectEqual(finished.status, 2)
        #expect(finished.stderr.contains("--repeat -1: the count must be between 1 and"), "\(finished.stderr)")
    }

    @Test func outputThatCannotBeWrittenIsReportedNotTakenForAClosedReader() throws {
        try Self.prepare()
        let full = try Self.shell("\"$0\" run --acceleration software hello > /dev/full")
        expectEqual(full.status, 74, "\(full.stderr)")
        #expect(full.stderr.contains("cannot write the program's output to this command's standard output: No space left on device"), "\(full.stderr)")
    }

    @Test func aFullNonBlockingPipeIsWaitedFor() throws {
        try Self.prepare()
        let process = Process()
        process.executableURL = try requireApus()
        process.arguments = ["run", "--acceleration", "software", "flood", "1", "2048"]
        let out = Pipe()
        let descriptor = out.fileHandleForWriting.fileDescriptor
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try out.fileHandleForWriting.close()
        sleep(2) // the pipe fills while no one reads
        let received = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        expectEqual(process.terminationStatus, 0)
        #expect(received.count == 2048 << 10)
        #expect(received.enumerated().allSatisfy { $0.element == UInt8(truncatingIfNeeded: $0.offset ^ ($0.offset >> 8) ^ ($0.offset >> 16)) })
    }

    @Test func aMemoryMapPictureThatCannotBeWrittenIsRefusedBeforeTheBoot() throws {
        let finished = try CommandTests.apus(["run", "--memory-map", "/no/such/folder/m.svg", "memmap"])
        expectEqual(finished.status, 2)
        #expect(finished.stdout.isEmpty, "nothing ran")
        #expect(finished.stderr.contains("--memory-map /no/such/folder/m.svg: cannot write it: the folder /no/such/folder does not exist"), "\(finished.stderr)")
    }

    @Test func anOptionAfterTheProgramsNameIsTheProgramsAndAMissingProgramSaysWhereOptionsGo() throws {
        let finished = try CommandTests.apus(["run", "helo", "--stats"])
        expectEqual(finished.status, 127)
        #expect(finished.stderr.contains("Options go before the program's name"), "\(finished.stderr)")
        #expect(finished.stderr.contains("(--stats came after it)"))
    }

    // MARK: Nothing left behind

    /// Every guest RAM file in `/dev/shm`.
    static func sharedRAMFiles() -> Set<String> {
        Set(((try? FileManager.default.contentsOfDirectory(atPath: "/dev/shm")) ?? []).filter { $0.hasPrefix("apus-ram-") }.map { "/dev/shm/\($0)" })
    }

    /// Those of `files` that no process maps (no QEMU runs with them) and that `process` made
    /// (named after it, or with no process in their name, as other versions of the tool name
    /// them): left behind.
    static func unmapped(_ files: Set<String>, madeBy process: Int32) -> Set<String> {
        let files = files.filter { file in
            let rest = file.dropFirst("/dev/shm/apus-ram-".count)
            let named = rest.split(separator: "-", maxSplits: 1)
            return named.count < 2 || Int32(named[0]) == nil || Int32(named[0]) == process
        }
        guard !files.isEmpty else { return [] }
        var mapped: Set<String> = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int32(entry) != nil {
            guard let maps = try? String(contentsOfFile: "/proc/\(entry)/maps", encoding: .utf8) else { continue }
            for file in files where maps.contains(file) { mapped.insert(file) }
        }
        return files.subtracting(mapped)
    }

    @Test func aReaderThatStopsAfterThePowerWentOffLeavesNoGuestRAM() throws {
        try Self.prepare()
        let folder = try TemporaryFolder()
        let before = Self.sharedRAMFiles()
        let (process, out) = try CommandTests.start(["run", "--acceleration", "software", "flood", "1", "1000"], temporaryFolder: folder.url)
        try out.fileHandleForWriting.close()
        var first = Data()
        while first.count < 100 {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            first.append(chunk)
        }
        sleep(2) // the machine powers off with the rest of the output waiting in the pipe
        try out.fileHandleForReading.close()
        process.waitUntilExit()
        expectEqual(process.terminationStatus, 141)
        #expect(Self.unmapped(Self.sharedRAMFiles().subtracting(before), madeBy: process.processIdentifier).isEmpty, "the guest RAM file went")
        let left = FileManager.default.subpaths(atPath: folder.url.path) ?? []
        #expect(left.isEmpty, "left in the temporary folder: \(left)")
    }

    @Test func aClosedStandardInputReadsAsEmptyInsteadOfTheToolsOwnFiles() throws {
        try Self.prepare()
        let started = Date()
        let finished = try Self.shell("exec \"$0\" run --acceleration software cat <&-")
        expectEqual(finished.status, 0, "\(finished.stderr)")
        #expect(finished.stdout.isEmpty)
        #expect(Date().timeIntervalSince(started) < 60)
    }

    /// 8 forks of 3,000 regions (20 of 5,000 in the long tier).
    @Test func forksOfALargeMemoryMapReportAtSpeedAndTheRunStillEnds() throws {
        try Self.prepare()
        let forks = TestTier.count(short: 8, long: 20), regions = TestTier.count(short: 3_000, long: 5_000)
        let result = try SystemUnderTest.run("mapfork", ["\(forks)", "\(regions)"]) { run in
            run.reportsMemoryMaps = true
            run.machine.timeout = 30
        }
        expectEqual(result.problem, nil, "the maps of \(forks) forks of \(regions) regions take seconds, not minutes")
        expectEqual(result.stdout, "\(regions) regions, \(forks) forks\n")
        #expect(result.memoryMaps.count == 3 * forks + 1, "both sides of each fork and every end")
    }

    /// The state letter of process `process` (`/proc/PID/stat`): R, S, T…
    static func state(of process: Int32) -> Character? {
        guard let stat = try? String(contentsOfFile: "/proc/\(process)/stat", encoding: .utf8),
              let end = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(end, offsetBy: 2)...].first
    }

    @Test func ctrlZStopsTheMachineWithTheToolAndFgLetsBothGoOn() throws {
        try Self.prepare()
        let folder = try TemporaryFolder()
        let (process, out) = try CommandTests.start(["run", "--acceleration", "software", "spin"], temporaryFolder: folder.url)
        try #require(CommandTests.read("spinning", from: out, of: process))
        let qemu = try #require(CommandTests.processes(under: folder.url).first)
        kill(process.processIdentifier, SIGTSTP)
        let stopped = Date().addingTimeInterval(10)
        while Self.state(of: qemu) != "T" || Self.state(of: process.processIdentifier) != "T", Date() < stopped { usleep(50_000) }
        expectEqual(Self.state(of: qemu), "T", "QEMU stops with the tool")
        expectEqual(Self.state(of: process.processIdentifier), "T")
        kill(process.processIdentifier, SIGCONT)
        let going = Date().addingTimeInterval(10)
        while Self.state(of: qemu) == "T", Date() < going { usleep(50_000) }
        #expect(Self.state(of: qemu) != "T", "and goes on with it")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 128 + SIGTERM)
    }

    // MARK: --trace

    @Test func traceShowsEveryCallDecodedOnStandardErrorOrInAFile() throws {
        try Self.prepare()
        let traced = try CommandTests.apus(["run", "--acceleration", "software", "--trace", "cat", "hello.txt"])
        expectEqual(traced.status, 0)
        expectEqual(String(decoding: traced.stdout, as: UTF8.self), "Hello, file!\n", "the program's output is untouched")
        expectEqual(traced.stderr, """
            [1.1] open("hello.txt", O_RDONLY) = 3
            [1.1] read(3, "Hello, file!\\n", 512) = 13
            [1.1] write(1, "Hello, file!\\n", 13) = 13
            [1.1] read(3, 0x4747fd90, 512) = 0
            [1.1] close(3) = 0
            [1.1] exit(0) = ?

            """, "\(traced.stderr)")
        let folder = try TemporaryFolder()
        let file = folder.url.appendingPathComponent("calls.trace").path
        let toFile = try CommandTests.apus(["run", "--acceleration", "software", "--trace", file, "cat", "nope"])
        #expect(toFile.stderr.isEmpty || !toFile.stderr.contains("[1.1]"), "\(toFile.stderr)")
        let lines = try String(contentsOfFile: file, encoding: .utf8)
        #expect(lines.hasPrefix("[1.1] open(\"nope\", O_RDONLY) = -2 NoSuchEntry\n"), "\(lines)")
    }

    @Test func traceSeesEveryProcessAndThreadAndChangesNothingTheProgramSees() throws {
        try Self.prepare()
        let folder = try TemporaryFolder()
        var traces: [String: String] = [:]
        for program in ["memmap", "threads", "cow"] {
            let file = folder.url.appendingPathComponent("\(program).trace").path
            let plain = try CommandTests.apus(["run", "--acceleration", "software", "--stats", program])
            let traced = try CommandTests.apus(["run", "--acceleration", "software", "--stats", "--trace", file, program])
            #expect(plain.status == 0 && traced.status == 0)
            expectEqual(plain.stdout, traced.stdout, "\(program)")
            let frames = { (text: String) in text.split(separator: "\n").filter { $0.contains("frames in use") } }
            expectEqual(frames(plain.stderr), frames(traced.stderr), "the same frames, before and after: \(program)")
            traces[program] = try String(contentsOfFile: file, encoding: .utf8)
        }
        let threads = traces["threads", default: ""]
        #expect(threads.contains("thread_create("), "\(threads.prefix(500))")
        #expect(threads.contains("[1.2] "), "a second thread's calls")
        let cow = traces["cow", default: ""]
        #expect(cow.contains("fork() = 2") && cow.contains("[2."), "the child's calls: \(cow.prefix(500))")
    }
}
