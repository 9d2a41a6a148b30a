import ApusCore
import ApusTool
import ArgumentParser
import Foundation

/// `apus run`: a program on Apus, as if it ran here.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a program on Apus, as if it ran here.",
        discussion: """
            Boots Apus in QEMU and runs PROGRAM from the root file system with argv = [PROGRAM, ARGUMENTS…]. \
            This command's standard input is the program's, streamed as the program reads it (from a \
            terminal line by line as typed: Ctrl-D ends the input, Ctrl-C the run, with status 130, \
            unless a Linux program leads the run: then Ctrl-C is SIGINT to its foreground process group, \
            and Ctrl-\\ ends the run); the program's standard output and error are this command's; and this command exits with \
            the program's status (−1 after a fault shows as 255). With no PROGRAM it runs a demo. \
            The shipped programs it needs (PROGRAM, and any an argument names) are compiled first when \
            they changed.

            Examples:
              apus run hello                     prints "Hello from Apus!"
              apus run argv a "b c"              argv = [argv, a, "b c"]
              echo hi | apus run cat             the program reads this command's input
              apus run cat hello.txt > out.txt   and writes to this command's output
              apus run --stats mm-demo           frames and kernel stacks before and after
              apus run --memory-map memmap       each process's regions and pages
              apus run --memory-map m.svg cow    the same, drawn to m.svg
              apus run cat                       type lines; Ctrl-D ends the input
              apus run --verbose cow             the kernel log: processes, forks, ends
              apus run --repeat 100 hello        100 runs in one boot, each reported
              apus run --trace cat hello.txt     every system call, on standard error
              apus run --trace t.txt fscalls     the same, into t.txt
              apus run --pager eager mm-demo     frames when mapped, not when touched
              apus run --rootfs ./bin myprog     a program built elsewhere, in ./bin
              apus run --rootfs ./bb busybox ls  a static Linux program (--abi linux when its header does not say)
              apus run --rootfs ./bb busybox sh  a shell; Ctrl-C interrupts its command
              apus run --cpus 1 primes           one CPU (by default this host's cores, at most 4)
              apus run --disk d.img fscalls      a disk that outlives the run (apus fsck d.img)
              apus run --disk d.img --crash-after-writes 40 durability
                                                 the power goes after the 40th block write

            Exit status: the program's (with --repeat, the first failing run's); 126 when it cannot \
            start (the reason is printed), 127 when there is no such program, 125 when the machine \
            fails (QEMU missing or failing, a kernel panic, a run longer than two minutes, a power cut \
            asked for with --crash-after-writes), 74 when its output cannot be written, 2 for a wrong \
            command line.
            """)

    @OptionGroup var target: ProgramArguments

    @Option(help: "Set argv[0] (as `exec -a` does).")
    var argv0: String?

    @Flag(help: "Show the kernel log on standard error.")
    var verbose = false

    @Flag(help: "After the run, print the frames and kernel stacks in use before and after it, and how long the CPUs waited for the kernel lock.")
    var stats = false

    @Option(help: "Run the program this many times (1 to 1000000), one after the other, in one boot, each with its own two-minute time-out; every run is reported, the command fails when any run could not start, and otherwise exits with the status of the first run that did not exit with 0 (0 when all did).")
    var `repeat` = 1

    @Option(help: "When the program's pages get their frames: lazy (at their first touch, the default) or eager (when they are mapped).")
    var pager: PagingPolicy = .lazy

    @Option(help: "How QEMU runs the kernel: auto, kvm or software.")
    var acceleration: Machine.Acceleration = .automatic

    @OptionGroup var processors: CPUCount

    @Flag(help: "After the run, show every process's memory map at each fork and at its end (range, permission, backing, resident and copy-on-write shared pages) on standard error. `--memory-map FILE.svg` draws them to FILE.svg instead.")
    var memoryMap = false

    @Option(name: .customLong("memory-map-picture"), help: ArgumentHelp("Draw the memory maps to this SVG file (written as --memory-map FILE.svg).", visibility: .hidden))
    var memoryMapPicture: String?

    @Flag(help: "Show every system call of every process and thread, decoded, with its result, one line each on standard error. `--trace FILE` (a name with a dot or a slash, or --trace=FILE) writes the lines to FILE instead.")
    var trace = false

    @Option(name: .customLong("trace-file"), help: ArgumentHelp("Write the system call trace to this file (written as --trace FILE).", visibility: .hidden))
    var traceFile: String?

    @Option(help: ArgumentHelp("Boot with this disk image and keep it: made with the programs and --rootfs when it does not exist, so the next run sees what this one wrote (without it, every run gets a fresh disk).", valueName: "image"))
    var disk: String?

    @Option(help: "The system call table of a program whose ELF header does not name one: keos (the default) or linux. A header with OS/ABI 3 (GNU/Linux) always runs as Linux.")
    var abi: Personality?

    @Option(name: .customLong("env"), help: ArgumentHelp("Add NAME=VALUE to a Linux program's environment (which starts with this host's PATH, HOME and TERM); repeatable.", valueName: "NAME=VALUE"))
    var environment: [String] = []

    @Option(help: ArgumentHelp("Cut the power right after the Nth block write reaches the disk: nothing after it is written, nothing flushed, no unmount (needs --disk; `apus fsck` the image afterwards).", valueName: "n"))
    var crashAfterWrites: Int?

    func run() throws {
        guard (1...ProgramRun.maximumRepetitions).contains(`repeat`) else {
            note("apus: --repeat \(`repeat`): the count must be between 1 and \(ProgramRun.maximumRepetitions)")
            throw ExitCode(2)
        }
        try processors.validate()
        if let crashAfterWrites {
            guard (1...ProgramRun.maximumCrashAfterWrites).contains(crashAfterWrites) else {
                note("apus: --crash-after-writes \(crashAfterWrites): the count must be between 1 and \(ProgramRun.maximumCrashAfterWrites)")
                throw ExitCode(2)
            }
            guard disk != nil else {
                note("apus: --crash-after-writes needs --disk IMAGE: without it the disk is thrown away after the run, and the cut shows nothing")
                throw ExitCode(2)
            }
        }
        let diskImage = disk.map { URL(fileURLWithPath: $0) }
        if let diskImage {
            var isFolder: ObjCBool = false
            let folder = diskImage.deletingLastPathComponent()
            guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
                note("apus: --disk \(diskImage.path): the folder \(folder.path) does not exist")
                throw ExitCode(2)
            }
        }
        if let picture = memoryMapPicture { try requireWritable(picture, for: "--memory-map") }
        let traceDescriptor = try traceFile.map(openTraceFile) ?? (trace ? STDERR_FILENO : nil)
        var run = target.programRun(argv0: argv0 == nil ? nil : ProgramCommandLine.current.argv0 ?? argv0.map { Array($0.utf8) })
        run.repetitions = `repeat`
        if `repeat` > 1 {
            let count = `repeat`
            run.onRunEnded = { index, ending in Self.reportRun(index, of: count, ending) }
        }
        run.unmarkedPersonality = abi
        run.environment = ProgramRun.hostEnvironment() + environment.map { Array($0.utf8) }
        run.terminalStreams = [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO].filter { isatty($0) != 0 }
        run.pager = pager
        run.machine.acceleration = acceleration
        run.machine.cpus = processors.cpus
        run.machine.collectsOutput = false
        run.reportsMemoryMaps = memoryMap || memoryMapPicture != nil
        run.disk = diskImage
        run.crashAfterWrites = crashAfterWrites
        run.traceDescriptor = traceDescriptor
        // One file behind both streams (2>&1, a terminal): one channel keeps their order.
        run.joinsErrorToOutput = sameFile(STDOUT_FILENO, STDERR_FILENO)
        // Problems with the command line first, before the build and the boot.
        try requireRootfsFolders(run.extraFiles)
        try requireProgram(of: run)
        let kernel = try buildKernel()
        let programs = try buildPrograms(for: run)
        // Standard input streams to the program as it reads it: a file or pipe at any size,
        // a terminal line by line as the user types (Ctrl-D ends it, Ctrl-C ends the run, or
        // interrupts a Linux program's foreground job: SignalHandling.swift).
        // (A background job's terminal is not its to read: its program gets an empty input.)
        if isatty(STDIN_FILENO) == 0 || Terminal.isForeground(STDIN_FILENO) { run.inputDescriptor = STDIN_FILENO }
        Terminal.useLineMode(STDIN_FILENO)
        defer { Terminal.restore() }
        let result = try runOrExit(run, kernel: kernel, programs: programs, report: note)
        if verbose { note(result.log) }
        if `repeat` > 1, result.runCount < `repeat` {
            note("apus: runs \(result.runCount + 1) to \(`repeat`) of \(`repeat`) did not run")
        }
        if let picture = memoryMapPicture {
            do {
                try Data(MemoryMapPicture.svg(result.memoryMaps, fileNames: result.fileNames, runs: `repeat`).utf8)
                    .write(to: URL(fileURLWithPath: picture))
                note("apus: \(result.memoryMaps.count) memory maps drawn in \(picture)")
            } catch {
                note("apus: cannot write \(picture): \(error.localizedDescription)")
            }
        } else if memoryMap {
            note(MemoryMapTable.render(result.memoryMaps, fileNames: result.fileNames, runs: `repeat`))
        }
        if stats, let frames = result.frames {
            note("apus: frames in use: \(frames.before) before the program, \(frames.after) after (\(frames.after - frames.before) leaked)")
        }
        if stats, let stacks = result.kernelStacks {
            note("apus: kernel stacks in use: \(stacks.before) before the program, \(stacks.after) after (\(stacks.after - stacks.before) leaked)")
        }
        if stats, let lock = result.kernelLock {
            note("apus: \(result.processors ?? 1) CPU\(result.processors == 1 ? "" : "s"); \(lock.summary)")
        }
        if let problem = result.traceProblem { note("apus: --trace: \(problem)") }
        if let problem = result.problem { note("apus: \(problem)") }
        if `repeat` > 1, result.problem == nil, let failure = result.firstFailure {
            note("apus: run \(failure.run + 1) of \(`repeat`) was the first to fail (exit status \(failure.status)); the command exits with its status")
        }
        throw ExitCode(result.shellStatus)
    }

    /// Opens (or makes, empty) the trace file before anything boots; exits with 2 when it
    /// cannot.
    func openTraceFile(_ path: String) throws -> Int32 {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            note("apus: --trace \(path): cannot write it: \(String(cString: strerror(errno)))")
            throw ExitCode(2)
        }
        return descriptor
    }

    /// With `--repeat`: one line per run on standard error, as the run ends.
    static func reportRun(_ index: Int, of count: Int, _ ending: ProgramRun.RunEnding) {
        switch ending {
        case .exited(let status): note("apus: run \(index + 1) of \(count): exit status \(status)")
        case .couldNotStart(let reason): note("apus: run \(index + 1) of \(count): could not start (\(reason))")
        }
    }
}
