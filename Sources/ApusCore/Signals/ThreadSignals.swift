/// What each thread has of its own in the signal state of its process
/// (``SignalState`` holds one for every thread).
///
/// * **blocked**: the signals this thread will not take for now (`rt_sigprocmask`). A
///   blocked signal stays pending until it is unblocked; it is not lost. `SIGKILL` and
///   `SIGSTOP` are never in it.
/// * **pending**: signals meant for this thread alone: a fault it caused (`SIGSEGV`), a
///   `tgkill`. Signals for the whole process wait in ``SignalState/sharedPending``.
/// * **mask before suspend**: while the thread waits in `rt_sigsuspend`, its blocked mask
///   is the call's temporary one and this holds the mask to go back to: into the signal
///   frame when a handler runs (so `rt_sigreturn` restores it), or at once when none does.
/// * **alternate stack**: where `SA_ONSTACK` handlers run (``AlternateStack``, `sigaltstack`).
/// * **last fault**: the vector, error code and address of the thread's last fault, which
///   every signal frame's sigcontext reports (`trapno`, `err`, `cr2`), as Linux keeps them.
public struct ThreadSignals: Hashable, Sendable {
    public let thread: ThreadID
    public internal(set) var blocked: SignalSet
    public internal(set) var pending = PendingSignals()
    public internal(set) var maskBeforeSuspend: SignalSet?
    public internal(set) var alternateStack = AlternateStack.disabled
    public internal(set) var lastFault = SignalFrame.Fault.none

    public init(thread: ThreadID, blocked: SignalSet = .empty) {
        self.thread = thread
        self.blocked = blocked.blockable
    }
}
