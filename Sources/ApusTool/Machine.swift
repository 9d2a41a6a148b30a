import ApusCore
import Foundation

/// One boot of Apus in QEMU, from start to power-off.
///
/// The machine: an x86-64 PC with `memory` MiB, a CPU model that offers NX, RDRAND, SMEP and
/// SMAP, COM1 for the program's console, COM2 for the kernel log, and QEMU's `isa-debug-exit`
/// device through which the kernel reports its status. With ``Acceleration/automatic`` it uses
/// KVM when `/dev/kvm` works and the host is not itself a virtual machine (nested KVM is
/// slower than software emulation for Apus), and falls back to software emulation when KVM
/// fails to start; a run that outlives `timeout` is stopped and reported, never left hanging.
public struct Machine: Sendable {
    /// How a run ended.
    public struct Outcome: Sendable {
        /// The status the kernel reported (0 is success), or `nil` when it stopped without
        /// reporting one (a reset or a time-out).
        public var status: Int32?
        /// Everything the kernel wrote to its log.
        public var log: String
        /// Everything written to standard output (COM1).
        public var output: Data
        /// Everything written to standard error (COM3).
        public var errorOutput: Data
        /// Standard output as text.
        public var console: String { String(decoding: output, as: UTF8.self) }
        /// A one-line explanation when `status` is `nil`.
        public var problem: String?
        /// Whether KVM was used.
        public var usedKVM: Bool

        /// The kernel log's lines.
        public var logLines: [String] { log.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
    }

    /// Kernel statuses (PowerOff.swift, Panic.swift).
    public static let statusChecksFailed: Int32 = 1
    public static let statusPanic: Int32 = 2

    /// How QEMU runs the guest's instructions.
    public enum Acceleration: String, Sendable, CaseIterable {
        /// KVM where it works and is not nested, else software emulation.
        case automatic = "auto"
        /// KVM when `/dev/kvm` works, nested or not.
        case kvm
        /// Software emulation (TCG) always.
        case software
    }

    public var memory = 512
    public var timeout: TimeInterval = 120
    /// Start with the CPU stopped, waiting for gdb on `localhost:1234` (QEMU's `-s -S`);
    /// no time-out then.
    public var waitForDebugger = false
    public var acceleration = Acceleration.automatic

    public init() {}

    /// Boots `kernel` with `commandLine` and `modules` (files with the names the kernel looks
    /// them up by), passes what the program writes to `onOutput` as it arrives, and waits for
    /// the kernel to power off.
    public func run(kernel: URL, commandLine: String, modules: [(URL, String)] = [],
                    onOutput: @escaping @Sendable (Data, ConsoleStream) -> Void = { _, _ in },
                    report: (String) -> Void = { _ in }) throws -> Outcome {
        let qemu = try QEMU.locate(report: report)
        let useKVM = switch acceleration {
        case .automatic: QEMU.kvmWorks && !QEMU.hostIsVirtual
        case .kvm: QEMU.kvmWorks
        case .software: false
        }
        if useKVM {
            let outcome = try boot(qemu: qemu, kernel: kernel, commandLine: commandLine, modules: modules, kvm: true, onOutput: onOutput)
            if let problem = outcome.problem, problem.hasPrefix("QEMU could not start") {
                report("KVM did not work (\(problem)); using software emulation")
            } else {
                return outcome
            }
        }
        return try boot(qemu: qemu, kernel: kernel, commandLine: commandLine, modules: modules, kvm: false, onOutput: onOutput)
    }

    private func boot(qemu: URL, kernel: URL, commandLine: String, modules: [(URL, String)], kvm: Bool,
                      onOutput: @escaping @Sendable (Data, ConsoleStream) -> Void) throws -> Outcome {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("apus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let logFile = scratch.appendingPathComponent("kernel.log")
        let consoleFile = scratch.appendingPathComponent("stdout")
        let errorFile = scratch.appendingPathComponent("stderr")
        for file in [logFile, consoleFile, errorFile] { FileManager.default.createFile(atPath: file.path, contents: nil) }

        let process = Process()
        process.executableURL = qemu
        var arguments = [
            "-kernel", kernel.path,
            // The kernel's own ELF file as a module, so a panic can name functions.
            "-initrd", ([(kernel, "kernel-symbols")] + modules).map { "\($0.0.path) \($0.1)" }.joined(separator: ","),
            "-append", commandLine,
            "-m", "\(memory)M",
            "-display", "none", "-no-reboot", "-nodefaults",
            "-serial", "file:\(consoleFile.path)",
            "-serial", "file:\(logFile.path)",
            "-serial", "file:\(errorFile.path)",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        ]
        if waitForDebugger { arguments += ["-s", "-S"] }
        if kvm {
            arguments += ["-enable-kvm", "-cpu", "qemu64,+nx,+rdrand,+smep,+smap"]
        } else {
            arguments += ["-cpu", "qemu64,+nx,+rdrand,+smep,+smap"]
        }
        process.arguments = arguments
        let errors = Foundation.Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()

        // Pass on the program's output as it appears in the serial port files.
        let output = try FileHandle(forReadingFrom: consoleFile)
        let errorOutput = try FileHandle(forReadingFrom: errorFile)
        var collected = Data(), collectedErrors = Data()
        func drain() {
            let out = output.availableData, err = errorOutput.availableData
            if !out.isEmpty { collected.append(out); onOutput(out, .output) }
            if !err.isEmpty { collectedErrors.append(err); onOutput(err, .error) }
        }
        let deadline = waitForDebugger ? Date.distantFuture : Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline {
            drain()
            Thread.sleep(forTimeInterval: 0.01)
        }
        var timedOut = false
        if process.isRunning {
            timedOut = true
            process.terminate()
        }
        process.waitUntilExit()
        drain()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        var outcome = Outcome(status: nil, log: log, output: collected, errorOutput: collectedErrors, problem: nil, usedKVM: kvm)
        let exit = process.terminationStatus
        if timedOut {
            outcome.problem = "Apus did not power off within \(Int(timeout)) seconds; QEMU was stopped"
        } else if process.terminationReason == .exit && exit % 2 == 1 {
            // isa-debug-exit: QEMU exits with status * 2 + 1.
            outcome.status = (exit - 1) / 2
        } else if exit == 0 {
            outcome.problem = "the machine reset without reporting a status (a triple fault?)"
        } else {
            let detail = stderr.split(separator: "\n").filter { !$0.contains("warning:") }.joined(separator: "; ")
            outcome.problem = "QEMU could not start (exit \(exit)): \(detail.isEmpty ? stderr : detail)"
        }
        return outcome
    }
}
