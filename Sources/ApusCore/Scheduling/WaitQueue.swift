/// A wait queue: the threads waiting for one named condition to become true.
///
/// A thread that cannot go on (it reads an empty pipe, writes a full one) is put on the queue
/// of the condition it needs and uses no CPU until that condition may have changed. Whoever
/// changes the state behind the condition (a write into the pipe, the close of its last write
/// end) *wakes* the queue: every waiter becomes ready again, runs, and checks the condition
/// itself, waiting again if it still does not hold. Waking all and re-checking means a
/// wake-up can never be lost: a waiter is either on the queue when the state changes (and is
/// woken) or checks the state after the change (and does not wait).
///
/// The queue only holds thread identifiers; the scheduler owns the threads and does the
/// waking. On one CPU with interrupts off in the kernel, the check of the condition and the
/// enqueueing cannot be separated by a wake-up.
public final class WaitQueue {
    /// The condition the waiters wait for, in words (the kernel log names it).
    public let condition: StaticString
    /// The waiting threads, in the order they started to wait.
    public private(set) var waiters: [Int] = []

    public init(_ condition: StaticString) { self.condition = condition }

    /// `thread` waits here.
    public func add(_ thread: Int) {
        waiters.append(thread)
    }

    /// `thread` waits here no more (it was ended while waiting).
    public func remove(_ thread: Int) {
        waiters.removeAll { $0 == thread }
    }

    /// Every waiter, in order; the queue is empty afterwards.
    public func takeAll() -> [Int] {
        defer { waiters.removeAll() }
        return waiters
    }
}

extension WaitQueue: Equatable {
    /// A queue is itself: two queues are equal only when they are the same queue.
    public static func == (a: WaitQueue, b: WaitQueue) -> Bool { a === b }
}
