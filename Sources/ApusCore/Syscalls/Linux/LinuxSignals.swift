/// Linux's signal calls over the process's ``SignalState``: `rt_sigaction` and
/// `rt_sigprocmask` are done here; `rt_sigsuspend`, `rt_sigreturn`, `kill`, `tgkill` and
/// `tkill` need what only the kernel has (a wait, the calling thread's user registers, the
/// process table) and come back as a ``LinuxSignalRequest``.
extension LinuxSyscalls {
    static func serveSignal<RAM, P: Pager>(_ call: LinuxSyscallNumber, _ a: SyscallArguments, by thread: ThreadID,
                                           in process: inout UserProcess<RAM, P>) throws(KernelError) -> SyscallOutcome<RAM> {
        switch call {
        case .rtSigaction: // rt_sigaction(signal, act, oldact, sigsetsize)
            try SignalSet.checkSize(a[3])
            let new = a[1] != 0
                ? try SignalAction(kernelSigaction: process.mm.copyIn(count: SignalAction.byteCount, from: a.address(1)), sigsetSize: a[3]) : nil
            if a[2] != 0 { _ = try process.mm.checkedUserRange(a.address(2), count: UInt64(SignalAction.byteCount), for: .write) }
            let old = try process.linux.signals.changeAction(Int64(Int32(truncatingIfNeeded: a[0])), to: new)
            if a[2] != 0 { try process.mm.copyOut(old.kernelSigaction, to: a.address(2)) }
            return .returns(0)
        case .rtSigprocmask: // rt_sigprocmask(how, set, oldset, sigsetsize)
            try SignalSet.checkSize(a[3])
            let set = a[1] != 0 ? SignalSet(bytes: try process.mm.copyIn(count: SignalSet.byteCount, from: a.address(1))) : nil
            if a[2] != 0 { _ = try process.mm.checkedUserRange(a.address(2), count: UInt64(SignalSet.byteCount), for: .write) }
            let old = try process.linux.signals.changeMask(of: thread, how: Int64(bitPattern: a[0]), set: set)
            if a[2] != 0 { try process.mm.copyOut(old.bytes, to: a.address(2)) }
            return .returns(0)
        case .rtSigsuspend: // rt_sigsuspend(mask, sigsetsize): waits with `mask` until a signal is delivered
            try SignalSet.checkSize(a[1])
            let mask = SignalSet(bytes: try process.mm.copyIn(count: SignalSet.byteCount, from: a.address(0)))
            process.linux.signals.beginSuspend(thread, mask: mask)
            return .signal(.suspend)
        case .rtSigreturn: // rt_sigreturn(): the frame is at the caller's stack pointer
            return .signal(.returnFromHandler)
        case .sigaltstack: // sigaltstack(ss, oss): its rules need the caller's stack pointer
            return .signal(.alternateStack(new: a.address(0), old: a.address(1)))
        case .kill: // kill(pid, signal): pid > 0 one process, 0 the caller's group, −1 every other, < −1 group −pid
            let signal = try decodedSignal(a[1])
            let pid = Int64(Int32(truncatingIfNeeded: a[0]))
            let me = Int64(process.threads.main.value)
            let target: LinuxSignalRequest.Target
            switch pid {
            case 0: target = .group(process.linux.group(of: me))
            case -1: target = .everyone
            case Int64(Int32.min): return .returns(LinuxErrno.noSuchProcess.syscallReturnValue)
            case ..<0: target = .group(-pid)
            default: target = .process(pid)
            }
            return .signal(.send(signal, to: target))
        case .tgkill, .tkill: // tgkill(tgid, tid, signal), tkill(tid, signal): one thread
            let (group, tid, number) = call == .tgkill ? (Int64(Int32(truncatingIfNeeded: a[0])), a[1], a[2]) : (nil, a[0], a[1])
            let signal = try decodedSignal(number)
            let thread = Int64(Int32(truncatingIfNeeded: tid))
            guard thread > 0, group.map({ $0 > 0 }) ?? true else { throw .invalidArgument }
            return .signal(.send(signal, to: .thread(thread, process: group)))
        default:
            return .returns(LinuxErrno.noSuchCall.syscallReturnValue)
        }
    }

    /// `sigaltstack(ss, oss)` by `thread`, whose stack pointer is `stackPointer`: reads the
    /// new `stack_t` at `new` (none when null), judges it (``AlternateStack``), and reports
    /// the stack as it was at `old` (none when null). 0, or −errno with nothing changed:
    /// EFAULT for an unreadable `ss` or unwritable `oss`, EPERM, EINVAL, ENOMEM.
    public static func alternateStack<RAM, P: Pager>(new: VirtualAddress, old: VirtualAddress, by thread: ThreadID,
                                                     stackPointer: UInt64, in process: inout UserProcess<RAM, P>) -> Int64 {
        do throws(KernelError) {
            let current = process.linux.signals.alternateStack(of: thread)
            var changed: AlternateStack?
            if new.raw != 0 {
                let requested = AlternateStack(stackT: try process.mm.copyIn(count: AlternateStack.byteCount, from: new))
                changed = try current.changed(to: requested, stackPointer: stackPointer)
            }
            if old.raw != 0 { _ = try process.mm.checkedUserRange(old, count: UInt64(AlternateStack.byteCount), for: .write) }
            if let changed { process.linux.signals.setAlternateStack(changed, of: thread) }
            if old.raw != 0 { try process.mm.copyOut(current.reportBytes(stackPointer: stackPointer), to: old) }
            return 0
        } catch {
            return error.syscallReturnValue
        }
    }

    /// A `kill` signal number: 0 (only whether the target exists) or 1…64.
    static func decodedSignal(_ raw: UInt64) throws(KernelError) -> Signal? {
        let number = Int64(Int32(truncatingIfNeeded: raw))
        return number == 0 ? nil : try Signal.decoded(number)
    }
}

/// What a Linux signal call asks of the kernel.
public enum LinuxSignalRequest: Hashable, Sendable {
    /// Whom `kill`, `tgkill` and `tkill` send to.
    public enum Target: Hashable, Sendable {
        /// The process with this id.
        case process(Int64)
        /// Every process of this process group.
        case group(Int64)
        /// Every process but the first and the caller (`kill(-1, …)`).
        case everyone
        /// The thread with this id, in the process `process` when it is given (`tgkill`).
        case thread(Int64, process: Int64?)
    }

    /// `rt_sigsuspend`: the mask is already the call's; the thread waits until a signal is
    /// to be delivered, and the call returns −EINTR.
    case suspend
    /// `rt_sigreturn`: the kernel reads the ``SignalFrame`` below the thread's stack pointer
    /// (``SignalReturn``) and returns to what it saved.
    case returnFromHandler
    /// `sigaltstack`: the kernel calls ``LinuxSyscalls/alternateStack(new:old:by:stackPointer:in:)``
    /// with the caller's stack pointer.
    case alternateStack(new: VirtualAddress, old: VirtualAddress)
    /// `kill`, `tgkill`, `tkill`: posts `signal` to `target` (nothing for signal 0: only
    /// whether the target exists); returns 0, or −ESRCH when no process or thread matches.
    case send(Signal?, to: Target)
    /// `alarm`: the process's alarm (``LinuxAlarm``) was set or stopped; the kernel looks at
    /// the alarms again and the call returns `secondsLeft`.
    case alarmChanged(secondsLeft: Int64)
}
