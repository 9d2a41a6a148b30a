import ApusTool
import ArgumentParser

/// `--cpus N`: the CPUs of the machine (ABI.md §8: 1 to 16; by default this host's cores, at
/// most 4). Under software emulation QEMU runs each on a host thread of its own.
struct CPUCount: ParsableArguments {
    @Option(help: "CPUs of the machine, 1 to \(Machine.maximumCPUs): threads and processes run on them at once (default: this host's cores, at most 4).")
    var cpus = Machine.defaultCPUs

    init() {}

    init(cpus: Int) { self.cpus = cpus }

    /// A count outside 1…16 is a wrong command line (exit status 2).
    func validate() throws {
        guard (1...Machine.maximumCPUs).contains(cpus) else {
            note("apus: --cpus \(cpus): a machine has 1 to \(Machine.maximumCPUs) CPUs")
            throw ExitCode(2)
        }
    }
}
