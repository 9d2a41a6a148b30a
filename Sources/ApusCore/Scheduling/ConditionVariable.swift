/// A condition variable: threads wait on it until some state they need changes, and
/// whoever changes that state tells them.
///
/// Use one when a thread needs a condition over shared state ("the pipe holds bytes", "that
/// thread has ended", "the buffer has room") that a semaphore's count cannot express. The
/// pattern is always the same, and the loop is part of it:
///
/// ```
/// lock(mutex)
/// while !condition { wait(on: variable, releasing: mutex) }   // sleeps, then relocks
/// … use the state …
/// unlock(mutex)
/// ```
///
/// and on the other side: change the state with the mutex held, then `signal` (wake one
/// waiter) or `broadcast` (wake them all).
///
/// What it guarantees:
/// * **No lost wake-up**: `wait` releases the mutex and joins the queue in one step, so a
///   change made under the mutex either happens before the waiter checks the condition (it
///   does not wait) or after it is on the queue (it is woken).
/// * Waiters are woken in the order they started to wait.
///
/// What it does not: a woken thread is only told that the condition *may* hold; another
/// thread may have run first and used it up. Hence the loop.
///
/// System calls use the same pattern with the kernel itself as the mutex (on one CPU the
/// kernel runs with interrupts off, so a system call is never interrupted between its check
/// and its wait): a call that cannot go on returns `.waits(variable, …)` with what is left of
/// it (``WaitingCall``), the kernel puts the thread on the variable's queue and, when woken,
/// goes on with the call (which checks again). Pipes and `thread_join` wait that way, with a
/// broadcast for every change (``WakeupList``).
public final class ConditionVariable {
    /// The threads waiting, in order; its condition names what they wait for.
    public let waiters: WaitQueue
    /// The next condition on the ``WakeupList`` this one is on, if any.
    var nextOnWakeupList: ConditionVariable?
    /// Whether this condition is on a ``WakeupList`` now.
    var isOnWakeupList = false
    /// How many changes were announced for it (a ``WakeupList/add(_:)``, a `signal`, a
    /// `broadcast`), waited on or not. A thread that must let a lock go between its check
    /// and its wait (which may let other threads run) compares the count before and after,
    /// and checks again instead of waiting when it moved: no wake-up is lost meanwhile.
    public private(set) var announcements: UInt64 = 0

    /// A condition variable for `condition`, which `source` can make true (another thread,
    /// unless something outside the threads can: ``ConditionSource``).
    public init(_ condition: StaticString, source: ConditionSource = .threads) { waiters = WaitQueue(condition, source: source) }

    /// What the waiters wait for, in words.
    public var condition: StaticString { waiters.condition }

    /// `thread` waits (the caller then releases its mutex and blocks).
    public func enqueue(_ thread: ThreadID) {
        waiters.add(thread)
    }

    /// The waiter to wake for a `signal`: the one that has waited longest, or `nil`.
    public func signal() -> ThreadID? {
        announce()
        return waiters.takeFirst()
    }

    /// Every waiter, to wake for a `broadcast`.
    public func broadcast() -> [ThreadID] {
        announce()
        return waiters.takeAll()
    }

    /// A change of the condition's state, whether anyone waits or not.
    func announce() {
        announcements &+= 1
    }
}

extension ConditionVariable: Equatable {
    /// A variable is itself: two are equal only when they are the same one.
    public static func == (a: ConditionVariable, b: ConditionVariable) -> Bool { a === b }
}
