/// Job control of one process: whether it is stopped, and the change of state its parent
/// has not yet collected with `wait4`.
///
/// A stop signal whose action is the default (`SIGSTOP`, and `SIGTSTP`, `SIGTTIN`,
/// `SIGTTOU` unless handled or ignored) stops the process: none of its threads runs until a
/// `SIGCONT` continues it (or `SIGKILL` ends it). A shell uses this for its jobs: Ctrl-Z, `bg`,
/// `fg`, `kill -STOP`.
///
/// The parent hears of each change twice, as on Linux:
/// * `SIGCHLD` (with `CLD_STOPPED` or `CLD_CONTINUED`), unless its action for `SIGCHLD` has
///   `SA_NOCLDSTOP`;
/// * a status that one `wait4` collects without reaping the child: ``WaitStatus/stopped(by:)``
///   with `WUNTRACED`, ``WaitStatus/continued`` with `WCONTINUED` (``collect(_:)``).
///
/// Only the latest change waits to be collected: a continue replaces a stop nobody collected,
/// and a stop a continue. A `SIGCONT` to a process that runs changes nothing.
public struct JobState: Hashable, Sendable {
    /// The signal that stopped the process, `nil` while it runs.
    public private(set) var stoppedBy: Signal?
    /// The change a `wait4` of the parent has yet to collect.
    public private(set) var uncollected: WaitStatus?

    public init() {}

    /// Whether the process is stopped.
    @inlinable public var isStopped: Bool { stoppedBy != nil }

    /// The process stops, by `signal`; false when it was stopped already (then nothing
    /// changes and nobody is told).
    public mutating func stop(by signal: Signal) -> Bool {
        guard stoppedBy == nil else { return false }
        stoppedBy = signal
        uncollected = .stopped(by: signal)
        return true
    }

    /// The process continues: by `SIGCONT`, a change its parent is told of (`reported`), or
    /// by `SIGKILL` on its way to end, which leaves nothing to collect but its end. False when
    /// it was not stopped (then nothing changes and nobody is told).
    public mutating func resume(reported: Bool = true) -> Bool {
        guard stoppedBy != nil else { return false }
        stoppedBy = nil
        uncollected = reported ? .continued : nil
        return true
    }

    /// What a `wait4` with `options` collects now: the uncollected stop (with
    /// ``WaitOptions/untraced``) or continue (with ``WaitOptions/continued``), which is then
    /// gone; `nil` when there is none the options ask for.
    public mutating func collect(_ options: WaitOptions) -> WaitStatus? {
        switch uncollected {
        case .stopped where options.contains(.untraced), .continued where options.contains(.continued):
            defer { uncollected = nil }
            return uncollected
        default:
            return nil
        }
    }
}

/// The options of `wait4` that change what it waits for (`<bits/waitflags.h>`); the others
/// it accepts (`__WALL`, `__WCLONE`, `__WNOTHREAD`) change nothing for processes of one thread.
public struct WaitOptions: OptionSet, Hashable, Sendable {
    public let rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// `WNOHANG`: return 0 at once when the children it waits for all run.
    public static let noHang = WaitOptions(rawValue: 1)
    /// `WUNTRACED`: also report a child that stopped.
    public static let untraced = WaitOptions(rawValue: 2)
    /// `WCONTINUED`: also report a stopped child that a `SIGCONT` continued.
    public static let continued = WaitOptions(rawValue: 8)
    /// Every bit `wait4` accepts: the three above, and `__WNOTHREAD`, `__WALL`, `__WCLONE`.
    public static let accepted = WaitOptions(rawValue: 1 | 2 | 8 | 0x2000_0000 | 0x4000_0000 | 0x8000_0000)
}
