/// How far a call that may have to wait got: the answer of the concept functions that can
/// block (`read`, `write`, `thread_join`), before any personality has decoded it.
///
/// A call that cannot go on waits on a condition and then goes on with what is left: a pipe
/// write that moved 4,096 of 10,000 bytes waits for room, then writes the other 5,904. The
/// concept function says how much it did and what is left (a ``WaitingCall``, which holds
/// the open file the call started with); the kernel makes the thread wait, and then resumes
/// the call through its process's personality (``KeOSSyscalls/resume(_:by:in:)``).
public enum CallProgress<RAM: PhysicalMemory>: Equatable {
    /// The call is over: its result (a count, or 0).
    case finished(Int64)
    /// The call waits on `condition` after doing `done` units of its work (bytes; 0 when
    /// it did nothing yet), and then goes on as `resume` says.
    case waits(ConditionVariable, resume: WaitingCall<RAM>, done: Int64)
}
