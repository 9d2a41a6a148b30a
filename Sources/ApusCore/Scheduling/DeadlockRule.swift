/// When waiting threads can never be woken: the rule the kernel applies whenever no thread
/// is ready to run.
///
/// A thread that waits is woken only when its condition may have become true, and a
/// condition becomes true only through whoever can bring it about (``ConditionSource``).
/// So, looking at every thread of the machine at once:
///
/// * some thread is ready: it may yet make a condition true; nothing to decide
///   (``Verdict/runs``);
/// * no thread is ready and none waits: every thread has ended (``Verdict/over``);
/// * every thread left waits, and at least one waits for a condition that something outside
///   the threads can bring about (console input that may still arrive, a disk request in
///   flight): the outside may wake it, and that thread may wake the rest; the CPU idles
///   until the outside speaks (``Verdict/waitsForOutside``);
/// * every thread left waits for a condition only a thread can bring about: none ever
///   will. That is a deadlock (``Verdict/deadlock``), and the kernel ends the processes of
///   the waiting threads instead of idling forever.
///
/// The rule is a pure function of the threads' states: the kernel calls it with its
/// scheduler's threads, a host test with any states it likes. A new source of wake-ups (a
/// driver) plugs in by marking its conditions ``ConditionSource/outside``, not by changing
/// the rule.
public enum DeadlockRule {
    /// What the threads' states say.
    public enum Verdict: Sendable, Hashable {
        /// Some thread is ready to run.
        case runs
        /// No thread is ready or waiting: they have all ended (or there are none).
        case over
        /// Every thread left waits, and something outside the threads may still wake one.
        case waitsForOutside
        /// Every thread left waits for what only a thread could bring about: none ever will.
        case deadlock
    }

    /// The verdict on threads in `states`.
    public static func verdict<States: Sequence<ThreadState>>(_ states: States) -> Verdict {
        var waits = false, outside = false
        for state in states {
            switch state {
            case .ready: return .runs
            case .waiting(let queue):
                waits = true
                if queue.source == .outside { outside = true }
            case .ended: continue
            }
        }
        guard waits else { return .over }
        return outside ? .waitsForOutside : .deadlock
    }

    /// The verdict on threads in `states` when `alarmIsSet`: a process's alarm clock
    /// (`alarm`) is a source outside the threads too, since the signal it posts may end a
    /// thread's wait, so threads that wait while one is set are not deadlocked.
    public static func verdict<States: Sequence<ThreadState>>(_ states: States, alarmIsSet: Bool) -> Verdict {
        let verdict = verdict(states)
        return verdict == .deadlock && alarmIsSet ? .waitsForOutside : verdict
    }
}
