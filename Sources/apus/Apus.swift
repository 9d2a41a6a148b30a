import ApusTool
import ArgumentParser
import Foundation

@main
struct Apus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apus",
        abstract: "Build, boot and test Apus, an x86-64 teaching kernel in Embedded Swift.",
        subcommands: [Boot.self])
}

/// Writes a line to standard error (progress and problems, never a program's output).
func note(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Builds the kernel, showing what the build is doing on one line of standard error.
func buildKernel() throws -> URL {
    let interactive = isatty(STDERR_FILENO) != 0
    note("Building the kernel…")
    let image = try KernelBuild().build { line in
        guard line.hasPrefix("["), interactive else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K  \(line.prefix(100))".utf8))
    }
    if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    return image
}

struct Boot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Boot Apus, run its hardware checks, and exit 0 only if all pass.",
        discussion: "Prints the kernel's banner and one line per check. Exit status: 0 when every check passes, 1 when one fails, 2 on a kernel panic, 3 when the kernel could not run.")

    @Option(name: .customLong("kernel-option"), help: ArgumentHelp("Add a word to the kernel command line (for tests: panic-test).", visibility: .hidden))
    var kernelOptions: [String] = []

    @Option(help: "How QEMU runs the kernel: auto (KVM unless this machine is itself a VM), kvm, or software.")
    var acceleration: Machine.Acceleration = .automatic

    func run() throws {
        let image = try buildKernel()
        var machine = Machine()
        machine.acceleration = acceleration
        let outcome = try machine.run(kernel: image, commandLine: (["checks"] + kernelOptions).joined(separator: " "), report: note)
        print(outcome.log, terminator: outcome.log.hasSuffix("\n") ? "" : "\n")
        guard let status = outcome.status else {
            note("apus: \(outcome.problem ?? "the kernel stopped without a status")")
            throw ExitCode(3)
        }
        if status != 0 { throw ExitCode(status) }
    }
}

extension Machine.Acceleration: ExpressibleByArgument {}
