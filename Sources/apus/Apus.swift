import ApusCore
import ApusTool
import ArgumentParser
import Foundation

@main
struct Apus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apus",
        abstract: "Build, boot and test Apus, an x86-64 teaching kernel in Embedded Swift.",
        usage: """
            apus [run] [<options>] [<program>] [<arguments> ...]
            apus test [<filter>]
            apus debug [<options>] <program> [<arguments> ...]
            apus boot [<options>]
            apus bench [--linux <vmlinuz>] [<options>]
            """,
        discussion: """
            Every command builds what changed first (the kernel, the programs in Userland/programs) \
            and nothing when nothing did. Through SwiftPM, type `swift run apus …`.

            Examples:
              apus hello                      run a program (`run` is the default)
              apus run argv one "two three"   arguments reach the program as given
              echo hi | apus run cat          standard input is the program's
              apus run --verbose cow          the kernel's log too: processes, forks
              apus run --rootfs ./bin myprog  a program built elsewhere, from ./bin
              apus test Pipe                  the system tests whose name has Pipe
              apus debug hello                stop before the first instruction, for gdb
              apus boot                       the hardware checks alone
              apus bench --linux /boot/vmlinuz-*   the kernel's costs beside Linux's
            """,
        subcommands: [Run.self, Test.self, Debug.self, Boot.self, Bench.self],
        defaultSubcommand: Run.self)

    /// The command line as bytes, split before the parser sees it: the options and the
    /// program's name go to the parser; the program's arguments (`ProgramCommandLine`) pass
    /// through as exact bytes, in one linear step however many there are.
    static func main() {
        stopQEMUOnSignals()
        let raw = (1..<Int(CommandLine.argc)).map { index in
            Array(UnsafeBufferPointer(start: CommandLine.unsafeArgv[index], count: strlen(CommandLine.unsafeArgv[index]!))).map { UInt8(bitPattern: $0) }
        }
        let split = ProgramCommandLine.split(raw)
        ProgramCommandLine.current = split
        main(split.parsed.map { String(decoding: $0, as: UTF8.self) })
    }
}

/// A signal that ends the tool ends its QEMU too (the watcher would, once the tool is gone;
/// this also removes the run's private folder), then the tool exits as the signal would.
func stopQEMUOnSignals() {
    for signalNumber in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] {
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
        source.setEventHandler {
            Terminal.restore()
            Machine.stopEverything()
            exit(128 + signalNumber)
        }
        source.resume()
        signalSources.append(source)
    }
}

nonisolated(unsafe) var signalSources: [DispatchSourceSignal] = []

/// The parts of `apus run` and `apus debug` command lines that the parser never sees: the
/// program's name and arguments as bytes.
struct ProgramCommandLine {
    /// What the parser gets: the subcommand, the options and the program's name.
    var parsed: [[UInt8]]
    /// The program's name, exactly.
    var program: [UInt8]?
    /// The program's arguments, exactly.
    var arguments: [[UInt8]] = []
    /// The `--argv0` value, exactly.
    var argv0: [UInt8]?

    nonisolated(unsafe) static var current = ProgramCommandLine(parsed: [])

    /// Options of `run` and `debug` that take a value (the next word, unless given as
    /// `--option=value`).
    static let optionsWithValues: Set<[UInt8]> = Set(["--rootfs", "--argv0", "--repeat", "--acceleration", "--pager", "--memory-map-picture", "--cpus"].map { Array($0.utf8) })

    /// Splits `words` (the command line without the tool's name): everything after the
    /// program's name is the program's.
    static func split(_ words: [[UInt8]]) -> ProgramCommandLine {
        var index = 0
        let subcommands: Set<[UInt8]> = Set(["run", "debug"].map { Array($0.utf8) })
        let others: Set<[UInt8]> = Set(["test", "boot", "bench", "help"].map { Array($0.utf8) })
        if let first = words.first {
            if others.contains(first) { return ProgramCommandLine(parsed: words) }
            if subcommands.contains(first) { index = 1 }
        }
        var result = ProgramCommandLine(parsed: Array(words[0..<index]))
        while index < words.count {
            var word = words[index]
            if word == Array("--".utf8) {
                index += 1
                break
            }
            guard word.first == UInt8(ascii: "-") else { break }
            // `--memory-map` takes a value only when one is given: a word that ends in .svg.
            if word == Array("--memory-map".utf8), index + 1 < words.count, words[index + 1].reversed().starts(with: Array(".svg".utf8).reversed()) {
                result.parsed += [Array("--memory-map-picture".utf8), words[index + 1]]
                index += 2
                continue
            }
            if word.starts(with: Array("--memory-map=".utf8)) { word = Array("--memory-map-picture=".utf8) + word.dropFirst(13) }
            result.parsed.append(word)
            if optionsWithValues.contains(word), index + 1 < words.count {
                if word == Array("--argv0".utf8) { result.argv0 = words[index + 1] }
                result.parsed.append(words[index + 1])
                index += 2
            } else {
                if word.starts(with: Array("--argv0=".utf8)) { result.argv0 = Array(word.dropFirst(8)) }
                index += 1
            }
        }
        if index < words.count {
            result.program = words[index]
            result.parsed.append(words[index])
            result.arguments = Array(words[(index + 1)...])
        }
        return result
    }
}

/// Refuses a CPU count outside 1…16 (ABI.md §8) with the exit status of a wrong command line.
func checkCPUCount(_ cpus: Int) throws {
    guard (1...Machine.maximumCPUs).contains(cpus) else {
        note("apus: --cpus \(cpus): a machine has 1 to \(Machine.maximumCPUs) CPUs")
        throw ExitCode(2)
    }
}

/// Writes a line to standard error (progress and problems, never a program's output).
func note(_ line: String) {
    _ = writeAll(STDERR_FILENO, Data((line + "\n").utf8))
}

/// Writes all of `data` to `descriptor`; false when it cannot (a closed pipe).
func writeAll(_ descriptor: Int32, _ data: Data) -> Bool {
    data.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }
}

/// Passes a program's output on as it arrives: its standard output to ours, its standard
/// error to ours. When ours is closed (`apus run … | head`), the run ends as a program's
/// would on a broken pipe: the machine stops and the command exits with 141 (SIGPIPE).
@Sendable func passProgramOutput(_ data: Data, _ stream: ConsoleStream) {
    let descriptor = stream == .output ? STDOUT_FILENO : STDERR_FILENO
    if !writeAll(descriptor, data) {
        Machine.stopEverything()
        exit(128 + SIGPIPE)
    }
}

/// Builds the kernel when it is stale, showing what the build is doing on one line of
/// standard error; says nothing when the kernel is up to date.
/// Runs `run`, passing the program's output on, and turns the tool's own failures into the
/// exit codes the README gives: 127 for a program that is not in the root file system, 125
/// for a machine that could not be set up (QEMU missing, no room for the run's files).
func runOrExit(_ run: ProgramRun, kernel: URL, programs: URL, report: (String) -> Void = { _ in }) throws -> ProgramRun.Result {
    do {
        return try run.run(kernel: kernel, programs: programs, data: UserlandBuild().dataFiles, onOutput: passProgramOutput, report: report)
    } catch let error as ProgramRun.NoSuchProgram {
        note("apus: \(error)")
        throw ExitCode(127)
    } catch let error as ToolError {
        note("apus: \(error)")
        throw ExitCode(125)
    }
}

func buildKernel() throws -> URL {
    let build = KernelBuild()
    if build.isUpToDate { return build.kernelImage }
    let interactive = isatty(STDERR_FILENO) != 0
    note("Building the kernel…")
    let image = try build.build { line in
        guard line.hasPrefix("["), interactive else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K  \(line.prefix(100))".utf8))
    }
    if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    return image
}

struct Boot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Boot Apus, run its hardware checks, and exit 0 only if all pass.",
        discussion: """
            Prints the kernel's banner and one line per check. Exit status: 0 when every check passes, 1 \
            when one fails, 2 on a kernel panic, 3 when the kernel could not run.

            Examples:
              apus boot                          the checks, with KVM where it helps
              apus boot --acceleration software  under software emulation, as tests run
            """)

    @Option(name: .customLong("kernel-option"), help: ArgumentHelp("Add a word to the kernel command line (for tests: panic-test).", visibility: .hidden))
    var kernelOptions: [String] = []

    @Option(help: "How QEMU runs the kernel: auto (KVM unless this machine is itself a VM), kvm, or software.")
    var acceleration: Machine.Acceleration = .automatic

    @Option(help: "CPUs of the machine, 1 to \(Machine.maximumCPUs); the kernel lists those it started.")
    var cpus = Machine.defaultCPUs

    func run() throws {
        try checkCPUCount(cpus)
        let image = try buildKernel()
        var machine = Machine()
        machine.acceleration = acceleration
        machine.cpus = cpus
        let outcome: Machine.Outcome
        do {
            outcome = try machine.run(kernel: image, commandLine: (["checks"] + kernelOptions).joined(separator: " "), report: note)
        } catch let error as ToolError {
            // The machine could not be set up (QEMU missing): the kernel could not run.
            note("apus: \(error)")
            throw ExitCode(3)
        }
        print(outcome.log, terminator: outcome.log.hasSuffix("\n") ? "" : "\n")
        guard let status = outcome.status else {
            note("apus: \(outcome.problem ?? "the kernel stopped without a status")")
            throw ExitCode(3)
        }
        if status >= 3 { throw ExitCode(3) }
        if status != 0 { throw ExitCode(status) }
    }
}

extension Machine.Acceleration: ExpressibleByArgument {}

extension PagingPolicy: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument.utf8) }
    public static var allValueStrings: [String] { ["lazy", "eager"] }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a program on Apus, as if it ran here.",
        discussion: """
            Boots Apus in QEMU and runs PROGRAM from the root file system with argv = [PROGRAM, ARGUMENTS…]. \
            This command's standard input is the program's, streamed as the program reads it (from a \
            terminal line by line as typed: Ctrl-D ends the input, Ctrl-C the run, with status 130); the program's standard output and error are this command's; and this command exits with \
            the program's status (−1 after a fault shows as 255). With no PROGRAM it runs a demo.

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
              apus run --pager eager mm-demo     frames when mapped, not when touched
              apus run --cpus 1 threads          one CPU (the default: the host's cores, at most 4)
              apus run --rootfs ./bin myprog     a program built elsewhere, in ./bin

            Exit status: the program's; 126 when it cannot start (the reason is printed), 127 when \
            there is no such program, 125 when the machine fails (QEMU missing or failing, a kernel \
            panic, a run longer than two minutes), 2 for a wrong command line.
            """)

    @Argument(help: "The program to run: a file of the root file system (a shipped program or one from --rootfs).")
    var program = "demo"

    @Argument(parsing: .captureForPassthrough, help: "Arguments for the program (passed on as exact bytes).")
    var arguments: [String] = []

    @Option(help: "Add the files of this folder to the root file system.")
    var rootfs: [String] = []

    @Option(help: "Set argv[0] (as `exec -a` does).")
    var argv0: String?

    @Flag(help: "Show the kernel log on standard error.")
    var verbose = false

    @Flag(help: "After the run, print the frames and kernel stacks in use before and after it.")
    var stats = false

    @Option(help: "Run the program this many times (1 to 1000000), one after the other, in one boot; every run is reported, the command fails when any run could not start, and otherwise exits with the last run's status.")
    var `repeat` = 1

    @Option(help: "When the program's pages get their frames: lazy (at their first touch, the default) or eager (when they are mapped).")
    var pager: PagingPolicy = .lazy

    @Option(help: "How QEMU runs the kernel: auto, kvm or software.")
    var acceleration: Machine.Acceleration = .automatic

    @Option(help: "CPUs of the machine, 1 to \(Machine.maximumCPUs): threads and processes run on them at once (default: this host's cores, at most 4).")
    var cpus = Machine.defaultCPUs

    @Flag(help: "After the run, show every process's memory map at each fork and at its end (range, permission, backing, resident and copy-on-write shared pages) on standard error. `--memory-map FILE.svg` draws them to FILE.svg instead.")
    var memoryMap = false

    @Option(name: .customLong("memory-map-picture"), help: ArgumentHelp("Draw the memory maps to this SVG file (written as --memory-map FILE.svg).", visibility: .hidden))
    var memoryMapPicture: String?

    func run() throws {
        guard (1...ProgramRun.maximumRepetitions).contains(`repeat`) else {
            note("apus: --repeat \(`repeat`): the count must be between 1 and \(ProgramRun.maximumRepetitions)")
            throw ExitCode(2)
        }
        try checkCPUCount(cpus)
        let line = ProgramCommandLine.current
        var run = ProgramRun(program: line.program ?? Array(program.utf8), arguments: line.arguments,
                             argv0: argv0 == nil ? nil : line.argv0 ?? argv0.map { Array($0.utf8) })
        run.extraFiles = rootfs.map { URL(fileURLWithPath: $0) }
        run.repetitions = `repeat`
        run.pager = pager
        run.machine.acceleration = acceleration
        run.machine.cpus = cpus
        run.machine.collectsOutput = false
        run.reportsMemoryMaps = memoryMap || memoryMapPicture != nil
        do {
            // Problems with the command line first, before the build and the boot.
            for folder in run.extraFiles { _ = try ProgramRun.listFolder(folder) }
        } catch let error as ToolError {
            note("apus: \(error)")
            throw ExitCode(2)
        } catch {}
        let kernel = try buildKernel()
        let programs = try UserlandBuild().build { note("  \($0)") }
        // Standard input streams to the program as it reads it: a file or pipe at any size,
        // a terminal line by line as the user types (Ctrl-D ends it, Ctrl-C ends the run).
        // (A background job's terminal is not its to read: its program gets an empty input.)
        if isatty(STDIN_FILENO) == 0 || Terminal.isForeground(STDIN_FILENO) { run.inputDescriptor = STDIN_FILENO }
        Terminal.useLineMode(STDIN_FILENO)
        defer { Terminal.restore() }
        let result = try runOrExit(run, kernel: kernel, programs: programs, report: note)
        if verbose { note(result.log) }
        if `repeat` > 1 {
            for (index, ending) in result.runs.enumerated() {
                switch ending {
                case .exited(let status): note("apus: run \(index + 1) of \(`repeat`): exit status \(status)")
                case .couldNotStart(let reason): note("apus: run \(index + 1) of \(`repeat`): could not start (\(reason))")
                }
            }
            if result.runs.count < `repeat` { note("apus: runs \(result.runs.count + 1) to \(`repeat`) of \(`repeat`) did not run") }
        }
        if let picture = memoryMapPicture {
            do {
                try Data(MemoryMapPicture.svg(result.memoryMaps, fileNames: result.rootFileNames, runs: `repeat`).utf8)
                    .write(to: URL(fileURLWithPath: picture))
                note("apus: \(result.memoryMaps.count) memory maps drawn in \(picture)")
            } catch {
                note("apus: cannot write \(picture): \(error.localizedDescription)")
            }
        } else if memoryMap {
            note(MemoryMapTable.render(result.memoryMaps, fileNames: result.rootFileNames, runs: `repeat`))
        }
        if stats, let frames = result.frames {
            note("apus: frames in use: \(frames.before) before the program, \(frames.after) after (\(frames.after - frames.before) leaked)")
        }
        if stats, let stacks = result.kernelStacks {
            note("apus: kernel stacks in use: \(stacks.before) before the program, \(stacks.after) after (\(stacks.after - stacks.before) leaked)")
        }
        if stats, let lock = result.kernelLock {
            note("apus: \(result.processors ?? 1) CPUs; \(lock.summary)")
        }
        if let problem = result.problem { note("apus: \(problem)") }
        throw ExitCode(result.shellStatus)
    }
}

struct Test: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the system tests (Apus in QEMU), one line per case.",
        discussion: """
            FILTER narrows the run to the cases whose name contains it (a regular expression). The exit \
            status is the test run's. The tests boot Apus under software emulation, so they give the \
            same answer with KVM or without.

            Examples:
              apus test                         every system test
              apus test Pipe                    the cases whose name contains Pipe
              apus test 'ProcessTests|Fork'     a regular expression
              APUS_PAGER=eager apus test        every case with the eager pager
            """)

    @Argument(help: "Run only the cases whose name matches this.")
    var filter: String?

    func run() throws {
        let lines = LineCollector { line in if Self.isCaseLine(line) { print(line) } }
        let status = try runReadingOutput(URL(fileURLWithPath: "/usr/bin/env"),
                                          ["swift", "test", "--package-path", Workspace.current.root.path,
                                           "--filter", "ApusSystemTests" + (filter.map { ".*\($0)" } ?? "")],
                                          onData: lines.append)
        lines.finish()
        if status != 0 { throw ExitCode(status) }
    }

    /// The lines worth a person's attention: a case passing or failing, what it recorded,
    /// the summary, and build errors.
    static func isCaseLine(_ line: String) -> Bool {
        line.hasPrefix("✔ Test ") || line.hasPrefix("✘ Test ")
            || line.hasPrefix("↳ ") && !line.hasPrefix("↳ ///") && !line.hasPrefix("↳ Testing Library") && !line.hasPrefix("↳ Target Platform")
            || line.hasPrefix("✔ Test run") || line.hasPrefix("✘ Test run") || line.contains("error:")
    }
}

struct Debug: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a program on Apus with QEMU waiting for gdb.",
        discussion: """
            Boots Apus with the CPU stopped and QEMU's gdb server on localhost:1234, and writes a gdb script \
            that loads the kernel's and the program's symbols and connects. In another terminal: \
            gdb -x <the script it prints>. The program's output appears here as it runs.

            Examples:
              apus debug hello              then: gdb -x <script>, break main, continue
              apus debug argv one two       with arguments, as `apus run` takes them
              apus debug --rootfs ./bin p   a program of your own, with its symbols
            """)

    @Argument(help: "The program to run (see `apus run`).")
    var program = "demo"

    @Argument(parsing: .captureForPassthrough, help: "Arguments for the program.")
    var arguments: [String] = []

    @Option(help: "Add the files of this folder to the root file system.")
    var rootfs: [String] = []

    func run() throws {
        do {
            // Problems with the command line first, before the build and the boot.
            for folder in rootfs { _ = try ProgramRun.listFolder(URL(fileURLWithPath: folder)) }
        } catch let error as ToolError {
            note("apus: \(error)")
            throw ExitCode(2)
        }
        let kernel = try buildKernel()
        let programs = try UserlandBuild().build { note("  \($0)") }
        let line = ProgramCommandLine.current
        var run = ProgramRun(program: line.program ?? Array(program.utf8), arguments: line.arguments)
        run.extraFiles = rootfs.map { URL(fileURLWithPath: $0) }
        run.machine.acceleration = .software
        run.machine.collectsOutput = false
        run.machine.waitForDebugger = true
        let files = try ProgramRun.rootFiles(programs: programs, data: UserlandBuild().dataFiles, extra: run.extraFiles)
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("apus-debug.gdb")
        var commands = ["file \(kernel.path)"]
        if let binary = files.first(where: { $0.name == run.program }) {
            commands.append("add-symbol-file \(String(decoding: binary.path, as: UTF8.self))")
        }
        commands += ["set architecture i386:x86-64", "target remote localhost:1234",
                     "echo Apus is stopped before its first instruction: set breakpoints, then continue.\\n"]
        try (commands.joined(separator: "\n") + "\n").write(to: script, atomically: true, encoding: .utf8)
        note("apus: QEMU waits for gdb on localhost:1234; in another terminal run:")
        note("  gdb -x \(script.path)")
        let result = try runOrExit(run, kernel: kernel, programs: programs)
        if let problem = result.problem { note("apus: \(problem)") }
        throw ExitCode(result.shellStatus)
    }
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the kernel's common operations in QEMU, alone or beside Linux.",
        discussion: """
            Runs the benchmark program (Userland/programs/bench.c) on Apus, once with the lazy pager and \
            once with the eager one per round, and prints a Markdown table of each operation's median with \
            its fastest and slowest samples. With --linux, the same source is built against Linux's system \
            calls, packed as the /init of an initramfs, and booted with the given Linux kernel in the same \
            QEMU machine (CPU model, memory, software emulation), alternating with Apus; the table then \
            shows Apus/Linux ratios and the targets of issue 13. Times come from the time-stamp counter, \
            whose rate is measured against this machine's clock. Benchmarks measure: nothing here is a test.

            Examples:
              apus bench                                  Apus alone, 3 rounds
              apus bench --linux /boot/vmlinuz-6.1.0-56-amd64
              apus bench --short --rounds 1               a quick look (few samples, small sizes)
            """)

    @Option(help: "A Linux kernel image (a vmlinuz) to compare with; APUS_LINUX_KERNEL names one too.")
    var linux: String?

    @Option(help: "Rounds: each runs Apus (lazy and eager) and Linux once.")
    var rounds = 3

    @Flag(help: "Few samples of small sizes (the format, not the numbers, is what it is good for).")
    var short = false

    @Option(help: "How QEMU runs both kernels: software (the default, the same for both), kvm or auto.")
    var acceleration: Machine.Acceleration = .software

    @Option(help: "CPUs of Apus's machine, 1 to \(Machine.maximumCPUs).")
    var cpus = 1

    func run() throws {
        guard rounds >= 1 else {
            note("apus: --rounds \(rounds): at least one round")
            throw ExitCode(2)
        }
        let linuxPath = linux ?? ProcessInfo.processInfo.environment["APUS_LINUX_KERNEL"].flatMap { $0.isEmpty ? nil : $0 }
        let linuxKernel = linuxPath.map { URL(fileURLWithPath: $0) }
        if let linuxKernel, !FileManager.default.isReadableFile(atPath: linuxKernel.path) {
            note("apus: --linux \(linuxKernel.path): no such file (a Linux kernel image, e.g. /boot/vmlinuz-*; on Debian: apt-get install linux-image-amd64)")
            throw ExitCode(2)
        }
        let kernel = try buildKernel()
        let build = UserlandBuild()
        let programs = try build.build { note("  \($0)") }
        let linuxProgram: Data?
        do { linuxProgram = try linuxKernel.map { _ in try build.buildForLinux(program: BenchRun.program) } } catch let error as ToolError {
            note("apus: \(error)")
            throw ExitCode(125)
        }
        try checkCPUCount(cpus)
        var bench = BenchRun()
        bench.cpus = cpus
        bench.short = short
        bench.rounds = rounds
        bench.acceleration = acceleration
        bench.linuxKernel = linuxKernel
        let result: BenchRun.Result
        do {
            result = try bench.run(kernel: kernel, programs: programs, data: build.dataFiles, linuxProgram: linuxProgram) { note("apus bench: \($0)") }
        } catch let error as ToolError {
            note("apus: \(error)")
            throw ExitCode(125)
        }
        guard let rate = result.ticksPerSecond else {
            note("apus: no run gave the time-stamp counter's rate")
            throw ExitCode(125)
        }
        print(Self.machineDescription(linux: linuxKernel, rounds: rounds, acceleration: acceleration, cpus: cpus, short: short, rate: rate,
                                      rough: result.calibrationIsRough))
        print("")
        if let linux = result.linuxSummary {
            print(BenchTable.render(apus: result.apus, linux: linux, ticksPerSecond: rate))
        } else {
            print(BenchTable.render(apus: result.apus, ticksPerSecond: rate))
        }
        if let median = KernelLockWait.median(result.kernelLock) {
            print("")
            print("Apus on \(cpus) CPU\(cpus == 1 ? "" : "s"), over the whole of each run: \(median.summary) (the run with the median share of \(result.kernelLock.count))")
        }
        let targets = BenchTarget.report(apus: result.apus, linux: result.linuxSummary)
        if !targets.isEmpty {
            print("")
            print("Targets (issue 13), from the medians:")
            for line in targets { print("  \(line)") }
        }
    }

    /// One paragraph naming what was measured where: the host's CPU, QEMU, the machine, the
    /// kernels, the counter's rate.
    static func machineDescription(linux: URL?, rounds: Int, acceleration: Machine.Acceleration, cpus: Int, short: Bool, rate: Double, rough: Bool) -> String {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let emulation = acceleration == .software ? "software emulation (TCG)" : "acceleration \(acceleration.rawValue)"
        let systems = linux.map { "Apus and Linux (\($0.lastPathComponent)), alternating" } ?? "Apus"
        return "\(systems): \(rounds) round\(rounds == 1 ? "" : "s")\(short ? " (short)" : ""); QEMU \(emulation), "
            + "-cpu \(Machine.cpuModel), \(Machine().memory) MiB, \(cpus) CPU\(cpus == 1 ? "" : "s") for Apus; host: \(model), \(cores) cores; "
            + "time-stamp counter measured at \(String(format: "%.3f", rate / 1e9)) GHz against the host clock"
            + (rough ? " (roughly: every run was shorter than a second)." : ".")
    }
}
