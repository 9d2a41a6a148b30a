import ApusCore
import Foundation

/// `apus run`: one program in a freshly booted Apus, as if it ran here.
///
/// The root file system holds the shipped programs, the data files and any extra files; the
/// program's arguments and standard input travel as boot modules. Its standard output and
/// error come back on their own serial ports and are passed on as they arrive; the kernel's
/// log stays apart. The program's exit status is the run's.
public struct ProgramRun: Sendable {
    public var program: String
    public var arguments: [String]
    /// argv[0], when it should differ from the program's file name.
    public var argv0: String?
    /// Folders whose files join the root file system.
    public var extraFiles: [URL] = []
    /// How many times to run the program, one after the other, in the same boot.
    public var repetitions = 1
    public var standardInput = Data()
    public var machine = Machine()

    public init(program: String, arguments: [String] = [], argv0: String? = nil) {
        self.program = program
        self.arguments = arguments
        self.argv0 = argv0
    }

    /// How the run ended.
    public struct Result: Sendable {
        /// The program's exit status (as the kernel reports it: −1 after a fault); the last
        /// run's when it ran several times.
        public var exitStatus: Int64? { exitStatuses.last }
        /// The exit status of every run, in order.
        public var exitStatuses: [Int64] = []
        public var output: Data
        public var errorOutput: Data
        public var log: String
        /// Why there is no exit status, in one line.
        public var problem: String?
        /// The frames in use before and after the program, from the kernel log.
        public var frames: (before: Int, after: Int)?

        /// The status `apus run` exits with: the program's, as a shell shows it (−1 → 255).
        public var shellStatus: Int32 {
            guard let exitStatus else { return 125 }
            return Int32(truncatingIfNeeded: UInt8(truncatingIfNeeded: exitStatus))
        }
    }

    /// The root file system's files: programs, data, extra folders (later ones win).
    public static func rootFiles(programs: URL, data: URL, extra: [URL]) throws -> [(name: String, url: URL)] {
        var files: [String: URL] = [:]
        for folder in [programs, data] + extra {
            let entries = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: [.isRegularFileKey])
            for entry in entries where (try? entry.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true {
                files[entry.lastPathComponent] = entry
            }
        }
        return files.keys.sorted().map { ($0, files[$0]!) }
    }

    public func run(kernel: URL, programs: URL, data: URL,
                    onOutput: @escaping @Sendable (Data, ConsoleStream) -> Void = { _, _ in }) throws -> Result {
        let files = try Self.rootFiles(programs: programs, data: data, extra: extraFiles)
        guard files.contains(where: { $0.name == program }) else {
            throw ToolError("no program named \(program) in the root file system (it has: \(files.map(\.name).joined(separator: " ")))")
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("apus-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        let image = RootFileSystem.image(of: try files.map { (Array($0.name.utf8), [UInt8](try Data(contentsOf: $0.url))) })
        let rootfs = scratch.appendingPathComponent("rootfs.img")
        try Data(image).write(to: rootfs)
        let argv = scratch.appendingPathComponent("argv")
        let words = [program, argv0 ?? program] + arguments
        try Data(words.flatMap { Array($0.utf8) + [0] }).write(to: argv)
        let stdin = scratch.appendingPathComponent("stdin")
        try standardInput.write(to: stdin)

        let outcome = try machine.run(kernel: kernel, commandLine: repetitions > 1 ? "run repeat=\(repetitions)" : "run",
                                      modules: [(rootfs, "rootfs"), (argv, "argv"), (stdin, "stdin")],
                                      onOutput: onOutput)
        var result = Result(output: outcome.output, errorOutput: outcome.errorOutput, log: outcome.log, problem: outcome.problem)
        for line in outcome.logLines {
            if line.hasPrefix("exit status "), let status = Int64(line.dropFirst("exit status ".count)) {
                result.exitStatuses.append(status)
            }
            if line.hasPrefix("frames in use: ") {
                let numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
                if numbers.count >= 2 { result.frames = (numbers[0], numbers[1]) }
            }
        }
        if result.exitStatus == nil && result.problem == nil {
            // The kernel's own words for why the program did not run: "cannot run …", "run: …"
            // (a damaged boot), or a panic.
            let reason = outcome.logLines.first { $0.hasPrefix("cannot run") || $0.hasPrefix("run: ") || $0.hasPrefix("PANIC") }
            result.problem = reason ?? "the kernel stopped with status \(outcome.status.map(String.init) ?? "?") and no exit status"
        }
        return result
    }
}
