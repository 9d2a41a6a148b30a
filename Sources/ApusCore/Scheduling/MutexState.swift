/// A mutex: at most one thread at a time holds it, and the others wait their turn.
///
/// Use a mutex when several threads change the same state in several steps and none may see
/// it half-changed: each takes the mutex, does all its steps, and gives it back. A mutex has
/// an owner: only the thread that locked it may unlock it, and it may not lock it twice.
///
/// What it guarantees:
/// * **Mutual exclusion**: between a thread's `lock` and its `unlock`, no other thread holds
///   the mutex.
/// * **First come, first served**: the mutex is handed straight to the thread that has waited
///   longest when its owner unlocks it; a thread that comes later cannot slip in between
///   (no barging), so no waiter waits forever while others keep taking it.
///
/// This type is the mutex's state and its rules; the waiting itself is the scheduler's (the
/// kernel's `Scheduler.lock` and `unlock`): ``lock(by:)`` says whether the thread has the
/// mutex now or was queued and must block until it is handed over.
public final class MutexState {
    /// The threads waiting for the mutex, in order.
    public let waiters: WaitQueue
    /// The thread holding the mutex; `nil` when it is free.
    public private(set) var owner: ThreadID?

    public init(_ name: StaticString = "the mutex is free") { waiters = WaitQueue(name) }

    /// `thread` wants the mutex: `true` when it has it now; `false` when it was queued, and
    /// then it owns the mutex when it is woken (``unlock(by:)`` hands it over).
    public func lock(by thread: ThreadID) -> Bool {
        precondition(owner != thread, "a thread locked a mutex it already holds")
        guard owner != nil else {
            owner = thread
            return true
        }
        waiters.add(thread)
        return false
    }

    /// `thread`, the owner, gives the mutex back; returns the waiter it was handed to, which
    /// the caller must wake, or `nil` when none waited and the mutex is free.
    public func unlock(by thread: ThreadID) -> ThreadID? {
        precondition(owner == thread, "a thread unlocked a mutex it does not hold")
        owner = waiters.takeFirst()
        return owner
    }
}
