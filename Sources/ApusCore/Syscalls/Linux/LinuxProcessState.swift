/// What a Linux process keeps that a KeOS one has no call for: its program break (`brk`),
/// its file mode creation mask (`umask`), the path of the program it runs
/// (`/proc/self/exe`), its process group and session, its signals and alarm, and whether it
/// is stopped.
public struct LinuxProcessState: Sendable, Equatable {
    /// Where the break started (the first page past the program's segments) and where it
    /// is now; the pages between are one anonymous region.
    public var breakStart = VirtualAddress(0)
    public var breakEnd = VirtualAddress(0)
    /// `umask`: the permission bits new files do not get.
    public var fileModeMask: UInt32 = 0o022
    /// The absolute path of the program the process runs.
    public var executablePath: [UInt8] = []
    /// Its process group and session (0: its own id, not yet set apart).
    public var processGroup: Int64 = 0
    public var session: Int64 = 0
    /// The id of the process that forked it (0 for the run's first), for `getppid`.
    public var parentProcess: Int64 = 0
    /// Whether it ran `execve` since its `fork` (then its parent may no longer move it to
    /// another process group: ``ProcessGroups``).
    public var hasExecuted = false
    /// Whether it is stopped, and what its parent has yet to collect of it (``JobState``).
    public var job = JobState()
    /// Its signals: the actions `rt_sigaction` set, and each thread's mask and pending
    /// signals (``SignalState``).
    public var signals = SignalState(mainThread: 1)
    /// Its alarm clock (`alarm`), which rings as `SIGALRM`.
    public var alarm = LinuxAlarm()
    /// The current directory's absolute path (`getcwd`), kept beside the directory itself.
    public var workingDirectory: [UInt8] = [UInt8(ascii: "/")]

    public init() {}

    /// The state of a process that starts a program whose break begins at `programBreak`,
    /// found at `path`.
    public init(programBreak: VirtualAddress, path: [UInt8], mainThread: ThreadID) {
        signals = SignalState(mainThread: mainThread)
        breakStart = programBreak
        breakEnd = programBreak
        executablePath = path
    }
}
