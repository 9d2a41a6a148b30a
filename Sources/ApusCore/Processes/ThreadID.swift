/// A thread's id: unique among the threads of a run, and never reused within it.
///
/// Processes and threads take their ids from one sequence (``ProcessTable``), so a process's
/// first thread, its *main* thread, has the process's own number (``ProcessID/mainThread``);
/// a program sees both as a C `int` (`thread_create` returns one, `thread_join` takes one).
/// A distinct type, not a bare `Int`, so that a thread id is never passed where a count, a
/// descriptor or a process id is meant.
public struct ThreadID: Hashable, Comparable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// The number, as the program and the kernel log see it.
    public let value: Int

    public init(_ value: Int) { self.value = value }

    public init(integerLiteral value: Int) { self.value = value }

    public static func < (a: ThreadID, b: ThreadID) -> Bool { a.value < b.value }

    public var description: String { "\(value)" }
}
