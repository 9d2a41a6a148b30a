/// Posting a signal: making it pending, by the rules Linux applies at the moment a signal is
/// sent (`prepare_signal` in `kernel/signal.c`), before any thread sees it.
///
/// * **Stops and continues cancel each other.** Posting `SIGCONT` discards every pending
///   stop signal (`SIGSTOP`, `SIGTSTP`, `SIGTTIN`, `SIGTTOU`) and resumes a stopped process
///   at once, whatever the program does with `SIGCONT`; posting a stop signal discards a
///   pending `SIGCONT`. So the last of the two sent wins.
/// * **An ignored signal is discarded** (`SIG_IGN`, or `SIG_DFL` whose default is to
///   ignore): it would do nothing, and keeping it would only make a later `sigsuspend` wake
///   for nothing. Unless the receiving thread blocks it: the program may choose another
///   action before unblocking it, so it waits.
/// * **A signal is pending at most once** (``PendingSignals``).
/// * **Only `SIGCONT` and `SIGKILL` resume a stopped process** (`SIGKILL` so that it can
///   die). Any other signal stays pending until a `SIGCONT`: a stopped process sent `SIGTERM`
///   dies of it once continued, as on Linux, where no stopped thread "wants" a signal
///   (`wants_signal`) but `SIGKILL`.
///
/// The outcome tells the kernel what to do at once: resume the process if it is stopped,
/// and which thread to wake (one that does not block the signal) so that a blocking call
/// returns and the signal is delivered on its way back to user space.
public struct PostOutcome: Hashable, Sendable {
    /// True when the signal is now pending (it was not discarded).
    public var isPending: Bool
    /// True when a stopped process must run again (`SIGCONT`, `SIGKILL`).
    public var resumesProcess: Bool
    /// The thread to wake from a blocking call, `nil` when every thread blocks the signal.
    public var wake: ThreadID?

    public init(isPending: Bool, resumesProcess: Bool, wake: ThreadID?) {
        (self.isPending, self.resumesProcess, self.wake) = (isPending, resumesProcess, wake)
    }
}

extension SignalState {
    /// Posts `info.signal` to the whole process (`kill`, a terminal's `SIGINT`, `SIGCHLD`,
    /// `SIGPIPE`): any thread that does not block it may take it. The receiving thread whose
    /// mask decides whether an ignored signal is kept is the first one, the main thread
    /// while it runs, as on Linux.
    public mutating func post(_ info: SignalInfo) -> PostOutcome {
        let signal = info.signal
        let resumes = cancelOpposites(of: signal)
        let receiverBlocks = threads.first?.blocked.contains(signal) ?? false
        guard !action(for: signal).ignores(signal) || receiverBlocks else {
            return PostOutcome(isPending: false, resumesProcess: resumes, wake: nil)
        }
        sharedPending.add(info)
        let wake = threads.first { !$0.blocked.contains(signal) }?.thread
        return PostOutcome(isPending: true, resumesProcess: resumes, wake: wake)
    }

    /// Posts `info.signal` to `thread` alone (`tgkill`, `tkill`). Nothing happens when
    /// `thread` is not a thread of this process.
    public mutating func post(_ info: SignalInfo, toThread thread: ThreadID) -> PostOutcome {
        let signal = info.signal
        guard let index = index(of: thread) else { return PostOutcome(isPending: false, resumesProcess: false, wake: nil) }
        let resumes = cancelOpposites(of: signal)
        let blocked = threads[index].blocked.contains(signal)
        guard !action(for: signal).ignores(signal) || blocked else {
            return PostOutcome(isPending: false, resumesProcess: resumes, wake: nil)
        }
        threads[index].pending.add(info)
        return PostOutcome(isPending: true, resumesProcess: resumes, wake: blocked ? nil : thread)
    }

    /// Posts a fault `thread` caused (`SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGFPE`, `SIGTRAP`): the
    /// thread cannot go on without it being dealt with, so a program that blocks or ignores it
    /// gets it anyway: blocked, it is unblocked; ignored, its action becomes the default
    /// (Linux's `force_sig_info`). A handler, if any and not blocked, runs.
    public mutating func postFault(_ info: SignalInfo, toThread thread: ThreadID) -> PostOutcome {
        let signal = info.signal
        guard let index = index(of: thread) else { return PostOutcome(isPending: false, resumesProcess: false, wake: nil) }
        let blocked = threads[index].blocked.contains(signal)
        if blocked || action(for: signal).handler == .ignore {
            setAction(.default, for: signal)
            threads[index].blocked.remove(signal)
        }
        threads[index].pending.add(info)
        return PostOutcome(isPending: true, resumesProcess: false, wake: thread)
    }

    /// Posts the signal of `fault`, which `thread` caused, as ``postFault(_:toThread:)``, and
    /// keeps the fault's vector and error code, and a page fault's address, for the
    /// sigcontext of the frames built from now on.
    public mutating func postFault(_ fault: FaultSignal, toThread thread: ThreadID) -> PostOutcome {
        if let index = index(of: thread) {
            let context = fault.context, kept = threads[index].lastFault.address
            threads[index].lastFault = SignalFrame.Fault(vector: context.vector, errorCode: context.errorCode,
                                                         address: context.vector == FaultSignal.pageFault ? context.address : kept)
        }
        return postFault(fault.info, toThread: thread)
    }

    /// Applies the stop/continue rule for `signal` to every pending set; true when the
    /// signal resumes a stopped process.
    private mutating func cancelOpposites(of signal: Signal) -> Bool {
        if signal == .continue {
            discardPending(.stops)
            return true
        }
        if signal.isStop { discardPending(SignalSet([.continue])) }
        return signal == .kill
    }
}
