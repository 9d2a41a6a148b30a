/// A process as its system calls see it: its memory, its files, its threads, its current
/// directory, and where its console and file system are.
///
/// A process is what a program runs in: one address space (``mm``), one table of open files,
/// and one or more threads that share both. The system calls a thread makes act on this
/// value, one concept per file under `Syscalls/` (files, pipes, memory, processes,
/// threads), each reached through the decoding layer of the process's personality (KeOS's:
/// ``KeOSSyscalls``). What only the machine can do (its CPU state, its kernel stacks, the
/// switch between threads) is the kernel's, which keeps a `UserProcess` in its own control
/// block; the rules of a process's life among others (ids, parents, limits, its end) are
/// the ``ProcessTable``'s.
///
/// Every system call that takes a user pointer checks it with `accessOK` before it touches
/// user memory (through the user copies of ``MmStruct``), including for empty ranges: so a
/// bad pointer is always ``KernelError/badAddress`` and never a kernel fault.
public struct UserProcess<RAM: PhysicalMemory, P: Pager>: ~Copyable {
    /// The address space (as in KeOS and Linux, the process's `mm`).
    public var mm: MmStruct<RAM, P>
    public var files = FileTable<RAM>()
    /// The file system on the disk, the tree every path names a place in (ABI.md §6).
    public let fileSystem: FileSystem<RAM>
    /// Where relative paths start: `/` for a new process, its parent's for a forked one;
    /// every thread of the process shares it. It keeps its directory alive.
    public internal(set) var currentDirectory: InodeHandle<RAM>
    public let console: any Console
    /// Its threads: which run, and the statuses of those that ended unjoined.
    public internal(set) var threads: ThreadGroup
    /// Where the calls of the process (and of every process of its run) say which conditions
    /// they may have made true (a pipe that got bytes, room, or lost an end; a thread that
    /// ended): the kernel broadcasts them after each call.
    public let wakeups: WakeupList
    /// The system call table its program uses (fixed at start and at `execve`).
    public var personality: Personality = .keos
    /// What only Linux's calls keep: the program break, the file mode mask, the program's
    /// path (``LinuxProcessState``).
    public var linux = LinuxProcessState()

    /// A process in `/` whose main thread has the id `mainThread`, whose changes go on
    /// `wakeups` (the run's list; a list of its own when none is given).
    public init(mm: consuming MmStruct<RAM, P>, fileSystem: FileSystem<RAM>, console: any Console, mainThread: ThreadID = 1,
                wakeups: WakeupList = WakeupList()) {
        self.mm = mm
        self.fileSystem = fileSystem
        currentDirectory = InodeHandle.root(of: fileSystem)
        self.console = console
        self.wakeups = wakeups
        threads = ThreadGroup(main: mainThread)
        linux.signals = SignalState(mainThread: mainThread)
    }

    /// A pipe changed: whoever waits on either end must look again.
    func pipeChanged(_ pipe: PipeBuffer) {
        wakeups.add(pipe.readable)
        wakeups.add(pipe.writable)
    }

    /// Closes every descriptor, as a process does when it ends; the waiters of the pipes
    /// whose ends close are woken (through ``wakeups``). Allocates nothing.
    public mutating func closeAllFiles() {
        files.closeAll()
    }
}
