import X86_64Support

/// Something outside the threads that can make a waiting thread's condition true: console
/// input arriving from the host, a disk finishing a request. Its condition is a
/// ``ConditionSource/outside`` one, so that threads waiting on it are never taken for
/// deadlocked (``DeadlockRule``).
///
/// A source that raises no interrupt is looked at by the run: at every timer tick (every
/// 4 ms, Timer.swift), and whenever every thread left waits and one of them waits for the
/// outside; then the CPU idles (`sti; hlt`) until the next interrupt unless a waiter could
/// go on already. A new source (a driver) plugs in by conforming and being watched
/// (``ProcessRun/watch(_:)``), not by changing the run.
protocol OutsideWakeSource: AnyObject {
    /// Where its waiters wait.
    var condition: ConditionVariable { get }
    /// Whether a thread waiting on ``condition`` could go on now.
    var waiterCanGoOn: Bool { get }
}

extension ProcessRun {
    /// The run looks at `source` from now on.
    func watch(_ source: any OutsideWakeSource) {
        outsideSources.append(source)
        Self.pollsOutside = true
    }

    /// The run no longer looks at `source` (a wait that ended).
    func unwatch(_ source: any OutsideWakeSource) {
        outsideSources.removeAll { $0 === source }
    }

    /// At a tick, or after idling: wakes the waiters of every source whose waiters could go
    /// on, passes Ctrl-C on to the foreground group (TerminalInterrupts.swift) and rings the
    /// alarms that are due (AlarmClock.swift).
    func pollOutside() {
        for source in outsideSources where source.waiterCanGoOn { scheduler.broadcast(source.condition) }
        pollInterrupts()
        ringAlarms()
    }

    /// Every thread left waits, and one of them for the outside: the CPU idles until the
    /// next interrupt (unless a waiter could go on already), and the waiters that can go on
    /// are woken.
    func idleForOutside() {
        if !outsideSources.contains(where: { $0.waiterCanGoOn }) { scheduler.idle() }
        pollOutside()
    }
}
