/// Which ready thread runs next: the policy half of scheduling.
///
/// The kernel's scheduler is the mechanism: it knows the running thread, switches between
/// threads on their kernel stacks, and makes threads wait and wake. Which of the ready
/// threads gets the CPU next is a separate question, answered by a policy behind this
/// protocol, so that another policy (priorities, a queue per CPU) is a new type and not a
/// rewrite of the mechanism. A policy only ever sees ready threads: the scheduler hands it
/// each thread that becomes ready (new, woken, or at the end of its time slice) and asks
/// it for the next one to run.
///
/// It is generic over what it queues (`Runnable`): the kernel's thread control blocks in the
/// kernel, plain ids in a host test.
public protocol SchedulingPolicy {
    associatedtype Runnable
    /// `thread` is ready to run.
    mutating func enqueue(_ thread: Runnable)
    /// The thread to run next, taken off the queue; `nil` when none is ready.
    mutating func next() -> Runnable?
    /// Whether some thread is ready.
    var hasReadyThread: Bool { get }
}
