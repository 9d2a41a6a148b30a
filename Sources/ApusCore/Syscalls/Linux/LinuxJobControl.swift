/// Linux's calls about process groups, sessions and the terminal's foreground group:
/// `getpgid`, `getsid`, `setpgid`, `setsid` (LinuxSystem.swift decodes them) and the
/// `TIOCGPGRP` and `TIOCSPGRP` ioctls on the console (LinuxTerminal.swift). They read and
/// change other processes and the run's console, which only the kernel has, so each comes
/// back as a request (``SyscallOutcome/jobControl(_:)``); ``decide(by:among:terminal:ignoresTerminalOutputStop:)``
/// applies the rules (``ProcessGroups``, ``ControllingTerminal``) to what the kernel gives
/// and says what to do, and the kernel does it.
public enum LinuxJobControlRequest: Hashable, Sendable {
    /// `getpgid(pid)`.
    case processGroup(of: Int64)
    /// `getsid(pid)`.
    case session(of: Int64)
    /// `setpgid(pid, pgid)`.
    case setProcessGroup(Int64, to: Int64)
    /// `setsid()`.
    case newSession
    /// `ioctl(fd, TIOCGPGRP, &pgrp)`: the foreground group, stored as a C `int` at the
    /// address (checked writable already).
    case foregroundGroup(storeAt: VirtualAddress)
    /// `ioctl(fd, TIOCSPGRP, &pgrp)`, with the `int` read from the program.
    case setForegroundGroup(Int64)
    /// A `read` of the terminal from the background, by a caller that neither blocks nor
    /// ignores `SIGTTIN` and whose group is not orphaned (``LinuxTerminal``).
    case readsInBackground

    /// What the request comes to when `caller` makes it among the live `processes` (the
    /// caller included), with the run's `terminal`, which `TIOCSPGRP` changes;
    /// `ignoresTerminalOutputStop` says whether the caller blocks or ignores `SIGTTOU`.
    public func decide(by caller: ProcessRelations, among processes: [ProcessRelations], terminal: inout ControllingTerminal,
                       ignoresTerminalOutputStop: Bool) -> LinuxJobControlDecision {
        do throws(LinuxErrno) {
            switch self {
            case .processGroup(let pid):
                return .returns(try ProcessGroups.relations(of: pid, caller: caller, among: processes).group)
            case .session(let pid):
                return .returns(try ProcessGroups.relations(of: pid, caller: caller, among: processes).session)
            case .setProcessGroup(let pid, let group):
                let (process, group) = try ProcessGroups.joining(pid: pid, group: group, caller: caller, among: processes)
                return .joins(process: process, group: group)
            case .newSession:
                return .leadsNewSession(try ProcessGroups.newSession(by: caller, among: processes))
            case .foregroundGroup(let address):
                return .stores(Int32(truncatingIfNeeded: try terminal.foregroundGroup(askedBy: caller)), at: address)
            case .setForegroundGroup(let group):
                switch try terminal.setForegroundGroup(group, by: caller, among: processes, ignoresStopSignal: ignoresTerminalOutputStop) {
                case .changed: return .returns(0)
                case .stopsCallersGroup: return .stopsCallersGroup(.terminalOutput)
                }
            case .readsInBackground:
                return .stopsCallersGroup(.terminalInput)
            }
        } catch {
            return .returns(error.syscallReturnValue)
        }
    }
}

/// What the kernel does for a ``LinuxJobControlRequest``.
public enum LinuxJobControlDecision: Hashable, Sendable {
    /// The call returns this (a value, or −errno); nothing else changes.
    case returns(Int64)
    /// `process` joins process group `group`; the call returns 0.
    case joins(process: Int64, group: Int64)
    /// The caller leads a new session and group, both of this id, which the call returns.
    case leadsNewSession(Int64)
    /// The call stores `value` at the address and returns 0 (−EFAULT when it cannot).
    case stores(Int32, at: VirtualAddress)
    /// The caller's group gets this signal (`SIGTTOU`, `SIGTTIN`); the call returns −EINTR, and is made
    /// again when the caller goes on without running a handler.
    case stopsCallersGroup(Signal)
}
