import KernelRuntime
import X86_64Support

/// How the kernel reports a run: one line in the kernel log for people, and one `RunRecord`
/// on the status channel for the host (`StatusPort`). Names a user chose go into the log
/// escaped (`LogText.escaped`), so that no name can pass for a line the kernel wrote.
enum RunReport {
    /// The kernel has started on `cpus` CPUs: its banner is out.
    static func booted(ramMiB: UInt64, freeFrames: Int, cpus: Int) {
        StatusPort.write(RunRecord(kind: .booted, first: Int64(ramMiB), second: Int64(freeFrames)))
        StatusPort.write(RunRecord(kind: .processors, first: Int64(cpus)))
        if Serial.usesOutputRings {
            StatusPort.write(RunRecord(kind: .outputRings, first: Int64(apus_output_rings_physical_address()),
                                       second: Int64(apus_output_ring_size())))
        }
    }

    /// Standard input streams through the input ring: where it is, for the host.
    static func inputRing() {
        StatusPort.write(RunRecord(kind: .inputRing, first: Int64(apus_input_ring_physical_address()),
                                   second: Int64(apus_input_ring_size())))
    }

    /// Run `run` (from 0) ended with `status`.
    static func exited(run: Int, status: Int64) {
        log("exit status \(status)")
        StatusPort.write(RunRecord(kind: .exited, run: UInt32(truncatingIfNeeded: run), first: status))
    }

    /// Run `run` of the program named `name` could not start.
    static func couldNotStart(_ name: [UInt8], run: Int, because reason: RunRecord.StartFailure) {
        log("cannot run \(LogText.escaped(name)): \(reason)")
        record(reason, run: run)
    }

    /// Run `run` of the program named `name` could not start, for `failure`.
    static func couldNotStart(_ name: [UInt8], run: Int, _ failure: LaunchFailure) {
        log("cannot run \(LogText.escaped(name)): \(failure)")
        record(reason(failure), run: run)
    }

    /// The command (the program's name and arguments) cannot start any program.
    static func commandRefused(_ failure: LaunchFailure) {
        log("run: cannot start the program: \(failure)")
        record(reason(failure), run: 0)
    }

    private static func record(_ reason: RunRecord.StartFailure, run: Int) {
        StatusPort.write(RunRecord(kind: .couldNotStart, detail: reason.rawValue, run: UInt32(truncatingIfNeeded: run)))
    }

    /// The boot itself cannot run a program (`what` is the kernel's own words, `reason` the
    /// host's).
    static func cannotRun(_ what: String, _ reason: RunRecord.StartFailure = .damagedBoot) {
        log("run: \(what)")
        StatusPort.write(RunRecord(kind: .couldNotStart, detail: reason.rawValue))
    }

    /// The page cache during run `run`: pages it read from the disk, lookups it served from
    /// memory.
    static func pageCache(run: Int, reads: Int, hits: Int) {
        log("page cache: \(reads) pages read from the disk, \(hits) lookups served from memory")
        StatusPort.write(RunRecord(kind: .pageCache, run: UInt32(truncatingIfNeeded: run), first: Int64(reads), second: Int64(hits)))
    }

    /// The kernel threads (kernel stacks) alive before the first run and after the last.
    static func kernelStacks(before: Int, after: Int) {
        log("kernel stacks in use: \(before) before, \(after) after (\(after - before) leaked)")
        StatusPort.write(RunRecord(kind: .kernelStacks, first: Int64(before), second: Int64(after)))
    }

    /// Where the kernel lock's counters and the clock stood when the runs began.
    nonisolated(unsafe) private static var start = (tsc: UInt64(0), waited: UInt64(0), acquisitions: UInt64(0))

    /// The runs begin: what ``kernelLock()`` reports is counted from here.
    static func startMeasuring() {
        start = (read_tsc(), totalLockWait, totalLockAcquisitions)
    }

    private static var totalLockWait: UInt64 { CPU.all.reduce(0) { $0 + $1.statistics.lockWaitTicks } }
    private static var totalLockAcquisitions: UInt64 { CPU.all.reduce(0) { $0 + $1.statistics.lockAcquisitions } }

    /// How long the CPUs waited for the kernel lock since ``startMeasuring()``, out of their
    /// time, and how often they took it.
    static func kernelLock() {
        let online = UInt64(CPU.online.count)
        let cpuTicks = (read_tsc() - start.tsc) * online
        let waited = totalLockWait - start.waited
        let acquisitions = totalLockAcquisitions - start.acquisitions
        let permille = cpuTicks == 0 ? 0 : waited * 1000 / cpuTicks
        log("kernel lock: \(online) CPUs took it \(acquisitions) times and waited \(permille / 10).\(permille % 10)% of their time for it (\(waited) of \(cpuTicks) TSC ticks); \(TLBShootdown.requests) TLB shootdowns, \(TLBShootdown.interrupts) IPIs")
        StatusPort.write(RunRecord(kind: .kernelLock, run: UInt32(min(acquisitions, UInt64(UInt32.max))), first: Int64(waited), second: Int64(cpuTicks)))
    }

    static func frames(before: Int, after: Int) {
        log("frames in use: \(before) before, \(after) after (\(after - before) leaked)")
        StatusPort.write(RunRecord(kind: .frames, first: Int64(before), second: Int64(after)))
    }

    /// The status-channel reason for a launch failure.
    static func reason(_ failure: LaunchFailure) -> RunRecord.StartFailure {
        switch failure {
        case .notAProgram: .notAProgram
        case .entryOutsideCode: .entryOutsideCode
        case .segmentOverlapsStack: .segmentOverlapsStack
        case .argumentsTooLarge: .argumentsTooLarge
        case .outOfMemory: .outOfMemory
        case .unreadable: .unreadable
        case .noProgramNamed, .nameTooLong: .damagedBoot
        }
    }
}
