import ApusTool
import ArgumentParser
import Foundation

/// `apus boot`: the kernel alone, running its hardware checks.
struct Boot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Boot Apus, run its hardware checks, and exit 0 only if all pass.",
        discussion: """
            Prints the kernel's banner and one line per check. The machine gets a scratch disk of 1 MiB made \
            for the boot, which the disk checks read and write; afterwards the blocks the kernel wrote are \
            checked on it. Exit status: 0 when every check passes, 1 when one fails, 2 on a kernel panic, 3 \
            when the kernel could not run.

            Examples:
              apus boot                          the checks, with KVM where it helps
              apus boot --acceleration software  under software emulation, as tests run
              apus boot --cpus 4                 four CPUs: the kernel lists those it started
            """)

    @Option(name: .customLong("kernel-option"), help: ArgumentHelp("Add a word to the kernel command line (for tests: panic-test).", visibility: .hidden))
    var kernelOptions: [String] = []

    @Option(help: "How QEMU runs the kernel: auto (KVM unless this machine is itself a VM), kvm, or software.")
    var acceleration: Machine.Acceleration = .automatic

    @OptionGroup var processors: CPUCount

    func run() throws {
        try processors.validate()
        let image = try buildKernel()
        let disk = try ScratchDisk.make()
        defer { disk.remove() }
        var machine = Machine()
        machine.acceleration = acceleration
        machine.cpus = processors.cpus
        machine.disk = disk.url
        let outcome: Machine.Outcome
        do {
            outcome = try machine.run(kernel: image, commandLine: (["checks", disk.commandLineOption] + kernelOptions).joined(separator: " "),
                                      report: note)
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
        let problems = try disk.problemsAfterChecks()
        for problem in problems { print("disk image: \(problem)") }
        guard problems.isEmpty else { throw ExitCode(Machine.statusChecksFailed) }
        print("disk image: the blocks the kernel wrote are on the scratch disk")
    }
}
