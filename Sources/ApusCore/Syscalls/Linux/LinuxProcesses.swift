/// Linux's process calls: `clone`/`fork`/`vfork` (a copy of the process, as KeOS's
/// `fork`), `wait4`, `execve`, and the signal calls a shell makes at start (`rt_sigaction`,
/// `rt_sigprocmask`), whose dispositions the process keeps (``LinuxSignalActions``).
extension LinuxSyscalls {
    /// `clone`'s flags that make a thread, which this kernel's Linux table does not offer.
    static let threadFlags: UInt64 = 0x100 | 0x10000 // CLONE_VM, CLONE_THREAD
    /// The signal number a child sends its parent at its end (the low byte of the flags).
    static let childSignal: UInt64 = 17 // SIGCHLD
    /// `wait4`'s options: WNOHANG, WUNTRACED, WCONTINUED, __WALL, __WCLONE, __WNOTHREAD.
    static let waitNoHang: UInt64 = 1
    static let waitOptions: UInt64 = 1 | 2 | 8 | 0x4000_0000 | 0x8000_0000 | 0x2000_0000

    static func serveProcess<RAM, P: Pager>(_ call: LinuxSyscallNumber, _ a: SyscallArguments, in process: inout UserProcess<RAM, P>) throws(KernelError) -> SyscallOutcome<RAM> {
        switch call {
        case .fork, .vfork: // fork(), vfork(): the parent goes on at once
            return .fork
        case .clone: // clone(flags, stack, parent_tid, child_tid, tls): a copy of the process only
            guard a[0] & threadFlags == 0, a[1] == 0 else { throw .invalidArgument }
            return .fork
        case .wait4: // wait4(pid, status, options, rusage)
            guard a[2] & ~waitOptions == 0, Int64(bitPattern: a[0]) != Int64(Int32.min) else { throw .invalidArgument }
            let pid = Int64(Int32(truncatingIfNeeded: a[0]))
            let me = Int64(process.threads.main.value)
            return .waitsForChild(selector: ChildSelector(pid: pid, callerGroup: process.linux.group(of: me)), pid: pid,
                                  status: a.address(1), usage: a.address(3), noHang: a[2] & waitNoHang != 0)
        case .execve: // execve(path, argv, envp)
            do throws(LinuxErrno) {
                return .execute(try LinuxExec.request(a, in: &process))
            } catch {
                return .returns(error.syscallReturnValue)
            }
        case .rtSigaction: // rt_sigaction(signal, act, oldact, sigsetsize)
            let signal = Int(Int32(truncatingIfNeeded: a[0]))
            guard a[3] == 8, (1...LinuxSignalActions.signalCount).contains(signal) else { throw .invalidArgument }
            let new = a[1] != 0 ? try process.mm.copyIn(count: LinuxSignalActions.actionSize, from: a.address(1)) : nil
            if a[2] != 0 { _ = try process.mm.checkedUserRange(a.address(2), count: UInt64(LinuxSignalActions.actionSize), for: .write) }
            let old = process.linux.signalActions.action(signal)
            if let new { try process.linux.signalActions.set(signal, to: new) }
            if a[2] != 0 { try process.mm.copyOut(old, to: a.address(2)) }
            return .returns(0)
        case .rtSigprocmask: // rt_sigprocmask(how, set, oldset, sigsetsize): SIG_BLOCK 0, SIG_UNBLOCK 1, SIG_SETMASK 2
            guard a[3] == 8, a[1] == 0 || a[0] <= 2 else { throw .invalidArgument }
            let old = process.linux.blockedSignals
            if a[2] != 0 { _ = try process.mm.checkedUserRange(a.address(2), count: 8, for: .write) }
            if a[1] != 0 {
                let set = UInt64(littleEndianBytes: try process.mm.copyIn(count: 8, from: a.address(1)), at: 0)
                let unblockable: UInt64 = 1 << 8 | 1 << 18 // SIGKILL, SIGSTOP
                switch a[0] {
                case 0: process.linux.blockedSignals = old | set
                case 1: process.linux.blockedSignals = old & ~set
                default: process.linux.blockedSignals = set
                }
                process.linux.blockedSignals &= ~unblockable
            }
            if a[2] != 0 { try process.mm.copyOut(value: old, to: a.address(2)) }
            return .returns(0)
        default:
            return .returns(LinuxErrno.noSuchCall.syscallReturnValue)
        }
    }
}
