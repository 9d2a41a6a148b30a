import ApusCore
import Foundation

/// `apus bench`: the benchmark program run on Apus, and on Linux beside it.
///
/// A round is one Apus boot with the lazy pager (every row but the eager and file ones), one
/// with the eager pager (populate and munmap per page), and, with a Linux kernel, one Linux
/// boot running every row (its eager rows ask for `MAP_POPULATE`). With ``files``, two more
/// Apus boots run the file rows, on a KeOS disk with a journal and on one without, and
/// Linux's boot runs them on an ext4 disk (``BenchDisks``). With ``busybox``, one more Apus
/// boot runs busybox's rows (fork + execve + wait of busybox, a busybox shell loop): they
/// start other programs, which a KeOS program cannot, so Apus runs the program's Linux build
/// as a Linux program, on a disk with busybox installed as `apus run --rootfs` installs it,
/// and Linux's boot runs them too, busybox in its initramfs. Rounds alternate the
/// systems, so that whatever else the host does falls on both alike. All boots use the same
/// QEMU machine: the CPU model, the memory, the disk's interface and (by default) software
/// emulation.
///
/// Times: the program reports time-stamp-counter ticks. Under QEMU the guest's counter runs
/// at the host's rate from 0 when the machine starts, so the first line's reading is the
/// boot's length; the rate itself is measured, not assumed: each run's ticks between its
/// first and last lines over the host's clock between their arrivals
/// (``BenchOutput/ticksPerSecond``), the median over every run.
public struct BenchRun: Sendable {
    /// The program in `Userland/programs`.
    public static let program = "bench"

    /// A few samples of small sizes: for tests, which check the format only.
    public var short = false
    public var rounds = 3
    /// Software emulation unless asked: KVM here is nested, and it failed Linux guests.
    public var acceleration = Machine.Acceleration.software
    /// The CPUs of Apus's machine.
    public var cpus = 1
    /// A Linux kernel image to compare with.
    public var linuxKernel: URL?
    public var memory = 512
    /// Measure the file rows too (on disks made for the run).
    public var files = true
    /// A static x86-64 Linux busybox whose rows both systems measure (`nil`: none).
    public var busybox = BenchRun.hostBusybox

    /// Where Debian's `busybox-static` puts busybox, when this host has it there.
    public static var hostBusybox: URL? {
        let url = URL(fileURLWithPath: "/usr/bin/busybox")
        return FileManager.default.isExecutableFile(atPath: url.path) ? url : nil
    }

    public init() {}

    /// Every run's output, and the counter's rate.
    public struct Result: Sendable {
        public var apusLazy: [BenchOutput] = []
        public var apusEager: [BenchOutput] = []
        /// The file rows: a run on the disk with a journal, then one (its rows marked
        /// ``BenchOutput/Setting/withoutJournal``) on the disk without, each round.
        public var apusFiles: [BenchOutput] = []
        /// Busybox's rows, measured by the program's Linux build.
        public var apusBusybox: [BenchOutput] = []
        public var linux: [BenchOutput] = []
        /// How long Apus's CPUs waited for the kernel lock, per Apus run.
        public var kernelLock: [KernelLockWait] = []

        /// Apus's rows over every run (the boot from the lazy runs).
        public var apus: BenchSummary { BenchSummary(runs: apusLazy + apusEager + apusFiles + apusBusybox, bootRuns: apusLazy) }
        public var linuxSummary: BenchSummary? { linux.isEmpty ? nil : BenchSummary(runs: linux) }

        var runs: [BenchOutput] { apusLazy + apusEager + apusFiles + apusBusybox + linux }

        /// Ticks per second: the median over the runs long enough to calibrate, or over every
        /// run when none is (``calibrationIsRough``).
        public var ticksPerSecond: Double? {
            let long = runs.filter(\.isLongEnoughToCalibrate)
            let rates = (long.isEmpty ? runs : long).compactMap(\.ticksPerSecond)
            return rates.isEmpty ? nil : BenchSummary.median(rates)
        }

        /// True when no run was long enough to calibrate the counter well (short runs).
        public var calibrationIsRough: Bool { !runs.contains(where: \.isLongEnoughToCalibrate) }
    }

    func arguments(_ rows: String) -> [String] { [rows] + (short ? ["short"] : []) }

    /// Runs the rounds; `linuxProgram` is the program built for Linux: Linux's `/init` (with
    /// ``linuxKernel``), and what Apus runs for busybox's rows (with ``busybox``; without a
    /// `linuxProgram` there are none).
    public func run(kernel: URL, programs: URL, data: URL, linuxProgram: Data?,
                    progress: (String) -> Void = { _ in }) throws -> Result {
        var result = Result()
        let busyboxRoot = try linuxProgram.flatMap { program in try busybox.map { try Self.busyboxRoot(busybox: $0, program: program) } }
        defer { busyboxRoot?.remove() }
        // Busybox lists its applets here, before any boot: a file that is no busybox stops the run now.
        let linuxBusybox = try busyboxRoot.flatMap { _ in try busybox.map(Self.initramfsBusybox) }
        let disks = try files ? BenchDisks.make(short: short, ext4: linuxKernel != nil) : nil
        defer { disks?.remove() }
        if let problem = disks?.ext4Problem { progress(problem) }
        // Apus boots from its disks as they are: the program goes onto them first.
        for image in [disks?.apusWithJournal, disks?.apusWithoutJournal].compactMap({ $0 }) {
            let program = programs.appendingPathComponent(Self.program).path
            do {
                _ = try ImageCopy.copy(.host(program), to: .image(file: image.path, path: Array("/\(Self.program)".utf8)))
            } catch {
                throw ToolError("the benchmark's Apus disk: \(error)")
            }
        }
        var linuxDisk: (image: URL, modules: [(name: String, contents: Data)])?
        if let linuxKernel, let ext4 = disks?.ext4 {
            let modules = try LinuxModules.find(for: linuxKernel)
            if modules.missing.isEmpty {
                linuxDisk = (ext4, try modules.initramfsFiles())
            } else {
                progress("Linux \(modules.release) has no \(modules.missing.joined(separator: ", ")) built in or in \(LinuxModules.modulesRoot.path)/\(modules.release): Linux runs without the file rows")
            }
        }
        for round in 1...rounds {
            let of = "round \(round) of \(rounds)"
            progress("\(of): Apus, lazy pager")
            result.apusLazy.append(try runApus(arguments("lazy"), pager: .lazy, kernel: kernel, programs: programs, data: data, lock: &result.kernelLock))
            progress("\(of): Apus, eager pager")
            result.apusEager.append(try runApus(arguments("eager"), pager: .eager, kernel: kernel, programs: programs, data: data, lock: &result.kernelLock))
            if let disks {
                progress("\(of): Apus, file rows with a journal, then without")
                result.apusFiles.append(try runApus(arguments("files"), pager: .lazy, kernel: kernel, programs: programs, data: data,
                                                    disk: disks.apusWithJournal, lock: &result.kernelLock))
                result.apusFiles.append(try runApus(arguments("files"), pager: .lazy, kernel: kernel, programs: programs, data: data,
                                                    disk: disks.apusWithoutJournal, lock: &result.kernelLock).marked(.withoutJournal))
            }
            if let busyboxRoot {
                progress("\(of): Apus, busybox's rows (the program built for Linux)")
                result.apusBusybox.append(try runApus(arguments("busybox"), pager: .lazy, kernel: kernel, programs: programs, data: data,
                                                      linuxRoot: busyboxRoot.url, lock: &result.kernelLock))
            }
            if let linuxKernel, let linuxProgram {
                progress("\(of): Linux (\(linuxKernel.lastPathComponent))")
                result.linux.append(try runLinux(linuxProgram, kernel: linuxKernel, disk: linuxDisk, busybox: linuxBusybox))
            }
        }
        return result
    }

    /// `disk`: an image holding the program to boot from, as it is. `linuxRoot`: a folder
    /// holding the program built for Linux and busybox (``busyboxRoot(busybox:program:)``),
    /// run instead of the KeOS program.
    func runApus(_ arguments: [String], pager: PagingPolicy, kernel: URL, programs: URL, data: URL, disk: URL? = nil,
                 linuxRoot: URL? = nil, lock: inout [KernelLockWait]) throws -> BenchOutput {
        var run = ProgramRun(program: Self.program, arguments: arguments)
        run.pager = pager
        run.disk = disk
        if let linuxRoot {
            run.extraFiles = [linuxRoot]
            run.unmarkedPersonality = .linux
        }
        run.machine.acceleration = acceleration
        run.machine.cpus = cpus
        run.machine.memory = memory
        let lines = TimedLines()
        let collector = LineCollector { lines.append($0) }
        let result = try run.run(kernel: kernel, programs: programs, data: data) { data, stream in
            if stream == .output { collector.append(data) }
        }
        collector.finish()
        if let wait = result.kernelLock { lock.append(wait) }
        let output = BenchOutput(lines: lines.all)
        if let problem = result.problem ?? output.failure.map({ "the program failed: \($0)" }) {
            throw ToolError("apus run bench \(arguments.joined(separator: " ")): \(problem)")
        }
        guard result.exitStatus == 0, output.isComplete else {
            throw ToolError("apus run bench \(arguments.joined(separator: " ")) ended with status \(result.exitStatus.map(String.init) ?? "?") before its last line:\n\(result.stdoutText)")
        }
        return output
    }

    func runLinux(_ program: Data, kernel: URL, disk: (image: URL, modules: [(name: String, contents: Data)])?,
                  busybox: (contents: Data, applets: [String])?) throws -> BenchOutput {
        var machine = LinuxMachine(kernel: kernel)
        machine.memory = memory
        machine.disk = disk?.image
        machine.modules = disk?.modules ?? []
        machine.busybox = busybox
        // The same choice as Apus's machine makes (which falls back to software emulation
        // when KVM fails; Linux's does not).
        var apusMachine = Machine()
        apusMachine.acceleration = acceleration
        machine.usesKVM = apusMachine.triesKVM()
        let lines = TimedLines()
        let rows = arguments("lazy") + ["eager"] + (disk == nil ? [] : ["files"]) + (busybox == nil ? [] : ["busybox"])
        let outcome = try machine.run(program: program, initArguments: rows, onLine: { lines.append($0) })
        let output = BenchOutput(lines: lines.all)
        if let problem = outcome.problem ?? output.failure.map({ "the program failed: \($0)" }) {
            throw ToolError("Linux: \(problem)\n\(outcome.console.suffix(2000))")
        }
        guard output.isComplete else {
            throw ToolError("Linux: the program did not get to its last line; the console said:\n\(outcome.console.suffix(4000))")
        }
        return output
    }
}

extension BenchRun {
    /// A root folder for Apus's run of busybox's rows: the program built for Linux, under the
    /// KeOS program's name (a root folder's file wins over a built program's), and `busybox`,
    /// which the run's disk gets as `/bin/busybox` with its applets.
    static func busyboxRoot(busybox: URL, program: Data) throws -> ScratchFolder {
        let folder = try ScratchFolder(in: nil)
        do {
            let file = folder.url.appendingPathComponent(Self.program)
            try program.write(to: file)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
            try folder.link(String(decoding: ProgramRun.busyboxName, as: UTF8.self), to: busybox)
            return folder
        } catch {
            folder.remove()
            throw error
        }
    }

    /// Busybox for Linux's initramfs: its bytes and its applets (``LinuxMachine/busybox``).
    static func initramfsBusybox(_ busybox: URL) throws -> (contents: Data, applets: [String]) {
        (try Data(contentsOf: busybox), try ProgramRun.busyboxApplets(at: Array(busybox.path.utf8)).map { String(decoding: $0, as: UTF8.self) })
    }
}

extension ProgramRun.Result {
    var stdoutText: String { String(decoding: output, as: UTF8.self) }
}

/// Lines with the host's clock (monotonic, nanoseconds) when each arrived.
final class TimedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [(text: String, hostNanoseconds: UInt64)] = []

    func append(_ line: String) {
        let now = DispatchTime.now().uptimeNanoseconds
        lock.lock()
        lines.append((line, now))
        lock.unlock()
    }

    var all: [(text: String, hostNanoseconds: UInt64)] { lock.lock(); defer { lock.unlock() }; return lines }
}
