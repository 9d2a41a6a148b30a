import X86_64Support

/// Where Linux threads sleep (`nanosleep`, `clock_nanosleep`): each sleeper's deadline on the
/// monotonic clock (``LinuxPersonality/monotonicNanoseconds()``). Time passing is a wake
/// source outside the threads: the run looks at it at every timer tick (4 ms) once a thread
/// has slept, and wakes the sleepers when a deadline has passed; each looks at its own.
final class SleepTimer: OutsideWakeSource {
    let condition = ConditionVariable("a sleep's time is up", source: .outside)
    /// The deadlines of the threads sleeping now, room for every thread from the start.
    private var deadlines: [UInt64] = []

    init() {
        deadlines.reserveCapacity(ProcessTable<ProcessControlBlock>.threadLimit)
    }

    var waiterCanGoOn: Bool {
        let now = LinuxPersonality.monotonicNanoseconds()
        return deadlines.contains { $0 <= now }
    }

    func add(_ deadline: UInt64) { deadlines.append(deadline) }

    func remove(_ deadline: UInt64) {
        if let index = deadlines.firstIndex(of: deadline) { deadlines.remove(at: index) }
    }
}

extension ProcessRun {
    /// `nanosleep` by `thread` of `process` until `deadline`: 0 once it has passed; −EINTR
    /// when a signal is to be delivered first, with the time left stored at `remaining`
    /// (unless 0); `nil` when the process ended meanwhile.
    func sleep(until deadline: UInt64, remaining: VirtualAddress, thread: ThreadControlBlock, process: ProcessControlBlock) -> Int64? {
        if !outsideSources.contains(where: { $0 === sleepTimer }) { watch(sleepTimer) }
        sleepTimer.add(deadline)
        defer { sleepTimer.remove(deadline) }
        while LinuxPersonality.monotonicNanoseconds() < deadline {
            switch waitInterruptibly(on: sleepTimer.condition, thread: thread, process: process) {
            case .ended:
                return nil
            case .woken:
                continue
            case .interrupted:
                let now = LinuxPersonality.monotonicNanoseconds()
                if remaining.raw != 0 {
                    let left = LinuxStructures.timespec(nanoseconds: deadline > now ? deadline - now : 0)
                    if (try? process.core.mm.copyOut(left, to: remaining)) == nil { return LinuxErrno.fault.syscallReturnValue }
                }
                return LinuxErrno.interrupted.syscallReturnValue
            }
        }
        return 0
    }
}
