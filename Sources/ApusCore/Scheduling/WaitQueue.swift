/// A wait queue: the threads waiting for one named condition to become true.
///
/// A thread that cannot go on (it reads an empty pipe, wants a lock someone holds) is put on
/// the queue of what it needs and uses no CPU until it is woken. The queue is the one
/// building block of every way a thread waits in Apus: ``MutexState``, ``SemaphoreState`` and
/// ``ConditionVariable`` are each a wait queue plus a little state, and a system call that
/// must wait (a pipe, `thread_join`) waits on a condition variable.
///
/// The queue only holds thread identifiers, in the order they started to wait (so whoever
/// is woken first is whoever waited longest); the scheduler owns the threads and does the
/// blocking and the waking. On one CPU with interrupts off in the kernel, nothing can come
/// between a thread's check of its condition and its enqueueing, so no wake-up falls in
/// between and gets lost.
///
/// A queue holds storage only while threads wait on it: the last waiter to leave takes the
/// storage with it, so the kernel heap holds no more of it than the waiting threads need.
///
/// A condition also says who can make it true (``source``): most only another thread can (a
/// pipe gets bytes when a thread writes them), but some the outside world can (console input
/// arriving from the host, a disk finishing a request). The difference decides whether
/// threads that all wait are deadlocked (``DeadlockRule``).
public final class WaitQueue {
    /// The condition the waiters wait for, in words (the kernel log names it).
    public let condition: StaticString
    /// Who can make the condition true.
    public let source: ConditionSource
    /// The waiting threads, in the order they started to wait.
    public private(set) var waiters: [ThreadID] = []

    public init(_ condition: StaticString, source: ConditionSource = .threads) {
        self.condition = condition
        self.source = source
    }

    /// Whether no thread waits here.
    public var isEmpty: Bool { waiters.isEmpty }

    /// `thread` waits here.
    public func add(_ thread: ThreadID) {
        waiters.append(thread)
    }

    /// `thread` waits here no more (it was ended while waiting). Allocates nothing.
    public func remove(_ thread: ThreadID) {
        waiters.removeAll { $0 == thread }
        if waiters.isEmpty { waiters = [] }
    }

    /// The thread that has waited longest, taken off the queue; `nil` when none waits.
    /// Allocates nothing.
    public func takeFirst() -> ThreadID? {
        guard !waiters.isEmpty else { return nil }
        let first = waiters.removeFirst()
        if waiters.isEmpty { waiters = [] }
        return first
    }

    /// Every waiter, in order; the queue is empty afterwards.
    public func takeAll() -> [ThreadID] {
        defer { waiters.removeAll() }
        return waiters
    }
}

extension WaitQueue: Equatable {
    /// A queue is itself: two queues are equal only when they are the same queue.
    public static func == (a: WaitQueue, b: WaitQueue) -> Bool { a === b }
}
