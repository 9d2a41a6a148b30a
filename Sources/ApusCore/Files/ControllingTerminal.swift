/// The console as a Linux program's *controlling terminal*: the session it belongs to and
/// its *foreground process group*, the job that reads it and that Ctrl-C interrupts
/// (credentials(7), tcsetpgrp(3)).
///
/// A run has one console, and so one of these: it belongs to the session of the run's first
/// process, and its foreground group starts as that process's group. A job-control shell
/// moves the foreground to each job it runs in front (`tcsetpgrp`, the `TIOCSPGRP` ioctl)
/// and back to itself when the job ends or stops; the kernel sends the terminal's signals
/// (`SIGINT` for Ctrl-C) to whichever group is in front then. A process of another session
/// (one that called `setsid`) has no controlling terminal: the console is not its terminal.
///
/// The rules, Linux's (`drivers/tty/tty_jobctrl.c`):
/// * `TIOCGPGRP` answers the foreground group, to a process of the terminal's session
///   (`ENOTTY` for any other);
/// * `TIOCSPGRP` first applies the *background rule*: a process of the session that is not in
///   the foreground group may change the terminal only when it blocks or ignores `SIGTTOU`;
///   otherwise its whole group gets `SIGTTOU` (which stops it, by default) and the call is
///   tried again once it goes on, or fails with `ENOTTY` when the group is orphaned (no shell
///   could continue it). Then: a negative group is `EINVAL`; a caller of another session
///   `ENOTTY`; a group with no process (and no process of that id) `ESRCH`; a group of another
///   session `EPERM`.
/// * A `read` of the terminal from the background (`n_tty_read`'s job control): a process of
///   the session outside the foreground group gets `EIO` when it blocks or ignores `SIGTTIN`
///   or its group is orphaned; otherwise its whole group gets `SIGTTIN` (which stops it, by
///   default) and the read is tried again once it goes on. So `cat &` at a shell stops
///   instead of taking the keys typed at the shell's prompt.
public struct ControllingTerminal: Hashable, Sendable {
    /// The session the terminal belongs to.
    public private(set) var session: Int64
    /// The process group in front.
    public private(set) var foregroundGroup: Int64

    /// The terminal of session `session`, with `foregroundGroup` in front.
    public init(session: Int64, foregroundGroup: Int64) {
        self.session = session
        self.foregroundGroup = foregroundGroup
    }

    /// What `TIOCSPGRP` does besides failing.
    public enum Change: Hashable, Sendable {
        /// The foreground group is the one asked for.
        case changed
        /// The caller is in the background and takes `SIGTTOU`: the kernel posts it to the
        /// caller's group, and the call is tried again when the caller goes on.
        case stopsCallersGroup
    }

    /// What a `read` of the terminal does besides failing.
    public enum ReadAccess: Hashable, Sendable {
        /// The caller reads.
        case reads
        /// The caller is in the background and takes `SIGTTIN`: the kernel posts it to the
        /// caller's group, and the read is tried again when the caller goes on.
        case stopsCallersGroup
    }

    /// A `read` of the terminal by `caller` among the live `processes` (asked for only when
    /// the caller is in the background: a shell's line editor reads key by key);
    /// `ignoresStopSignal` says whether the caller blocks or ignores `SIGTTIN`. `EIO` when it
    /// may not read.
    public func readAccess(by caller: ProcessRelations, among processes: @autoclosure () -> [ProcessRelations],
                           ignoresStopSignal: Bool) throws(LinuxErrno) -> ReadAccess {
        guard caller.session == session, caller.group != foregroundGroup else { return .reads }
        guard !ignoresStopSignal, !ProcessGroups.isOrphaned(caller.group, among: processes()) else { throw .io }
        return .stopsCallersGroup
    }

    /// `TIOCGPGRP` by `caller`: the foreground group.
    public func foregroundGroup(askedBy caller: ProcessRelations) throws(LinuxErrno) -> Int64 {
        guard caller.session == session else { throw .notATerminal }
        return foregroundGroup
    }

    /// `TIOCSPGRP` by `caller` among the live `processes`; `ignoresStopSignal` says whether
    /// the caller blocks or ignores `SIGTTOU`. An error changes nothing.
    public mutating func setForegroundGroup(_ group: Int64, by caller: ProcessRelations, among processes: [ProcessRelations],
                                            ignoresStopSignal: Bool) throws(LinuxErrno) -> Change {
        if caller.session == session, caller.group != foregroundGroup, !ignoresStopSignal {
            guard !ProcessGroups.isOrphaned(caller.group, among: processes) else { throw .notATerminal }
            return .stopsCallersGroup
        }
        guard group >= 0 else { throw .invalid }
        guard caller.session == session else { throw .notATerminal }
        guard let member = processes.first(where: { $0.group == group }) ?? processes.first(where: { $0.id == group }) else {
            throw .noSuchProcess
        }
        guard member.session == caller.session else { throw .notPermitted }
        foregroundGroup = group
        return .changed
    }
}
