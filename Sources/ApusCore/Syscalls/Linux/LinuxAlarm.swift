/// Linux's `alarm`: `SIGALRM` to the process once a number of seconds have passed (ABI.md §7).
///
/// A process has one alarm clock (Linux's `ITIMER_REAL` without an interval). `alarm(n)`
/// sets it to ring `n` seconds from now on the monotonic clock, `alarm(0)` stops it, and
/// either answers how many seconds the alarm it replaced had left: rounded to the nearest
/// second, and never 0 for an alarm that was still to ring (Linux's `alarm_setitimer`).
/// When it rings, the kernel posts `SIGALRM` to the process, which ends it unless the program
/// handles or ignores the signal, and the alarm is stopped.
///
/// The alarm belongs to the process's state: it dies with the process, `fork`'s child starts
/// with none, and `execve` keeps it, as on Linux. The kernel keeps no alarm of its own: it
/// looks at the processes' alarms at its ticks while one is set (AlarmClock.swift), which is
/// also why threads that wait while an alarm is set are not deadlocked (``DeadlockRule``).
public struct LinuxAlarm: Hashable, Sendable {
    /// When the alarm rings on the monotonic clock (nanoseconds); `nil`: not set.
    public private(set) var deadline: UInt64?

    public init() {}

    /// Whether the alarm is set and has yet to ring.
    public var isSet: Bool { deadline != nil }

    /// `alarm(seconds)` at `now`: sets the alarm (stops it for 0); the seconds the alarm it
    /// replaced had left.
    public mutating func set(seconds: UInt32, at now: UInt64) -> UInt32 {
        let left = secondsLeft(at: now)
        deadline = seconds == 0 ? nil : now.addingClamped(UInt64(seconds) * LinuxSyscalls.nanosecondsPerSecond)
        return left
    }

    /// The seconds the alarm has left at `now`, rounded to the nearest second but at least 1
    /// while it is set; 0 when it is not. As a C `unsigned int`.
    public func secondsLeft(at now: UInt64) -> UInt32 {
        guard let deadline, deadline > now else { return 0 }
        let left = deadline - now, second = LinuxSyscalls.nanosecondsPerSecond
        var seconds = left / second
        if seconds == 0 || left % second >= second / 2 { seconds += 1 }
        return UInt32(truncatingIfNeeded: seconds)
    }

    /// At `now`: true when the alarm rings (it is then stopped), false when it is not set or
    /// its time has not come.
    public mutating func ring(at now: UInt64) -> Bool {
        guard let deadline, deadline <= now else { return false }
        self.deadline = nil
        return true
    }
}

extension LinuxSyscalls {
    /// `alarm(seconds)`: the process's alarm set (stopped for 0); the kernel then looks at
    /// the alarms again (``LinuxSignalRequest/alarmChanged(secondsLeft:)``).
    static func serveAlarm<RAM, P: Pager>(_ a: SyscallArguments, in process: inout UserProcess<RAM, P>,
                                          machine: LinuxMachine) -> SyscallOutcome<RAM> {
        let left = process.linux.alarm.set(seconds: UInt32(truncatingIfNeeded: a[0]), at: machine.monotonicNanoseconds())
        return .signal(.alarmChanged(secondsLeft: Int64(left)))
    }
}
