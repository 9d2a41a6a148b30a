import X86_64Support

/// Where the processes' alarms ring (`alarm`; ApusCore's LinuxAlarm.swift holds the rules).
///
/// Each process keeps its own alarm in its state, so an alarm dies with its process and
/// holds nothing of it. The kernel only remembers the earliest time any alarm rings: while
/// one is set, the clock is a source outside the threads (OutsideWakeSource.swift), so the
/// run looks at it at every tick (4 ms) and idles for it rather than call the threads
/// deadlocked. When the earliest time has passed, every process whose alarm is due gets
/// `SIGALRM` (``ProcessRun/post(_:to:thread:)``), and the earliest time is found again.
final class AlarmClock: OutsideWakeSource {
    /// Nobody waits here: a ringing alarm posts a signal, which ends the waits it should.
    let condition = ConditionVariable("an alarm rings", source: .outside)
    /// When the earliest alarm of a living process rings (monotonic nanoseconds); `nil`: none set.
    var earliest: UInt64?

    var waiterCanGoOn: Bool {
        earliest.map { $0 <= LinuxPersonality.monotonicNanoseconds() } ?? false
    }
}

extension ProcessRun {
    /// The processes' alarms changed (`alarm`, a process's end): the clock finds the earliest
    /// again, and is watched while there is one.
    func alarmsChanged() {
        var earliest: UInt64?
        for entry in table.entries where entry.process.exitStatus == nil {
            if let deadline = entry.process.core.linux.alarm.deadline { earliest = min(earliest ?? deadline, deadline) }
        }
        alarmClock.earliest = earliest
        let watched = outsideSources.contains { $0 === alarmClock }
        if earliest != nil, !watched { watch(alarmClock) }
        if earliest == nil, watched { unwatch(alarmClock) }
    }

    /// Whether a living process has an alarm set.
    var alarmIsSet: Bool {
        table.entries.contains { $0.process.exitStatus == nil && $0.process.core.linux.alarm.isSet }
    }

    /// At a tick or after idling: `SIGALRM` to every process whose alarm is due.
    func ringAlarms() {
        guard alarmClock.waiterCanGoOn else { return }
        let now = LinuxPersonality.monotonicNanoseconds()
        // A KeOS program (after `execve`) that the signal ends leaves the table.
        forEachProcessWhilePosting { process in
            guard process.exitStatus == nil, process.core.linux.alarm.ring(at: now) else { return }
            post(.fromKernel(.alarm), to: process)
        }
        alarmsChanged()
    }
}
