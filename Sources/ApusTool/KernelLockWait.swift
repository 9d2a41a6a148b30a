/// How long a run's CPUs waited for the kernel lock (the one lock every CPU takes to run
/// the kernel on shared state), as the kernel measured it with the time-stamp counter.
public struct KernelLockWait: Sendable, Equatable {
    /// How often the CPUs took the lock.
    public var acquisitions: Int
    /// The ticks they spun for it, all CPUs together.
    public var waitedTicks: Int64
    /// The ticks the CPUs were up during the runs (the runs' time times the CPUs).
    public var cpuTicks: Int64

    public init(acquisitions: Int, waitedTicks: Int64, cpuTicks: Int64) {
        self.acquisitions = acquisitions
        self.waitedTicks = waitedTicks
        self.cpuTicks = cpuTicks
    }

    /// The share of the CPUs' time spent waiting, in percent.
    public var percentOfCPUTime: Double { cpuTicks > 0 ? Double(waitedTicks) * 100 / Double(cpuTicks) : 0 }

    /// The wait with the median share of the CPUs' time among `waits`.
    public static func median(_ waits: [KernelLockWait]) -> KernelLockWait? {
        let sorted = waits.sorted { $0.percentOfCPUTime < $1.percentOfCPUTime }
        return sorted.isEmpty ? nil : sorted[sorted.count / 2]
    }

    /// One line for `--stats`.
    public var summary: String {
        let percent = (percentOfCPUTime * 100).rounded() / 100
        return "the CPUs waited for the kernel lock \(percent)% of their time (\(waitedTicks) of \(cpuTicks) time-stamp counter ticks, \(acquisitions) acquisitions)"
    }
}
