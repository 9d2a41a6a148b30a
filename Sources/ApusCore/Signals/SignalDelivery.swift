/// Delivering a signal: what a thread does with its pending signals on its way back to user
/// space, after a system call, an interrupt or a fault.
///
/// ``SignalState/nextDelivery(for:)`` takes one pending signal the thread does not block,
/// `SIGKILL` first, then a fault the thread caused (so that its handler runs on the faulting
/// instruction's registers, before any other handler), then the lowest number, from the
/// thread's own pending set before the process's, and turns the program's action into one of:
///
/// * **run a handler** (``SignalDelivery/handler(_:)``): the kernel builds a
///   ``SignalFrame`` on the user stack and enters the function. While it runs, the thread
///   blocks what it blocked before, the action's mask and the signal itself (unless
///   `SA_NODEFER`); the mask before goes into the frame, for `rt_sigreturn`. With
///   `SA_RESETHAND` the action goes back to the default now;
/// * **terminate** the process, killed by the signal, or **stop** it;
/// * **nothing**: ignored signals and `SIGCONT`'s default are consumed silently, and the next
///   is looked at.
///
/// The kernel calls it until it gets a handler to run, a termination or a stop, or
/// ``SignalDelivery/none``. When a thread returns from `rt_sigsuspend` and no handler took the
/// signal, getting `none` puts the mask from before the call back.
public enum SignalDelivery: Hashable, Sendable {
    case none
    case handler(HandlerRun)
    /// The process ends, killed by the signal; `withCore` for the signals whose default
    /// reports a program error (Apus writes no core file).
    case terminate(Signal, withCore: Bool)
    /// Every thread of the process stops until `SIGCONT`.
    case stop(Signal)
}

/// Everything the kernel needs to run a handler: the frame's contents and the entry point.
public struct HandlerRun: Hashable, Sendable {
    public var signal: Signal
    public var info: SignalInfo
    /// The action as it was when the signal was taken (before `SA_RESETHAND` reset it).
    public var action: SignalAction
    /// The function to enter.
    public var handler: UInt64
    /// The mask to save in the frame's `uc_sigmask`: the thread's mask before the handler
    /// (or before `rt_sigsuspend`), which `rt_sigreturn` restores.
    public var savedMask: SignalSet
    /// The thread's mask while the handler runs (already set in the state).
    public var maskDuringHandler: SignalSet
    /// True with `SA_RESTART`: a blocking system call the signal interrupted is to be
    /// restarted after the handler rather than fail with `EINTR`.
    public var restartsInterruptedCall: Bool { action.flags.contains(.restart) }
}

extension SignalState {
    /// The signals `thread` could take now: pending for it or for the process, not blocked.
    public func deliverable(for thread: ThreadID) -> SignalSet {
        guard let state = signals(of: thread) else { return .empty }
        return state.pending.set.union(sharedPending.set).subtracting(state.blocked)
    }

    /// True when delivery would do something for `thread` (a handler, a termination, a stop):
    /// the condition that ends a blocking call with `EINTR` and wakes `rt_sigsuspend`.
    /// Allocates nothing: the kernel asks at every tick of a Linux program.
    public func hasDeliverableSignal(_ thread: ThreadID) -> Bool {
        var ready = deliverable(for: thread)
        while let signal = ready.lowest {
            ready.remove(signal)
            let action = action(for: signal)
            if !action.ignores(signal) && !(action.handler == .default && signal.defaultAction == .continue) { return true }
        }
        return false
    }

    /// Takes the next signal `thread` is to act on, and says what to do (see above).
    public mutating func nextDelivery(for thread: ThreadID) -> SignalDelivery {
        guard let index = index(of: thread) else { return .none }
        while true {
            let ready = deliverable(for: thread)
            guard let signal = ready.contains(.kill) ? Signal.kill : synchronousFault(of: index, in: ready) ?? ready.lowest else { break }
            let info = threads[index].pending.take(signal) ?? sharedPending.take(signal) ?? .fromKernel(signal)
            let action = action(for: signal)
            switch action.handler {
            case .ignore:
                continue
            case .default:
                switch signal.defaultAction {
                case .ignore, .continue: continue
                case .terminate: return .terminate(signal, withCore: false)
                case .terminateWithCore: return .terminate(signal, withCore: true)
                case .stop: return .stop(signal)
                }
            case let .function(address):
                let saved = threads[index].maskBeforeSuspend ?? threads[index].blocked
                threads[index].maskBeforeSuspend = nil
                var during = threads[index].blocked.union(action.mask)
                if !action.flags.contains(.noDefer) { during.insert(signal) }
                threads[index].blocked = during.blockable
                if action.flags.contains(.resetHand) { setAction(.default, for: signal) }
                return .handler(HandlerRun(signal: signal, info: info, action: action, handler: address,
                                           savedMask: saved, maskDuringHandler: during.blockable))
            }
        }
        if let saved = threads[index].maskBeforeSuspend {
            threads[index].blocked = saved
            threads[index].maskBeforeSuspend = nil
        }
        return .none
    }

    /// A fault signal the kernel posted to the thread at `index` (Linux's
    /// `dequeue_synchronous_signal`: a synchronous signal whose `si_code` says the kernel
    /// sent it), among `ready`; `nil` when none is pending.
    private func synchronousFault(of index: Int, in ready: SignalSet) -> Signal? {
        var faults = threads[index].pending.set.intersection(ready).intersection(.synchronous)
        while let signal = faults.lowest {
            faults.remove(signal)
            if let info = threads[index].pending.info(of: signal), info.code > 0 { return signal }
        }
        return nil
    }

    /// The kernel could not build `run`'s frame (the user stack is unmapped or full, or the
    /// action has no `SA_RESTORER`): the thread's mask goes back to what it was, and the
    /// thread gets `SIGSEGV` as a fault, with the default action if the signal that failed
    /// was `SIGSEGV` itself (so a program whose stack is gone dies rather than loops), as
    /// Linux's `force_sigsegv`.
    public mutating func frameFailed(_ run: HandlerRun, thread: ThreadID) {
        restoreMask(of: thread, to: run.savedMask)
        if run.signal == .segmentationFault { setAction(.default, for: .segmentationFault) }
        _ = postFault(.fromKernel(.segmentationFault), toThread: thread)
    }
}
