/// What a system call asks of the kernel after it ran.
///
/// Most calls are done when they return (``returns(_:)``); the others need what only the
/// kernel has: a thread ends, a new thread or process needs a kernel stack and an id, or the
/// calling thread must wait. A personality's decoding layer (``KeOSSyscalls``) turns what the
/// concept functions did into one of these.
public enum SyscallOutcome<RAM: PhysicalMemory>: Equatable {
    /// Return this value in `rax` and resume the program.
    case returns(Int64)
    /// The calling thread ends with `status` (`exit`); its process ends with it when it was
    /// the last one running (``UserProcess/threadEnded(_:status:)`` says).
    case exit(Int32)
    /// Every thread of the process ends, and the process with `status` (`exit_group`).
    case exitGroup(Int32)
    /// `thread_create`: the kernel starts a thread of the process there (with a kernel stack
    /// and an id of its own, added to ``UserProcess/threads``) and returns its id.
    case threadCreate(ThreadStart)
    /// The program called `fork()`: the kernel makes the child (``UserProcess/fork(mainThread:)``)
    /// and its thread, and returns the child's id (0 in the child).
    case fork
    /// Linux's `arch_prctl(ARCH_SET_FS, base)`: the calling thread's FS base becomes `base`
    /// (its thread pointer), kept with the thread and loaded whenever it runs; returns 0.
    case setsThreadPointer(UInt64)
    /// Linux's `wait4`: the kernel waits (unless `options` has `WNOHANG`) for a child
    /// `selector` names to end, or to stop or continue when `options` asks for that
    /// (ChildWaits.swift), stores its wait status at `status` and an empty `struct rusage`
    /// at `usage` (each unless 0), and returns its id; 0 with `WNOHANG` while the children
    /// run; −ECHILD with none. Bad pointers are found once a child is reaped (−EFAULT), as
    /// on Linux.
    case waitsForChild(selector: ChildSelector, pid: Int64, status: VirtualAddress, usage: VirtualAddress, options: WaitOptions)
    /// Linux's `execve`: the kernel replaces the process's program with `request`'s.
    case execute(LinuxExec.Request)
    /// A Linux signal call that needs the kernel: the process table, the calling thread's
    /// user registers, or a wait (``LinuxSignalRequest``).
    case signal(LinuxSignalRequest)
    /// A Linux call about process groups, sessions or the terminal's foreground group, which
    /// reads and changes other processes and the run's console (``LinuxJobControlRequest``).
    case jobControl(LinuxJobControlRequest)
    /// Linux's `nanosleep` and `clock_nanosleep`: the thread sleeps until the monotonic
    /// clock reads `deadline` nanoseconds and returns 0; a signal to be delivered ends it
    /// with −EINTR, and the time left is stored at `remaining` (unless 0).
    case sleeps(until: UInt64, remaining: VirtualAddress)
    /// Linux's `poll`, `ppoll`, `select` and `pselect6` found nothing ready: the thread waits until a file it
    /// watches may have changed, then looks again (``LinuxSyscalls/pollAgain(_:by:at:in:)``),
    /// until one is ready, the request's deadline passes or a signal is to be delivered
    /// (``LinuxSyscalls/finishPoll(_:by:interrupted:at:in:)``).
    case polls(LinuxPollRequest)
    /// The call cannot go on until `condition` holds (an empty pipe, a full one, a thread
    /// still running): the thread waits on it, then goes on with `resume` (the rest of the
    /// same call, on the same open file: ``KeOSSyscalls/resume(_:by:in:)``) and adds `done`
    /// to its result.
    case waits(ConditionVariable, resume: WaitingCall<RAM>, done: Int64)
}
