import ApusCore
import Foundation

/// `apus run`: one program in a freshly booted Apus, as if it ran here.
///
/// The root file system is a disk (ABI.md §6): a new image for every run, made by the core's
/// own file system code (``RunDisk``), holding the files of a folder of programs (the built
/// programs: ``UserlandBuild``) and the data files at `/NAME`, and the extra folders with
/// their subdirectories; or, with ``disk``, an image the run uses and keeps. The program's
/// arguments and standard input travel as boot modules. Its standard output and
/// error come back on channels of their own and are passed on as they arrive, every byte in
/// order; the kernel's log stays apart. What the run reports (each run's exit status, the
/// frames in use) comes from the kernel's status records, never from its log text.
///
/// Names and arguments are bytes: whatever bytes the command line or the folder holds reach
/// the program unchanged (the kernel checks UTF-8 where the ABI asks for it).
public struct ProgramRun: Sendable {
    public var program: [UInt8]
    public var arguments: [[UInt8]]
    /// argv[0], when it should differ from the program's file name.
    public var argv0: [UInt8]?
    /// Folders whose files join the root file system.
    public var extraFiles: [URL] = []
    /// The disk image to boot with and keep (made with the run's files when it does not
    /// exist); `nil`: a new image for this run only, removed after it.
    public var disk: URL?
    /// Have the kernel cut the power right after this many block writes reached the disk
    /// (`crash-after-writes=N`, 1…``maximumCrashAfterWrites``): the run then ends with
    /// ``Result/powerWasCut``.
    public var crashAfterWrites: Int?
    /// Check the disk with the file system checker after the run (``Result/diskProblems``).
    public var checksDisk = false
    /// How many times to run the program, one after the other, in the same boot
    /// (1…``maximumRepetitions``).
    public var repetitions = 1
    /// When the program's pages get their frames: at their first touch (lazy, the default)
    /// or when they are mapped (eager).
    public var pager = PagingPolicy.lazy
    public var standardInput = Data()
    /// Stream standard input from this descriptor as the program reads it, instead of
    /// ``standardInput``: no size limit, bounded memory. Where the machine cannot share its
    /// RAM, the descriptor is read to its end before the boot instead (up to ``inputLimit``).
    public var inputDescriptor: Int32?
    /// Have the kernel report every process's memory map at each fork and at its end
    /// (``Result/memoryMaps``).
    public var reportsMemoryMaps = false
    /// Write a line for every system call of every process and thread here
    /// (``SyscallTrace``); only where the machine shares its RAM (``Machine/sharesRAM``).
    public var traceDescriptor: Int32?
    /// Send standard error the way of standard output, so that the bytes of the two arrive in
    /// the order the program wrote them (for a command whose two are one file); the output
    /// then all comes as ``ConsoleStream/output``.
    public var joinsErrorToOutput = false
    /// Where each run's ending goes as the kernel reports it, with the run's index (from 0):
    /// `apus run --repeat` reports every run when it ends.
    public var onRunEnded: (@Sendable (Int, RunEnding) -> Void)?
    public var machine = Machine()
    /// The personality of a program whose ELF header names none (`nil`: KeOS's).
    public var unmarkedPersonality: Personality?
    /// Which of standard input, output and error (0, 1, 2) are a terminal, for a Linux
    /// program's terminal `ioctl`s.
    public var terminalStreams: [Int32] = []
    /// A Linux program's environment strings (`NAME=VALUE`).
    public var environment: [[UInt8]] = []

    /// The environment Linux programs get from this host: its PATH, HOME and TERM.
    public static func hostEnvironment() -> [[UInt8]] {
        ["PATH", "HOME", "TERM"].compactMap { name in ProcessInfo.processInfo.environment[name].map { Array("\(name)=\($0)".utf8) } }
    }

    /// The most runs one boot makes (the kernel's own limit on `repeat=`).
    public static let maximumRepetitions = 1_000_000
    /// The largest ``crashAfterWrites`` the kernel takes (its options hold up to 7 digits).
    public static let maximumCrashAfterWrites = 1_000_000

    public init(program: [UInt8], arguments: [[UInt8]] = [], argv0: [UInt8]? = nil) {
        self.program = program
        self.arguments = arguments
        self.argv0 = argv0
    }

    public init(program: String, arguments: [String] = [], argv0: String? = nil) {
        self.init(program: Array(program.utf8), arguments: arguments.map { Array($0.utf8) }, argv0: argv0.map { Array($0.utf8) })
    }

    /// How one run of the program ended.
    public enum RunEnding: Equatable, Sendable {
        case exited(Int64)
        case couldNotStart(RunRecord.StartFailure)
    }

    /// How the run ended.
    public struct Result: Sendable {
        /// The program's exit status (as the kernel reports it: −1 after a fault); the last
        /// run's when it ran several times.
        public var exitStatus: Int64? { tally.lastExitStatus }
        /// The exit status of every run that ended, in order (of the first
        /// ``RunTally/keptRuns``).
        public var exitStatuses: [Int64] { runs.compactMap { if case .exited(let status) = $0 { status } else { nil } } }
        /// Every run the kernel reported, in order (the first ``RunTally/keptRuns``).
        public var runs: [RunEnding] { tally.endings }
        /// How many runs the kernel reported.
        public var runCount: Int { tally.count }
        /// The runs, folded as they were reported.
        public var tally = RunTally()
        public var output: Data
        public var errorOutput: Data
        public var log: String
        /// Why the run did not go as asked (a run that could not start, runs missing, QEMU or
        /// the kernel failing), in one line; `nil` when every run ended with a status.
        public var problem: String?
        /// True when the problem is that the program could not start (not the machine).
        public var programCouldNotStart = false
        /// The frames in use before and after the program, from the kernel's status records.
        public var frames: (before: Int, after: Int)?
        /// The kernel stacks (threads not yet freed) before and after the program.
        public var kernelStacks: (before: Int, after: Int)?
        /// The CPUs the kernel ran.
        public var processors: Int?
        /// How long the CPUs waited for the kernel lock during the runs.
        public var kernelLock: KernelLockWait?
        /// With ``ProgramRun/reportsMemoryMaps``: every process's memory map at each fork and
        /// at its end, in order.
        public var memoryMaps: [MemoryMapRecords.Snapshot] = []
        /// With memory maps: the path of every file of the disk by its inode number (the maps
        /// name files by inode).
        public var fileNames: [UInt32: [UInt8]] = [:]
        /// With ``ProgramRun/checksDisk``: what the checker found wrong with the disk after the
        /// run, one line per problem (empty when it is clean).
        public var diskProblems: [String]?
        /// What the page cache did in each run (of the first ``RunTally/keptRuns``): pages read
        /// from the disk, lookups served from memory.
        public var pageCache: [(reads: Int, hits: Int)] { tally.pageCache }
        /// With ``ProgramRun/traceDescriptor``: what went wrong with the trace, if anything.
        public var traceProblem: String?
        /// The kernel cut the power as ``ProgramRun/crashAfterWrites`` asked.
        public var powerWasCut = false

        /// The status `apus run` exits with: the program's, as a shell shows it (−1 → 255);
        /// 126 when it could not start, 125 when the machine failed before it ended. With
        /// several runs, the first that did not exit with 0 gives it (0 when all did).
        public var shellStatus: Int32 {
            if problem != nil { return programCouldNotStart ? 126 : 125 }
            guard let status = firstFailure?.status ?? exitStatus else { return 125 }
            return Int32(truncatingIfNeeded: UInt8(truncatingIfNeeded: status))
        }

        /// The first run that exited with a status other than 0: its index (from 0) and its
        /// status.
        public var firstFailure: (run: Int, status: Int64)? { tally.firstFailure }
    }

    /// The `argv` boot module: the program's file name, then argv[0…], each ending in a NUL
    /// (built in one pass, in time linear in its size).
    public func argumentImage() -> [UInt8] {
        let words = [program, argv0 ?? program] + arguments
        var image: [UInt8] = []
        image.reserveCapacity(words.reduce(0) { $0 + $1.count + 1 })
        for word in words {
            image.append(contentsOf: word)
            image.append(0)
        }
        return image
    }

    /// Reads `descriptor` to its end, refusing (with a message) input larger than `limit`
    /// bytes instead of growing without bound.
    public static func readInput(from descriptor: Int32, limit: Int) throws -> Data {
        var input = Data()
        let failure = try readChunks(from: descriptor) { chunk in
            guard input.count + chunk.count <= limit else {
                throw ToolError("standard input is larger than \(limit >> 20) MiB, more than the machine can hold; give the program a file instead (--rootfs) or less input")
            }
            input.append(contentsOf: chunk)
        }
        guard failure == 0 else { throw ToolError("cannot read standard input: \(String(cString: strerror(failure)))") }
        return input
    }

    /// The most standard input a run takes: the machine's memory.
    public var inputLimit: Int { machine.memory << 20 }

    public func run(kernel: URL, programs: URL, data: URL,
                    onOutput: @escaping @Sendable (Data, ConsoleStream) -> Void = { _, _ in },
                    report: (String) -> Void = { _ in }) throws -> Result {
        guard (1...Self.maximumRepetitions).contains(repetitions) else {
            throw ToolError("--repeat \(repetitions): the count must be between 1 and \(Self.maximumRepetitions)")
        }
        if traceDescriptor != nil, !machine.sharesRAM {
            throw ToolError("--trace needs the machine's RAM shared with QEMU through \(SharedRAM.folder), which this host lacks")
        }
        var run = self
        if let descriptor = inputDescriptor {
            if machine.sharesRAM {
                run.machine.inputDescriptor = descriptor
            } else {
                // From a terminal, reading to the end would wait for Ctrl-D: an empty input.
                run.standardInput = isatty(descriptor) != 0 ? Data() : try Self.readInput(from: descriptor, limit: inputLimit)
                run.inputDescriptor = nil
            }
        }
        return try run.boot(kernel: kernel, programs: programs, data: data, onOutput: onOutput, report: report)
    }

    private func boot(kernel: URL, programs: URL, data: URL, onOutput: @escaping @Sendable (Data, ConsoleStream) -> Void,
                      report: (String) -> Void) throws -> Result {
        guard standardInput.count <= inputLimit else {
            throw ToolError("standard input is larger than \(inputLimit >> 20) MiB, more than the machine can hold")
        }
        let scratch = try ScratchFolder(in: machine.scratchParent)
        defer { scratch.remove() }
        let image = disk ?? scratch.url.appendingPathComponent("disk.img")
        // The kept image a scratch disk is a copy of (DiskTemplates.swift).
        var template: [UInt8]?
        if disk == nil || !FileManager.default.fileExists(atPath: image.path) {
            let entries = try Self.diskEntries(programs: programs, data: data, extra: extraFiles)
            guard entries.contains(where: { $0.path == program && $0.isFile }) else {
                throw NoSuchProgram(name: program, files: entries.filter(\.isFile).map(\.path))
            }
            if disk == nil, let key = DiskTemplates.key(entries: entries, geometry: "keos") {
                if try !DiskTemplates.shared.copy(key, to: image) {
                    try RunDisk.make(at: image, entries: entries, durable: false)
                    DiskTemplates.shared.keep(key, from: image)
                }
                template = key
            } else {
                try RunDisk.make(at: image, entries: entries, durable: disk != nil)
            }
        }
        // Equal after the run when the run wrote nothing to the disk: QEMU writes long after
        // the image is made, well past the host's coarsest timestamp tick.
        let made = template.flatMap { _ in BuildFingerprint.identity(of: image.path) }
        let argv = scratch.url.appendingPathComponent("argv")
        try Data(argumentImage()).write(to: argv)
        let stdin = scratch.url.appendingPathComponent("stdin")
        try standardInput.write(to: stdin)
        let envp = scratch.url.appendingPathComponent("envp")
        try Data(environment.flatMap { $0 + [0] } + [0]).write(to: envp)

        let streams = machine.inputDescriptor != nil
        let commandLine = (repetitions > 1 ? "run repeat=\(repetitions)" : "run") + " pager=\(pager.name)" + (streams ? " input=stream" : "")
            + (reportsMemoryMaps ? " memory-map" : "") + (crashAfterWrites.map { " crash-after-writes=\($0)" } ?? "")
            + (traceDescriptor != nil ? " trace" : "") + (joinsErrorToOutput ? " output=merged" : "")
            + (unmarkedPersonality == .linux ? " abi=linux" : "") + " epoch=\(Int(Date().timeIntervalSince1970))"
            + (terminalStreams.isEmpty ? "" : " tty=" + terminalStreams.map(String.init).joined())
        var machine = self.machine
        // Each run's ending is folded and handed on as it comes; the outcome keeps only the first.
        let tally = LockedValue(RunTally())
        let onRunEnded = self.onRunEnded
        machine.onStatusRecord = { record in
            guard let (index, ending) = tally.update({ tally in tally.add(record).map { (tally.count - 1, $0) } }) else { return }
            onRunEnded?(index, ending)
        }
        let trace = traceDescriptor.map(TraceWriter.init)
        if let trace { machine.onTrace = trace.append }
        machine.disk = image
        machine.diskIsScratch = disk == nil
        machine.leftovers = [scratch.url.path]
        let outcome = try machine.run(kernel: kernel, commandLine: commandLine,
                                      modules: [(argv, "argv"), (envp, "envp")] + (streams ? [] : [(stdin, "stdin")]),
                                      onOutput: onOutput, report: report)
        var result = Self.result(of: outcome, program: program, repetitions: repetitions,
                                 tally: outcome.records.first?.kind == .booted ? tally.value : RunTally())
        result.traceProblem = trace?.finish()
        if reportsMemoryMaps { result.fileNames = RunDisk.pathsByInode(of: image) }
        if checksDisk {
            // A copy of a kept image that no run wrote holds the bytes the checker saw once.
            if let template, let made, BuildFingerprint.identity(of: image.path) == made {
                result.diskProblems = DiskTemplates.shared.problems(template, checking: image)
            } else {
                result.diskProblems = RunDisk.problems(of: image)
            }
        }
        return result
    }

    /// What a boot's outcome says about the program's runs: only the kernel's status records
    /// count; the log is kept for people.
    /// `tally` is the runs as they were reported; `nil`: the outcome's records, whole.
    public static func result(of outcome: Machine.Outcome, program: [UInt8], repetitions: Int, tally: RunTally? = nil) -> Result {
        var result = Result(output: outcome.output, errorOutput: outcome.errorOutput, log: outcome.log)
        result.tally = tally ?? RunTally(outcome.records)
        let name = LogText.escaped(program)
        result.memoryMaps = MemoryMapRecords.snapshots(in: outcome.records)
        for record in outcome.records {
            switch record.kind {
            case .frames: result.frames = (Int(record.first), Int(record.second))
            case .kernelStacks: result.kernelStacks = (Int(record.first), Int(record.second))
            case .processors: result.processors = Int(record.first)
            case .kernelLock: result.kernelLock = KernelLockWait(acquisitions: Int(record.run), waitedTicks: record.first, cpuTicks: record.second)
            case .booted, .exited, .couldNotStart, .pageCache, .outputRings, .inputRing, .memoryMap, .region, .regionPages, .regionsOmitted: break
            }
        }
        let which = { (index: Int) in repetitions > 1 ? "run \(index + 1) of \(repetitions): " : "" }
        if let (index, reason) = result.tally.firstStartFailure {
            result.problem = "\(which(index))cannot run \(name): \(reason)"
            result.programCouldNotStart = true
        } else if outcome.status == Machine.statusPowerCut {
            result.powerWasCut = true
            result.problem = "the power was cut as asked (crash-after-writes), after \(result.runCount) of \(repetitions) runs"
        } else if let problem = outcome.problem {
            result.problem = result.runCount == 0 ? problem : "\(problem) (after \(result.runCount) of \(repetitions) runs)"
        } else if outcome.status != 0 {
            let panic = outcome.logLines.first { $0.hasPrefix("PANIC") }
            result.problem = "the kernel stopped with status \(outcome.status.map(String.init) ?? "?")\(panic.map { ": \($0)" } ?? "") after \(result.runCount) of \(repetitions) runs"
        } else if result.runCount != repetitions || result.frames == nil {
            result.problem = "the kernel reported \(result.runCount) of \(repetitions) runs"
        }
        return result
    }
}
