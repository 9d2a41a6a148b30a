/// Process groups and sessions: how Linux sorts processes into jobs, and jobs into the
/// logins that own a terminal (credentials(7), setpgid(2), setsid(2)).
///
/// A *process group* is a job: a shell puts every process of a pipeline into one group, so
/// that Ctrl-C, `kill -- -PGID` or `fg` reach all of them at once, and no other. A *session*
/// holds the groups of one login: its *leader* (the process that called `setsid`, whose id
/// the session takes) owns the controlling terminal (``ControllingTerminal``), and one of
/// its groups is the terminal's foreground group. A child starts in its parent's group and
/// session.
///
/// The rules, Linux's (`kernel/sys.c`):
/// * `setpgid(pid, pgid)`: a process may move itself, or a child of its own that has not
///   yet run `execve` (`EACCES` after), and that is in its session (`EPERM`); no one moves
///   a session leader (`EPERM`); the group joined must be the process's own id (a new group)
///   or a group of the same session (`EPERM`); a `pid` that is neither the caller nor its
///   child is `ESRCH`, a negative `pgid` `EINVAL`. `pid` 0 is the caller, `pgid` 0 the
///   process's own id.
/// * `setsid()`: a new session and group, both the caller's id, unless a group with that id
///   exists already (`EPERM`: the caller leads a group, so it could not leave it).
/// * `getpgid(pid)`, `getsid(pid)`: of any process (`ESRCH` when none has that id).
///
/// The rules are pure: the kernel gives the relations of every live process (a run has at
/// most 64) and carries out what they decide.
public enum ProcessGroups {
    /// `setpgid(pid, group)` called by `caller`: which process joins which group; nothing
    /// changes until the kernel makes it so.
    public static func joining(pid: Int64, group: Int64, caller: ProcessRelations,
                               among processes: [ProcessRelations]) throws(LinuxErrno) -> (process: Int64, group: Int64) {
        let id = pid == 0 ? caller.id : pid
        let wanted = group == 0 ? id : group
        guard wanted >= 0 else { throw .invalid }
        guard let target = processes.first(where: { $0.id == id }) else { throw .noSuchProcess }
        if target.id != caller.id {
            guard target.parent == caller.id else { throw .noSuchProcess }
            guard target.session == caller.session else { throw .notPermitted }
            guard !target.hasExecuted else { throw .accessDenied }
        }
        guard !target.isSessionLeader else { throw .notPermitted }
        if wanted != target.id {
            guard processes.contains(where: { $0.group == wanted && $0.session == caller.session }) else { throw .notPermitted }
        }
        return (target.id, wanted)
    }

    /// `setsid()` by `caller`: the id of the session (and group) it now leads.
    public static func newSession(by caller: ProcessRelations, among processes: [ProcessRelations]) throws(LinuxErrno) -> Int64 {
        guard !processes.contains(where: { $0.group == caller.id }) else { throw .notPermitted }
        return caller.id
    }

    /// The relations of process `pid` (0: the caller), for `getpgid` and `getsid`.
    public static func relations(of pid: Int64, caller: ProcessRelations, among processes: [ProcessRelations]) throws(LinuxErrno) -> ProcessRelations {
        if pid == 0 { return caller }
        guard let found = processes.first(where: { $0.id == pid }) else { throw .noSuchProcess }
        return found
    }

    /// Whether `group` is *orphaned*: no member has a parent in another group of the same
    /// session, so no job-control shell is left to continue it if it stopped. The terminal
    /// does not stop such a group for using it in the background (it gets `EIO` instead).
    public static func isOrphaned(_ group: Int64, among processes: [ProcessRelations]) -> Bool {
        !processes.contains { member in
            member.group == group && processes.contains { $0.id == member.parent && $0.group != group && $0.session == member.session }
        }
    }

    /// Whether a member of `group` goes on running when `signal`'s default action would stop
    /// it: Linux discards the terminal's stop signals (`SIGTSTP`, `SIGTTIN`, `SIGTTOU`) for an
    /// orphaned group, which no shell would ever continue. `SIGSTOP` always stops.
    public static func ignoresDefaultStop(by signal: Signal, group: Int64, among processes: @autoclosure () -> [ProcessRelations]) -> Bool {
        signal != .stop && isOrphaned(group, among: processes())
    }
}

/// What the rules of ``ProcessGroups`` and ``ControllingTerminal`` need to know of one live
/// process.
public struct ProcessRelations: Hashable, Sendable {
    public var id: Int64
    /// Its parent's id; 0 for the run's first process.
    public var parent: Int64
    public var group: Int64
    public var session: Int64
    /// Whether it ran `execve` since its `fork` (its parent may no longer move it).
    public var hasExecuted: Bool

    public init(id: Int64, parent: Int64, group: Int64, session: Int64, hasExecuted: Bool = false) {
        self.id = id
        self.parent = parent
        self.group = group
        self.session = session
        self.hasExecuted = hasExecuted
    }

    /// Whether it leads its session (it called `setsid`, or it is the run's first process).
    @inlinable public var isSessionLeader: Bool { id == session }
}
