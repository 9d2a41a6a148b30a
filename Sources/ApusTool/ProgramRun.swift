import ApusCore
import Foundation

/// `apus run`: one program in a freshly booted Apus, as if it ran here.
///
/// The root file system holds the shipped programs, the data files and any extra files; the
/// program's arguments and standard input travel as boot modules. Its standard output and
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
    public var machine = Machine()

    /// The most runs one boot makes (the kernel's own limit on `repeat=`).
    public static let maximumRepetitions = 1_000_000

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
        public var exitStatus: Int64? { exitStatuses.last }
        /// The exit status of every run that ended, in order.
        public var exitStatuses: [Int64] { runs.compactMap { if case .exited(let status) = $0 { status } else { nil } } }
        /// Every run the kernel reported, in order.
        public var runs: [RunEnding] = []
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
        /// The names of the root file system's files, in the image's order (the memory maps
        /// name files by their place there).
        public var rootFileNames: [[UInt8]] = []

        /// The status `apus run` exits with: the program's, as a shell shows it (−1 → 255);
        /// 126 when it could not start, 125 when the machine failed before it ended.
        public var shellStatus: Int32 {
            if problem != nil { return programCouldNotStart ? 126 : 125 }
            guard let exitStatus else { return 125 }
            return Int32(truncatingIfNeeded: UInt8(truncatingIfNeeded: exitStatus))
        }
    }

    /// The program asked for is not in the root file system: the message names the files that
    /// are, the ones whose names are close first, and how to add a program.
    public struct NoSuchProgram: Error, CustomStringConvertible {
        public var name: [UInt8]
        /// Every file of the root file system.
        public var files: [[UInt8]]

        /// The files whose names are close to `name` (a typing slip: at most a third of the
        /// letters wrong, at least one right; or one name inside the other), closest first.
        public var similarNames: [[UInt8]] {
            let lowered = Self.lowercased(name)
            let candidates: [(distance: Int, name: [UInt8])] = files.compactMap { file in
                let other = Self.lowercased(file)
                let distance = Self.editDistance(lowered, other)
                let contained = other.count >= 3 && Self.find(other, in: lowered) || lowered.count >= 3 && Self.find(lowered, in: other)
                guard distance <= max(1, min(lowered.count, other.count) / 3) || contained else { return nil }
                return (distance, file)
            }
            return candidates.sorted { $0.distance != $1.distance ? $0.distance < $1.distance : $0.name.lexicographicallyPrecedes($1.name) }
                .prefix(5).map(\.name)
        }

        public var description: String {
            let similar = similarNames.map(LogText.escaped)
            let hint = similar.isEmpty ? "" : " Did you mean \(similar.joined(separator: ", "))?"
            return """
                no program named \(LogText.escaped(name)) in the root file system.\(hint)
                  Its files: \(files.map(LogText.escaped).joined(separator: " "))
                  To run a program of your own: put NAME.c in Userland/programs (built with the others), \
                or give the folder of a program built for Apus with --rootfs DIR.
                """
        }

        /// True when `needle` occurs in `haystack`.
        static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Bool {
            guard needle.count <= haystack.count else { return false }
            return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
        }

        static func lowercased(_ bytes: [UInt8]) -> [UInt8] {
            bytes.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }
        }

        /// The Levenshtein distance: how many bytes to insert, delete or replace to turn `a`
        /// into `b`.
        static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
            var previous = Array(0...b.count)
            for (i, x) in a.enumerated() {
                var current = [i + 1] + Array(repeating: 0, count: b.count)
                for (j, y) in b.enumerated() {
                    current[j + 1] = Swift.min(previous[j] + (x == y ? 0 : 1), previous[j + 1] + 1, current[j] + 1)
                }
                previous = current
            }
            return previous[b.count]
        }
    }

    /// A file of the root file system: its name (bytes, as the folder holds it) and where it is.
    public struct RootFile: Sendable {
        public var name: [UInt8]
        /// The file's path, as bytes (a name need not be UTF-8).
        public var path: [UInt8]
        /// The name, readable.
        public var displayName: String { LogText.escaped(name) }
    }

    /// The root file system's files: programs, data, extra folders (later ones win). A folder
    /// that is missing or is not a folder is an error, not silence.
    public static func rootFiles(programs: URL, data: URL, extra: [URL]) throws -> [RootFile] {
        var files: [[UInt8]: [UInt8]] = [:]
        for folder in [programs, data] + extra {
            for file in try listFolder(folder) { files[file.name] = file.path }
        }
        return files.keys.sorted { $0.lexicographicallyPrecedes($1) }.map { RootFile(name: $0, path: files[$0]!) }
    }

    /// The regular files of `folder` (symbolic links to regular files included), names as bytes.
    public static func listFolder(_ folder: URL) throws -> [RootFile] {
        let path = folder.path
        var information = stat()
        guard stat(path, &information) == 0 else {
            guard errno == ENOENT else { throw ToolError("\(path): \(String(cString: strerror(errno)))") }
            throw ToolError("\(path): no such folder; --rootfs takes a folder that exists, whose files join the root file system (e.g. --rootfs ./bin)")
        }
        guard information.st_mode & S_IFMT == S_IFDIR else {
            throw ToolError("\(path) is a file, not a folder: --rootfs takes the folder that holds the files")
        }
        guard let directory = opendir(path) else {
            throw ToolError("\(path): cannot read the folder: \(String(cString: strerror(errno)))")
        }
        defer { closedir(directory) }
        var files: [RootFile] = []
        let prefix = Array(path.utf8) + (path.hasSuffix("/") ? [] : [UInt8(ascii: "/")])
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            let filePath = prefix + name
            var fileInformation = stat()
            let found = (filePath + [0]).withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { stat($0.baseAddress!, &fileInformation) }
            }
            guard found == 0, fileInformation.st_mode & S_IFMT == S_IFREG else { continue }
            files.append(RootFile(name: name, path: filePath))
        }
        return files
    }

    /// The bytes of the file at `path`.
    static func readFile(_ path: [UInt8]) throws -> [UInt8] {
        let descriptor = (path + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_RDONLY | O_CLOEXEC) }
        }
        guard descriptor >= 0 else {
            throw ToolError("cannot read \(LogText.escaped(path)): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw ToolError("cannot read \(LogText.escaped(path)): \(String(cString: strerror(errno)))") }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
        }
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
        let files = try Self.rootFiles(programs: programs, data: data, extra: extraFiles)
        guard files.contains(where: { $0.name == program }) else {
            throw NoSuchProgram(name: program, files: files.map(\.name))
        }
        let scratch = try ScratchFolder(in: machine.scratchParent)
        defer { scratch.remove() }

        let image = RootFileSystem.image(of: try files.map { ($0.name, try Self.readFile($0.path)) })
        let rootfs = scratch.url.appendingPathComponent("rootfs.img")
        try Data(image).write(to: rootfs)
        let argv = scratch.url.appendingPathComponent("argv")
        try Data(argumentImage()).write(to: argv)
        let stdin = scratch.url.appendingPathComponent("stdin")
        try standardInput.write(to: stdin)

        let streams = machine.inputDescriptor != nil
        let commandLine = (repetitions > 1 ? "run repeat=\(repetitions)" : "run") + " pager=\(pager.name)" + (streams ? " input=stream" : "") + (reportsMemoryMaps ? " memory-map" : "")
        let outcome = try machine.run(kernel: kernel, commandLine: commandLine,
                                      modules: [(rootfs, "rootfs"), (argv, "argv")] + (streams ? [] : [(stdin, "stdin")]),
                                      onOutput: onOutput, report: report)
        var result = Self.result(of: outcome, program: program, repetitions: repetitions)
        result.rootFileNames = files.map(\.name)
        return result
    }

    /// What a boot's outcome says about the program's runs: only the kernel's status records
    /// count; the log is kept for people.
    public static func result(of outcome: Machine.Outcome, program: [UInt8], repetitions: Int) -> Result {
        var result = Result(output: outcome.output, errorOutput: outcome.errorOutput, log: outcome.log)
        let name = LogText.escaped(program)
        result.memoryMaps = MemoryMapRecords.snapshots(in: outcome.records)
        for record in outcome.records {
            switch record.kind {
            case .exited: result.runs.append(.exited(record.first))
            case .couldNotStart: result.runs.append(.couldNotStart(RunRecord.StartFailure(rawValue: record.detail) ?? .unknown))
            case .frames: result.frames = (Int(record.first), Int(record.second))
            case .kernelStacks: result.kernelStacks = (Int(record.first), Int(record.second))
            case .processors: result.processors = Int(record.first)
            case .kernelLock: result.kernelLock = KernelLockWait(acquisitions: Int(record.run), waitedTicks: record.first, cpuTicks: record.second)
            case .booted, .outputRings, .inputRing, .memoryMap, .region, .regionPages, .regionsOmitted: break
            }
        }
        let which = { (index: Int) in repetitions > 1 ? "run \(index + 1) of \(repetitions): " : "" }
        if let index = result.runs.firstIndex(where: { if case .couldNotStart = $0 { true } else { false } }),
           case .couldNotStart(let reason) = result.runs[index] {
            result.problem = "\(which(index))cannot run \(name): \(reason)"
            result.programCouldNotStart = true
        } else if let problem = outcome.problem {
            result.problem = result.runs.isEmpty ? problem : "\(problem) (after \(result.runs.count) of \(repetitions) runs)"
        } else if outcome.status != 0 {
            let panic = outcome.logLines.first { $0.hasPrefix("PANIC") }
            result.problem = "the kernel stopped with status \(outcome.status.map(String.init) ?? "?")\(panic.map { ": \($0)" } ?? "") after \(result.runs.count) of \(repetitions) runs"
        } else if result.runs.count != repetitions || result.frames == nil {
            result.problem = "the kernel reported \(result.runs.count) of \(repetitions) runs"
        }
        return result
    }
}
