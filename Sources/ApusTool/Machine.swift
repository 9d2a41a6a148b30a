import ApusCore
import Foundation

/// One boot of Apus in QEMU, from start to power-off.
///
/// The machine: an x86-64 PC with `memory` MiB, a CPU model that offers NX, RDRAND, SMEP and
/// SMAP, and the kernel's channels kept apart: the program's standard output and error (each
/// streamed to the host as it is written, every byte in order), the kernel log (COM2), the
/// status channel (binary ``RunRecord``s at port 0x2E8) and QEMU's `isa-debug-exit` device,
/// through which the kernel reports its status when it powers off.
///
/// What the host believes: a status only when the kernel's exit code is one the kernel uses
/// (never 0 or 1, which QEMU itself uses) *and* the kernel said on its status channel that it
/// had started. Anything else is a problem with QEMU's own words attached.
///
/// Every file QEMU opens is named relative to a private folder (QEMU's working directory), so
/// no path, whatever spaces or commas it holds, reaches QEMU's option syntax. QEMU runs under
/// a small watcher that kills it the moment this process ends, however it ends.
///
/// With ``Acceleration/automatic`` it uses KVM when `/dev/kvm` works and the host is not itself
/// a virtual machine, and falls back to software emulation when KVM fails to start; a run that
/// outlives `timeout` is stopped and reported, never left hanging.
public struct Machine: Sendable {
    /// How a run ended.
    public struct Outcome: Sendable {
        /// The status the kernel reported (0 is success), or `nil` when there is no status to
        /// believe (QEMU failed, the machine reset, the run timed out).
        public var status: Int32?
        /// Everything the kernel wrote to its log.
        public var log: String
        /// Standard output, when the machine collects it (``Machine/collectsOutput``).
        public var output: Data
        /// Standard error, likewise.
        public var errorOutput: Data
        /// Standard output as text.
        public var console: String { String(decoding: output, as: UTF8.self) }
        /// The kernel's status records, in order (empty when the channel was damaged), then the
        /// memory-map records that came through their output ring. Of the records that come
        /// with every run (``RunRecord/Kind/comesWithEveryRun``), only the first
        /// ``Machine/keptRunRecords`` are kept: ``Machine/onStatusRecord`` sees them all.
        public var records: [RunRecord]
        /// A one-line explanation when `status` is `nil`.
        public var problem: String?
        /// What QEMU itself wrote to its standard error.
        public var qemuMessages: String
        /// Whether KVM was used.
        public var usedKVM: Bool

        /// The kernel log's lines.
        public var logLines: [String] { log.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
    }

    /// Kernel statuses (PowerOff.swift, Panic.swift, Kernel.swift).
    public static let statusChecksFailed: Int32 = 1
    public static let statusPanic: Int32 = 2
    public static let statusCannotRun: Int32 = 3
    /// The kernel cut the power on purpose (`crash-after-writes=N`, PowerCutDisk.swift).
    public static let statusPowerCut: Int32 = 4

    /// The kernel writes `exitCodeBase + status` to `isa-debug-exit` (PowerOff.swift), and QEMU
    /// exits with twice that plus one.
    public static let exitCodeBase: Int32 = 0x10

    /// The kernel status a QEMU exit code stands for, or `nil` when the kernel does not use
    /// that code (QEMU's own failures exit with 1, a reset with 0).
    public static func kernelStatus(fromExitCode code: Int32) -> Int32? {
        guard code > 0, code % 2 == 1 else { return nil }
        let status = (code - 1) / 2 - exitCodeBase
        return (0..<16).contains(status) ? status : nil
    }

    /// How QEMU runs the guest's instructions.
    public enum Acceleration: String, Sendable, CaseIterable {
        /// KVM where it works and is not nested, else software emulation.
        case automatic = "auto"
        /// KVM when `/dev/kvm` works, nested or not.
        case kvm
        /// Software emulation (TCG) always.
        case software
    }

    /// The CPU model: QEMU's plain x86-64 with NX, RDRAND, SMEP and SMAP (`apus bench
    /// --linux` gives Linux the same).
    public static let cpuModel = "qemu64,+nx,+rdrand,+smep,+smap"

    public var memory = 512
    /// The CPUs of the machine (ABI.md §8: 1 to ``maximumCPUs``). Under software emulation
    /// with more than one, QEMU runs each on a host thread of its own (multi-threaded TCG),
    /// so they use up to that many host cores; the kernel hears the count as `cpus=N`.
    public var cpus = 1
    /// The most CPUs a machine may have.
    public static let maximumCPUs = CPUSet.kernelLimit
    /// What `apus run` uses unless told: the host's cores, at most 4 (KeOS grades on 4).
    public static var defaultCPUs: Int { min(max(ProcessInfo.processInfo.activeProcessorCount, 1), 4) }
    public var timeout: TimeInterval = 120
    /// Start with the CPU stopped, waiting for gdb on `localhost:1234` (QEMU's `-s -S`);
    /// no time-out then.
    public var waitForDebugger = false
    public var acceleration = Acceleration.automatic
    /// The QEMU to run; `nil`: `qemu-system-x86_64` from `PATH` (installed when missing).
    public var qemu: URL?
    /// Whether KVM can be used here; `nil`: ask the host (`/dev/kvm`).
    public var kvmAvailable: Bool?
    /// Where the run's private folder is made; `nil`: the temporary directory.
    public var scratchParent: URL?
    /// Keep the program's output in the outcome as well as passing it on. `apus run` does not
    /// (the output may be far larger than memory); tests do.
    public var collectsOutput = true
    /// Read the program's output from the kernel's output rings in the machine's RAM, shared
    /// with QEMU through a file in `/dev/shm`, when this host has that folder; else (and when
    /// false) through the debug-console ports, well under 1 MB/s.
    public var usesOutputRings = true
    /// Stream the program's standard input from this descriptor into the kernel's input
    /// ring while the machine runs (``InputRingWriter``); only where the RAM is shared
    /// (``sharesRAM``), and for a kernel told so (`input=stream`).
    public var inputDescriptor: Int32?
    /// Where the kernel's system call trace records go as they arrive (``SyscallTrace``), with
    /// a kernel told to trace (`trace`); only where the RAM is shared.
    public var onTrace: (@Sendable (Data) -> Void)?
    /// Where every status record goes as it arrives, while the machine runs (on the thread
    /// that called ``run(kernel:commandLine:modules:onOutput:report:)``): each run's end can
    /// be reported when it happens, and a boot of a million runs need not keep its records.
    public var onStatusRecord: (@Sendable (RunRecord) -> Void)?
    /// The most records that come with every run an ``Outcome`` keeps.
    public static let keptRunRecords = 3 * RunTally.keptRuns
    /// A raw disk image the machine has as its virtio block device (read and written in
    /// place), if any.
    public var disk: URL?
    /// Whether the disk is thrown away after the boot: then QEMU ignores the kernel's flushes
    /// (`cache=unsafe`), which would only make the host write a file nobody keeps to its own
    /// disk. Writes still reach the image, in order, so what it holds after the boot is what
    /// the kernel wrote.
    public var diskIsScratch = false
    /// More files and folders for the watcher to remove with QEMU's own should this process
    /// die (the run's disk, arguments and input).
    var leftovers: [String] = []

    /// QEMU's arguments for the disk: the file `disk` of the run's folder, raw, as a virtio
    /// block device on the PCI bus (`apus bench --linux` gives Linux's machine the same);
    /// `scratch`: flushes are ignored (``diskIsScratch``).
    ///
    /// The device sits in slot 3, where both firmwares name the interrupt line the board
    /// wires its INTA# to: QEMU's i440fx joins slot N's INTA# to PIRQ (N − 1) mod 4, qboot
    /// computes PIRQ N mod 4, and both route PIRQs A and B to IRQ 10, C and D to IRQ 11.
    /// In slot 2 qboot would name IRQ 11 for a device that raises IRQ 10.
    public static func diskArguments(scratch: Bool = false) -> [String] {
        ["-drive", "file=disk,if=none,id=disk,format=raw" + (scratch ? ",cache=unsafe" : ""), "-device", "virtio-blk-pci,drive=disk,addr=3"]
    }

    /// Whether the machine's RAM is a file this process shares (output and input rings).
    public var sharesRAM: Bool { usesOutputRings && access(SharedRAM.folder, W_OK) == 0 }

    public init() {}

    /// Whether to try KVM first.
    func triesKVM() -> Bool {
        let works = kvmAvailable ?? QEMU.kvmWorks
        return switch acceleration {
        case .automatic: works && !QEMU.hostIsVirtual
        case .kvm: works
        case .software: false
        }
    }

    /// Boots `kernel` with `commandLine` and `modules` (files with the names the kernel looks
    /// them up by: short names of letters, digits and dashes), passes what the program writes
    /// to `onOutput` as it arrives (from a thread of its own per stream), and waits for the
    /// kernel to power off.
    public func run(kernel: URL, commandLine: String, modules: [(URL, String)] = [],
                    onOutput: @escaping @Sendable (Data, ConsoleStream) -> Void = { _, _ in },
                    report: (String) -> Void = { _ in }) throws -> Outcome {
        let qemu = try self.qemu ?? QEMU.locate(report: report)
        if triesKVM() {
            let outcome = try boot(qemu: qemu, kernel: kernel, commandLine: commandLine, modules: modules, kvm: true, onOutput: onOutput)
            // KVM failing shows as QEMU failing before the kernel ever started.
            guard outcome.status == nil, !outcome.records.contains(where: { $0.kind == .booted }), !outcome.timedOut else {
                return outcome.value
            }
            report("KVM did not work (\(outcome.value.problem ?? "no status")); using software emulation")
        }
        return try boot(qemu: qemu, kernel: kernel, commandLine: commandLine, modules: modules, kvm: false, onOutput: onOutput).value
    }

    /// The QEMU command line for one boot, every file named relative to the private folder.
    func arguments(commandLine: String, modules: [String], kvm: Bool, sharedRAM: Bool = false, firmware: String? = nil) -> [String] {
        var arguments = firmware.map { ["-bios", $0] } ?? []
        arguments += [
            "-kernel", "kernel",
            // The kernel's own ELF file as a module, so a panic can name functions.
            "-initrd", (["kernel-symbols"] + modules).map { "\($0) \($0)" }.joined(separator: ","),
            "-append", commandLine + " cpus=\(cpus)",
            "-m", "\(memory)M",
            "-smp", "\(cpus)",
            "-display", "none", "-no-reboot", "-nodefaults",
            // COM1 and COM3 stay silent: the program's streams use the faster debug consoles.
            "-serial", "null",
            "-serial", "file:log",
            "-serial", "null",
            "-chardev", "file,id=stdout,path=stdout",
            // Readback 0xA5 tells the kernel that the output rings are read (Serial.swift).
            "-device", "isa-debugcon,iobase=0x2e0,chardev=stdout\(sharedRAM ? ",readback=0xa5" : "")",
            "-chardev", "file,id=stderr,path=stderr",
            "-device", "isa-debugcon,iobase=0x2e4,chardev=stderr",
            "-chardev", "file,id=status,path=status",
            "-device", "isa-debugcon,iobase=0x2e8,chardev=status",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        ]
        if sharedRAM {
            arguments += ["-object", "memory-backend-file,id=ram,size=\(memory)M,mem-path=ram,share=on", "-machine", "memory-backend=ram"]
        }
        if disk != nil { arguments += Self.diskArguments(scratch: diskIsScratch) }
        if waitForDebugger { arguments += ["-s", "-S"] }
        if kvm {
            arguments.append("-enable-kvm")
        } else if cpus > 1 {
            arguments += ["-accel", "tcg,thread=multi"]
        }
        arguments += ["-cpu", Self.cpuModel]
        return arguments
    }

    private struct Boot {
        var value: Outcome
        var timedOut: Bool
        var status: Int32? { value.status }
        var records: [RunRecord] { value.records }
    }

    private func boot(qemu: URL, kernel: URL, commandLine: String, modules: [(URL, String)], kvm: Bool,
                      onOutput: @escaping @Sendable (Data, ConsoleStream) -> Void) throws -> Boot {
        let scratch = try ScratchFolder(in: scratchParent)
        defer { scratch.remove() }
        try scratch.link("kernel", to: kernel)
        try scratch.link("kernel-symbols", to: kernel)
        if let disk { try scratch.link("disk", to: disk) }
        for (url, name) in modules {
            precondition(!name.isEmpty && name.utf8.allSatisfy { $0 == UInt8(ascii: "-") || (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) },
                         "module names are short words: \(name)")
            try scratch.link(name, to: url)
        }
        for file in ["log", "status"] {
            guard FileManager.default.createFile(atPath: scratch.path(file), contents: nil) else {
                throw ToolError("cannot make \(scratch.path(file))")
            }
        }
        let output = try StreamingFIFO(path: scratch.path("stdout"))
        let errorOutput = try StreamingFIFO(path: scratch.path("stderr"))

        let collected = Collected(keepsOutput: collectsOutput)
        output.start { data in collected.append(data, .output); onOutput(data, .output) }
        errorOutput.start { data in collected.append(data, .error); onOutput(data, .error) }
        var sharedRAM: SharedRAM?
        if sharesRAM {
            sharedRAM = try SharedRAM(byteCount: memory << 20)
            try scratch.link("ram", to: URL(fileURLWithPath: sharedRAM!.path))
        }
        let mapRecords = LockedData()
        let onTrace = self.onTrace
        let input = sharedRAM.flatMap { ram in
            inputDescriptor.map { InputRingWriter(ram: ram, statusPath: scratch.path("status"), descriptor: $0) }
        }
        let rings = sharedRAM.map { ram in
            OutputRingReader(ram: ram, statusPath: scratch.path("status")) { data, ring in
                switch ring {
                case .output, .error:
                    let stream: ConsoleStream = ring == .output ? .output : .error
                    collected.append(data, stream)
                    // The terminal takes the modes the program set before what it wrote after.
                    input?.followTerminalModes()
                    onOutput(data, stream)
                case .memoryMaps: mapRecords.append(data)
                case .trace: onTrace?(data)
                }
            }
        }


        let qemuRun = try WatchedProcess(executable: qemu,
                                         arguments: arguments(commandLine: commandLine, modules: modules.map(\.1), kvm: kvm,
                                                              sharedRAM: sharedRAM != nil, firmware: QEMU.minimalFirmware(beside: qemu)),
                                         directory: scratch.url,
                                         leftovers: [sharedRAM?.path, scratch.url.path].compactMap { $0 } + leftovers)
        guard let channel = StatusChannel(path: scratch.path("status")) else { throw ToolError("cannot read \(scratch.path("status"))") }
        var statusRecords: [RunRecord] = []
        var runRecordsKept = 0
        let onStatusRecord = self.onStatusRecord
        let keep = { (record: RunRecord) in
            onStatusRecord?(record)
            if record.kind.comesWithEveryRun {
                guard runRecordsKept < Self.keptRunRecords else { return }
                runRecordsKept += 1
            }
            statusRecords.append(record)
        }
        // Whoever types at a terminal ends a run that reads it: no time-out then.
        let untimed = input != nil && isatty(inputDescriptor ?? -1) != 0
        let finished = waitForDebugger ? qemuRun.wait(timeout: nil) : waitWhileRunsEnd(qemuRun, channel: channel, untimed: untimed, keep)
        if !finished { qemuRun.stop() }
        let exit = qemuRun.terminationStatus
        output.finish()
        errorOutput.finish()
        rings?.finish()
        input?.finish()
        withExtendedLifetime(sharedRAM) {}

        let log = KernelLogFile.read(scratch.path("log"))
        channel.finish(keep)
        // The memory maps come through their ring where the rings are read: after the rest.
        let records = (channel.isDamaged ? [] : statusRecords) + (RunRecord.decode([UInt8](mapRecords.data)) ?? [])
        var outcome = Outcome(status: nil, log: log, output: collected.output, errorOutput: collected.errors, records: records,
                              problem: nil, qemuMessages: qemuRun.errorText, usedKVM: kvm)
        let booted = records.first?.kind == .booted
        let messages = qemuRun.errorText.split(separator: "\n").filter { !$0.contains("warning:") }.joined(separator: "; ")
        let said = messages.isEmpty ? "" : ": \(messages)"
        if !finished {
            outcome.problem = "Apus did not power off within \(Int(timeout)) second\(Int(timeout) == 1 ? "" : "s") of the boot or of a run's end; QEMU was stopped"
        } else if let status = Self.kernelStatus(fromExitCode: exit), booted {
            outcome.status = status
        } else if !booted {
            outcome.problem = "QEMU could not start the kernel (QEMU exited with \(exit))\(said)"
        } else if exit == 0 {
            outcome.problem = "the machine reset without reporting a status (a triple fault?)"
        } else {
            outcome.problem = "QEMU stopped with exit status \(exit), which the kernel does not use\(said)"
        }
        return Boot(value: outcome, timedOut: !finished)
    }

    /// Waits for QEMU to end while the kernel makes progress: true when it ended, false when
    /// `timeout` seconds passed with no new status record (each run of a `repeat` ends with
    /// one, so each run has the whole time-out) and no resumption after a Ctrl-Z; never
    /// false when `untimed`.
    private func waitWhileRunsEnd(_ qemuRun: WatchedProcess, channel: StatusChannel, untimed: Bool, _ keep: (RunRecord) -> Void) -> Bool {
        func progress() -> (Int, Int) {
            channel.readNew(keep)
            return (channel.bytesRead, Self.resumptions.value)
        }
        var seen = progress()
        var deadline = Date(timeIntervalSinceNow: timeout)
        while true {
            if qemuRun.wait(timeout: untimed ? 0.25 : min(0.25, max(0, deadline.timeIntervalSinceNow))) { return true }
            let now = progress()
            if now != seen {
                seen = now
                deadline = Date(timeIntervalSinceNow: timeout)
            } else if !untimed, deadline.timeIntervalSinceNow <= 0 {
                return false
            }
        }
    }
}

/// The program's output as it arrived, when the machine keeps it.
private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private let keepsOutput: Bool
    private var out = Data(), err = Data()

    init(keepsOutput: Bool) { self.keepsOutput = keepsOutput }

    func append(_ data: Data, _ stream: ConsoleStream) {
        guard keepsOutput else { return }
        lock.lock()
        defer { lock.unlock() }
        switch stream {
        case .output: out.append(data)
        case .error: err.append(data)
        }
    }

    var output: Data { lock.lock(); defer { lock.unlock() }; return out }
    var errors: Data { lock.lock(); defer { lock.unlock() }; return err }
}
