/// Which ready thread runs next, and on which CPU: the policy half of scheduling.
///
/// The kernel's scheduler is the mechanism: it knows the thread each CPU runs, switches
/// between threads on their kernel stacks, and makes threads wait and wake. Which of the
/// ready threads a CPU runs next is a separate question, answered by a policy behind this
/// protocol, so that another policy (priorities, a queue per CPU) is a new type and not a
/// rewrite of the mechanism. A policy only ever sees ready threads: the scheduler hands it
/// each thread that becomes ready (new, woken, or at the end of its time slice, with the
/// reason: ``ReadyReason``) and asks it, for one CPU, for the next one to run.
///
/// It is generic over what it queues (`Runnable`): the kernel's thread control blocks in the
/// kernel, plain ids in a host test.
public protocol SchedulingPolicy {
    associatedtype Runnable
    /// `thread` is ready to run, for `reason`. Returns the CPU whose queue took it (the
    /// scheduler wakes that CPU when it idles), or `nil` when any CPU may take it.
    mutating func enqueue(_ thread: Runnable, _ reason: ReadyReason) -> CPUIndex?
    /// The thread `cpu` runs next, taken off the queues; `nil` when none is ready for it.
    /// The policy may count `cpu` busy from a thread it returns until the next call for it.
    mutating func next(on cpu: CPUIndex) -> Runnable?
    /// Whether some thread is ready.
    var hasReadyThread: Bool { get }
}

/// Why a thread became ready: where it should go depends on it.
public enum ReadyReason: Equatable, Sendable {
    /// A thread that never ran (a new process, `thread_create`, a kernel thread).
    case new
    /// A thread that waited and was woken; it last ran on `lastCPU`, and a thread running on
    /// `waker` woke it (`nil`: the kernel did, from an interrupt or its idle loop).
    case woken(lastCPU: CPUIndex, by: CPUIndex? = nil)
    /// `cpu` ran the thread until its time slice ended (or it yielded).
    case preempted(on: CPUIndex)
}
