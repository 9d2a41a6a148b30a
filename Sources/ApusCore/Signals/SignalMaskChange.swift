/// How `rt_sigprocmask(how, set, oldset, sigsetsize)` changes a thread's blocked mask.
///
/// * `SIG_BLOCK` (0): block the signals of `set` as well;
/// * `SIG_UNBLOCK` (1): unblock them;
/// * `SIG_SETMASK` (2): block exactly `set`.
///
/// Whatever `set` says, `SIGKILL` and `SIGSTOP` never become blocked: Linux drops them
/// silently. Any other `how` is ``KernelError/invalidArgument`` (checked only when a `set`
/// is given: with a null `set` the call only reads the mask).
public enum SignalMaskChange: Int64, Hashable, Sendable {
    case block = 0
    case unblock = 1
    case setMask = 2

    /// The change `how` names, or ``KernelError/invalidArgument``.
    @inlinable public static func decoded(_ how: Int64) throws(KernelError) -> SignalMaskChange {
        guard let change = SignalMaskChange(rawValue: how) else { throw .invalidArgument }
        return change
    }

    /// The blocked mask after applying this change with `set` to `mask`.
    @inlinable public func apply(_ set: SignalSet, to mask: SignalSet) -> SignalSet {
        switch self {
        case .block: mask.union(set).blockable
        case .unblock: mask.subtracting(set).blockable
        case .setMask: set.blockable
        }
    }
}
