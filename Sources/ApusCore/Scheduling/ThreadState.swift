/// Where a thread stands, as the scheduler keeps it and the ``DeadlockRule`` reads it.
public enum ThreadState: Equatable {
    /// On the run queue, or running.
    case ready
    /// Waiting on a queue for its condition.
    case waiting(WaitQueue)
    /// Finished: its stack is freed once the scheduler has switched away from it.
    case ended
}
