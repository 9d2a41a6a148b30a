/// How far a call that may have to wait got: the answer of the concept functions that can
/// block (`read`, `write`, `thread_join`), before any personality has decoded it.
///
/// A call that cannot go on waits on a condition and is then run again for what is left:
/// a pipe write that moved 4,096 of 10,000 bytes waits for room, then writes the other
/// 5,904. The concept function says how much it did; the personality's decoding layer knows
/// where in its registers the buffer and the count are, and so how to ask for the rest
/// (``SyscallOutcome/waits(_:retry:done:)``).
public enum CallProgress: Equatable {
    /// The call is over: its result (a count, or 0).
    case finished(Int64)
    /// The call waits on `condition` after doing `done` units of its work (bytes; 0 when
    /// it did nothing yet), and is then retried for the rest.
    case waits(ConditionVariable, done: Int64)
}
