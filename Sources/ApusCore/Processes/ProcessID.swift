/// A process's id: unique among the processes of a run, and never reused within it (like
/// Linux's pid, from the sequence it shares with thread ids: ``ProcessTable``).
public struct ProcessID: Hashable, Comparable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// The number, as `fork` returns it and the kernel log shows it.
    public let value: Int

    public init(_ value: Int) { self.value = value }

    public init(integerLiteral value: Int) { self.value = value }

    public static func < (a: ProcessID, b: ProcessID) -> Bool { a.value < b.value }

    public var description: String { "\(value)" }

    /// The process's first thread, which has the process's number.
    public var mainThread: ThreadID { ThreadID(value) }
}
