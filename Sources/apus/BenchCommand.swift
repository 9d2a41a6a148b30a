import ApusTool
import ArgumentParser
import Foundation

/// `apus bench`: what the kernel's common operations cost, alone or beside Linux's.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the kernel's common operations in QEMU, alone or beside Linux.",
        discussion: """
            Runs the benchmark program (Userland/programs/bench.c) on Apus, once with the lazy pager and \
            once with the eager one per round, and prints a Markdown table of each operation's median with \
            its fastest and slowest samples. With --linux, the same source is built against Linux's system \
            calls, packed as the /init of an initramfs, and booted with the given Linux kernel in the same \
            QEMU machine (CPU model, memory, software emulation), alternating with Apus; the table then \
            shows Apus/Linux ratios, and the speed targets follow it. With a static busybox (--busybox, by \
            default /usr/bin/busybox from Debian's busybox-static), the program's Linux build also runs on Apus, \
            as a Linux program, to time fork + execve + wait of busybox and a busybox shell loop of 1,000 \
            iterations, and on Linux the same, busybox in its initramfs. Times come from the time-stamp counter, \
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

    @Option(help: "A static x86-64 Linux busybox for busybox's rows (default: /usr/bin/busybox, when there).")
    var busybox: String?

    func run() throws {
        try CPUCount(cpus: cpus).validate()
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
        let busyboxFile = busybox.map { URL(fileURLWithPath: $0) } ?? BenchRun.hostBusybox
        if let busyboxFile, !FileManager.default.isExecutableFile(atPath: busyboxFile.path) {
            note("apus: --busybox \(busyboxFile.path): no such program (a static x86-64 Linux busybox; on Debian: apt-get install busybox-static)")
            throw ExitCode(2)
        }
        if busyboxFile == nil { note("apus bench: no /usr/bin/busybox (apt-get install busybox-static): no busybox rows") }
        let kernel = try buildKernel()
        let build = UserlandBuild()
        let programs = try build.build(.only([BenchRun.program])) { note("  \($0)") }
        let linuxProgram: Data?
        do {
            linuxProgram = linuxKernel != nil || busyboxFile != nil ? try build.buildForLinux(program: BenchRun.program) : nil
        } catch let error as ToolError {
            note("apus: \(error)")
            throw ExitCode(125)
        }
        var bench = BenchRun()
        bench.cpus = cpus
        bench.short = short
        bench.rounds = rounds
        bench.acceleration = acceleration
        bench.linuxKernel = linuxKernel
        bench.busybox = busyboxFile
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
            print("Targets, from the medians:")
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
