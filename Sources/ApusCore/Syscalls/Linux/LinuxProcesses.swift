/// Linux's process calls: `clone`/`fork`/`vfork` (a copy of the process, as KeOS's
/// `fork`), `wait4` and `execve`.
extension LinuxSyscalls {
    /// `clone`'s flags that make a thread, which this kernel's Linux table does not offer.
    static let threadFlags: UInt64 = 0x100 | 0x10000 // CLONE_VM, CLONE_THREAD
    /// The signal number a child sends its parent at its end (the low byte of the flags).
    static let childSignal: UInt64 = 17 // SIGCHLD

    static func serveProcess<RAM, P: Pager>(_ call: LinuxSyscallNumber, _ a: SyscallArguments, in process: inout UserProcess<RAM, P>) throws(KernelError) -> SyscallOutcome<RAM> {
        switch call {
        case .fork, .vfork: // fork(), vfork(): the parent goes on at once
            return .fork
        case .clone: // clone(flags, stack, parent_tid, child_tid, tls): a copy of the process only
            guard a[0] & threadFlags == 0, a[1] == 0 else { throw .invalidArgument }
            return .fork
        case .wait4: // wait4(pid, status, options, rusage)
            guard a[2] & ~WaitOptions.accepted.rawValue == 0, Int64(bitPattern: a[0]) != Int64(Int32.min) else { throw .invalidArgument }
            let pid = Int64(Int32(truncatingIfNeeded: a[0]))
            let me = Int64(process.threads.main.value)
            return .waitsForChild(selector: ChildSelector(pid: pid, callerGroup: process.linux.group(of: me)), pid: pid,
                                  status: a.address(1), usage: a.address(3), options: WaitOptions(rawValue: a[2]))
        case .execve: // execve(path, argv, envp)
            do throws(LinuxErrno) {
                return .execute(try LinuxExec.request(a, in: &process))
            } catch {
                return .returns(error.syscallReturnValue)
            }
        default:
            return .returns(LinuxErrno.noSuchCall.syscallReturnValue)
        }
    }
}

extension LinuxSyscalls {
    /// What a Linux `fork` (`clone`, `vfork`) returns when the kernel refused the child with
    /// `error`: EAGAIN when the process table was at its limit (Linux's answer at
    /// `RLIMIT_NPROC`, and a shell's "can't fork: Resource temporarily unavailable"), the
    /// kernel's own error otherwise (ENOMEM when memory ran out).
    public static func forkRefusal(_ error: KernelError, atProcessLimit: Bool) -> LinuxErrno {
        atProcessLimit && error == .noMemory ? .tryAgain : LinuxErrno(error)
    }
}
