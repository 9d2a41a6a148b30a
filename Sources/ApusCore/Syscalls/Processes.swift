/// The process system calls, as concepts: `exit`, `exit_group` and `fork` (ABI.md §5).
///
/// A process ends when its last thread ends (`exit`, with its main thread's status), when
/// one thread calls `exit_group`, or at a fault in any of its threads. `fork` makes a child
/// process that is a copy of the caller: its memory copy-on-write, its descriptors, one
/// thread returning 0 where the parent's returns the child's id.
///
/// Most of that needs the kernel: a new process needs an id and a kernel stack, an ending
/// one needs its other threads stopped wherever they are. So `exit` and `exit_group` are
/// outcomes (``SyscallOutcome/exit(_:)``, ``SyscallOutcome/exitGroup(_:)``) that the kernel
/// carries out in the order the ``ProcessTable`` gives, and `fork` asks the kernel
/// (``SyscallOutcome/fork``), which asks the table for room and an id and the process for
/// its copy, below.
extension UserProcess {
    /// The child of `fork` (ABI.md §5, §6): a copy-on-write copy of the address space
    /// (``MmStruct/fork()``), a copy of the file table (same files and pipes, positions
    /// copied) and the same current directory, with one thread, whose id is `mainThread`
    /// (only the calling thread is copied). ``KernelError/noMemory`` when frames run out;
    /// nothing of the child remains then.
    public mutating func fork(mainThread: ThreadID = 1) throws(KernelError) -> UserProcess {
        var child = UserProcess(mm: try mm.fork(), fileSystem: fileSystem, console: console, mainThread: mainThread, wakeups: wakeups)
        child.files = files.forked(sharingPositions: personality == .linux)
        child.currentDirectory = currentDirectory
        child.personality = personality
        child.linux = linux
        child.linux.processGroup = linux.group(of: Int64(threads.main.value))
        child.linux.hasExecuted = false
        child.linux.job = JobState()
        child.linux.alarm = LinuxAlarm()
        child.linux.signals = linux.signals.forked(from: threads.main, child: mainThread)
        return child
    }
}
