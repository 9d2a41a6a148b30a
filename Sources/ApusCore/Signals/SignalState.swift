/// The signal state of one process: the actions its program chose, and for each of its
/// threads the blocked mask and the pending signals.
///
/// The rules of Linux signals live here; the kernel keeps only the mechanism (copying a
/// frame to the user stack, loading registers, stopping and waking threads). In the order a
/// signal meets them:
///
/// 1. **Actions** (`rt_sigaction`, ``changeAction(_:to:)``) belong to the process: every
///    thread shares them. `SIGKILL` and `SIGSTOP` keep theirs.
/// 2. **Posting** (``post(_:)`` for the process, ``post(_:toThread:)`` for one thread,
///    ``postFault(_:toThread:)`` for a fault) makes a signal pending, or discards it when
///    the program ignores it; `SIGCONT` and the stop signals cancel each other
///    (`SignalPosting.swift`).
/// 3. **Masks** (`rt_sigprocmask`, ``changeMask(of:how:set:)``, and `rt_sigsuspend`,
///    ``beginSuspend(_:mask:)``) belong to each thread and hold signals back.
/// 4. **Delivery** (``nextDelivery(for:)``, `SignalDelivery.swift`), when the thread is about
///    to return to user space, takes a pending unblocked signal and says what to do.
///
/// Across a process's life: `fork` copies the actions and the forking thread's mask and
/// alternate stack, with nothing pending (``forked(from:child:)``); `execve` resets handlers to
/// the default but keeps what is ignored, the mask and the pending signals, and forgets the
/// alternate stack (``resetForExecve(keeping:)``).
public struct SignalState: Hashable, Sendable {
    /// The action of signal `n` at index `n - 1`.
    private var actions = [SignalAction](repeating: .default, count: Signal.numbers.count)
    /// Signals posted to the whole process, for whichever thread takes them first.
    public internal(set) var sharedPending = PendingSignals()
    /// Each thread's own state, the main thread first.
    public internal(set) var threads: [ThreadSignals]

    /// The state of a new process whose only thread is `mainThread`: every action the
    /// default, nothing blocked, nothing pending.
    public init(mainThread: ThreadID) {
        threads = [ThreadSignals(thread: mainThread)]
    }

    // MARK: Actions

    /// The action the program chose for `signal`.
    public func action(for signal: Signal) -> SignalAction { actions[signal.number - 1] }

    /// `rt_sigaction(signum, act, oldact)`: returns the action of signal `number` and, when
    /// `new` is given, replaces it. Errors, which change nothing: a number outside 1…64, or a
    /// new action for `SIGKILL` or `SIGSTOP` (even `SIG_DFL`), is
    /// ``KernelError/invalidArgument``. An action that ignores the signal discards it where it
    /// is pending, in every thread (POSIX).
    public mutating func changeAction(_ number: Int64, to new: SignalAction?) throws(KernelError) -> SignalAction {
        let signal = try Signal.decoded(number)
        let old = action(for: signal)
        guard let new else { return old }
        guard signal.isCatchable else { throw .invalidArgument }
        var stored = new
        stored.mask = new.mask.blockable
        actions[signal.number - 1] = stored
        if stored.ignores(signal) { discardPending(SignalSet([signal])) }
        return old
    }

    mutating func setAction(_ action: SignalAction, for signal: Signal) { actions[signal.number - 1] = action }

    // MARK: Threads

    /// The state of `thread`, or `nil` when it is not a thread of this process.
    public func signals(of thread: ThreadID) -> ThreadSignals? { threads.first { $0.thread == thread } }

    func index(of thread: ThreadID) -> Int? { threads.firstIndex { $0.thread == thread } }

    /// Adds a thread the program created from `creator`: it starts with its creator's mask and
    /// nothing pending (Linux's `clone` of a thread).
    public mutating func addThread(_ thread: ThreadID, createdBy creator: ThreadID) {
        guard index(of: thread) == nil else { return }
        threads.append(ThreadSignals(thread: thread, blocked: signals(of: creator)?.blocked ?? .empty))
    }

    /// Forgets an ended thread; what was pending for it alone is lost with it.
    public mutating func removeThread(_ thread: ThreadID) {
        threads.removeAll { $0.thread == thread }
    }

    /// The state of the child that `fork` (or `clone` with `SIGCHLD`) makes when `caller`
    /// forks: the same actions, the caller's blocked mask and alternate stack, one thread
    /// `child`, nothing pending.
    public func forked(from caller: ThreadID, child: ThreadID) -> SignalState {
        var state = SignalState(mainThread: child)
        state.actions = actions
        state.threads[0].blocked = signals(of: caller)?.blocked ?? .empty
        state.threads[0].alternateStack = signals(of: caller)?.alternateStack ?? .disabled
        return state
    }

    /// What `execve` leaves, called once `thread` is the only thread left: every handler back
    /// to the default, ignored signals still ignored, the mask and every pending signal kept,
    /// no alternate stack.
    public mutating func resetForExecve(keeping thread: ThreadID) {
        threads.removeAll { $0.thread != thread }
        for index in threads.indices { threads[index].alternateStack = .disabled }
        for index in actions.indices { actions[index] = actions[index].afterExec }
    }

    // MARK: Masks

    /// `rt_sigprocmask(how, set, oldset)` for `thread`: returns the mask before the call
    /// and, when `set` is given, changes it as `how` says (``SignalMaskChange``). A bad `how`
    /// with a `set` is ``KernelError/invalidArgument`` and changes nothing.
    public mutating func changeMask(of thread: ThreadID, how: Int64, set: SignalSet?) throws(KernelError) -> SignalSet {
        guard let index = index(of: thread) else { return .empty }
        let old = threads[index].blocked
        guard let set else { return old }
        threads[index].blocked = try SignalMaskChange.decoded(how).apply(set, to: old)
        return old
    }

    /// The start of `rt_sigsuspend(mask)`: `thread` blocks exactly `mask` (without `SIGKILL`
    /// and `SIGSTOP`) while it waits; its mask before is kept to be restored once a signal
    /// has been delivered. The kernel then waits until ``hasDeliverableSignal(_:)`` and
    /// returns `EINTR`.
    public mutating func beginSuspend(_ thread: ThreadID, mask: SignalSet) {
        guard let index = index(of: thread) else { return }
        if threads[index].maskBeforeSuspend == nil { threads[index].maskBeforeSuspend = threads[index].blocked }
        threads[index].blocked = mask.blockable
    }

    /// The end of a wait begun with ``beginSuspend(_:mask:)`` that no signal interrupted
    /// (`ppoll` found a file ready or timed out): `thread`'s mask from before comes back now.
    public mutating func endSuspend(_ thread: ThreadID) {
        guard let index = index(of: thread), let saved = threads[index].maskBeforeSuspend else { return }
        threads[index].blocked = saved
        threads[index].maskBeforeSuspend = nil
    }

    /// Sets `thread`'s mask to `mask` without `SIGKILL` and `SIGSTOP`: what `rt_sigreturn`
    /// does with the mask the signal frame saved.
    public mutating func restoreMask(of thread: ThreadID, to mask: SignalSet) {
        guard let index = index(of: thread) else { return }
        threads[index].blocked = mask.blockable
    }

    /// Forgets every pending signal of `signals`, for the process and every thread.
    mutating func discardPending(_ signals: SignalSet) {
        sharedPending.discard(signals)
        for index in threads.indices { threads[index].pending.discard(signals) }
    }
}
