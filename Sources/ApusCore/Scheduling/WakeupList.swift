/// The conditions whose waiters must look again: what the system calls, and the ends of
/// files and threads, may have made true since the kernel last woke anyone.
///
/// A call that changes a pipe (bytes in, bytes out, an end closed) or ends a thread does not
/// wake anyone itself: the core has no scheduler. It adds the condition here, and the kernel,
/// after every call and every end, broadcasts each condition on the list and empties it
/// (``drain(_:)``). One list serves a whole run (every process of it, and every pipe they
/// make), so that a change made anywhere, even by an open file that goes when a waiting call
/// returns, is seen in one place.
///
/// The list is threaded through the conditions themselves (each holds the link to the next),
/// so adding allocates nothing: closing a descriptor or ending a process works however full
/// the kernel heap is. A condition is on the list at most once; adding it again changes
/// nothing, and the order is the order of first adding.
public final class WakeupList {
    private var first: ConditionVariable?
    private unowned(unsafe) var last: ConditionVariable?

    public init() {}

    /// Whether no condition waits to be broadcast.
    public var isEmpty: Bool { first == nil }
    /// Whether a condition was added since the last drain, waited on or not: a thread in
    /// `poll` waits on none of the conditions of the files it watches, and looks again after
    /// any change.
    public private(set) var changedSinceDrain = false

    /// `condition`'s waiters must look again; a condition no thread waits on is left off
    /// (whoever waits later checks first). Allocates nothing.
    public func add(_ condition: ConditionVariable) {
        changedSinceDrain = true
        condition.announce()
        guard !condition.isOnWakeupList, !condition.waiters.isEmpty else { return }
        condition.isOnWakeupList = true
        if let last { last.nextOnWakeupList = condition } else { first = condition }
        last = condition
    }

    /// Calls `body` with each condition, in the order they were added, taking it off the list;
    /// the list is empty afterwards (conditions `body` adds meanwhile included).
    public func drain(_ body: (ConditionVariable) -> Void) {
        changedSinceDrain = false
        while let condition = first {
            first = condition.nextOnWakeupList
            if first == nil { last = nil }
            condition.nextOnWakeupList = nil
            condition.isOnWakeupList = false
            body(condition)
        }
    }
}
