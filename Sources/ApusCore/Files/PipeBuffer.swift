/// A pipe (its buffer and its two ends): bytes written at one end come out of the other, in
/// order (ABI.md §2).
///
/// Both ends count their open files. A read of an empty pipe whose write ends are all
/// closed is ``KernelError/brokenPipe`` (not 0, as KeOS defines it); a write to a pipe whose
/// read ends are all closed is too.
///
/// Between processes a pipe is also where they wait (ABI.md §5): a reader of an empty pipe
/// waits on ``readable`` while some write end is open, a writer of a full pipe waits on
/// ``writable`` while some read end is open; every change of the pipe (bytes in, bytes out,
/// an end closed) wakes both queues. An end is open while an open file of it exists, in a
/// descriptor or in a call that waits on it (``OpenFile``): the open file counts itself in and
/// out, and the last one of an end to go wakes the other side through the run's
/// ``WakeupList``.
///
/// A write of at most ``atomicWriteLimit`` bytes is never interleaved with another write:
/// it goes in whole or waits until it can (the file calls, `Files.swift`, keep that rule).
///
/// The bytes live in a *ring buffer* of fixed size, one page of the kernel heap allocated
/// with the pipe: a write appends behind the last byte, wrapping round to the start of the
/// storage, and a read takes from the oldest byte onward. However a program interleaves its
/// reads and writes, the pipe never holds more than ``capacity`` bytes.
public final class PipeBuffer {
    /// Bytes the pipe holds at most.
    public static let capacity = 4096
    /// The largest write that is never interleaved with another (Linux's `PIPE_BUF`).
    public static let atomicWriteLimit = 4096

    private let storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    /// Where the oldest byte is.
    private var head = 0
    /// Bytes waiting to be read.
    public private(set) var available = 0
    /// Open files of the read end.
    public private(set) var readers = 0
    /// Open files of the write end.
    public private(set) var writers = 0
    /// Readers waiting for bytes, or for the last write end to close.
    public let readable = ConditionVariable("the pipe holds bytes or has no write end")
    /// Writers waiting for room, or for the last read end to close.
    public let writable = ConditionVariable("the pipe has room or no read end")

    /// The budget this pipe was taken from, given back when the pipe goes.
    private let budget: ResourceBudget?
    /// Where an end that closes says that the waiters of the other side must look again.
    private let wakeups: WakeupList?

    /// A pipe; with `budget`, one that counts against it until it goes; with `wakeups`, one
    /// whose closing ends wake its waiters through that list.
    public init(budget: ResourceBudget? = nil, wakeups: WakeupList? = nil) {
        self.budget = budget
        self.wakeups = wakeups
    }

    deinit {
        storage.deallocate()
        budget?.returnPipe()
    }

    /// An open file of one end was made.
    func endOpened(reading: Bool) {
        if reading { readers += 1 } else { writers += 1 }
    }

    /// An open file of one end went: both sides look again (a reader may now see the end of
    /// its input, a writer the end of its readers). Allocates nothing.
    func endClosed(reading: Bool) {
        if reading { readers -= 1 } else { writers -= 1 }
        wakeups?.add(readable)
        wakeups?.add(writable)
    }

    /// Room for more bytes.
    public var freeSpace: Int { Self.capacity - available }

    /// Moves up to `destination.count` of the oldest bytes into `destination`; returns how
    /// many it moved.
    public func take(into destination: UnsafeMutableRawBufferPointer) -> Int {
        let count = min(destination.count, available)
        guard count > 0 else { return 0 }
        let first = min(count, Self.capacity - head)
        destination.baseAddress!.copyMemory(from: storage + head, byteCount: first)
        if count > first {
            (destination.baseAddress! + first).copyMemory(from: storage, byteCount: count - first)
        }
        head = (head + count) % Self.capacity
        available -= count
        return count
    }

    /// Appends what fits of `source`; returns how many bytes it took.
    public func put(_ source: UnsafeRawBufferPointer) -> Int {
        let count = min(source.count, freeSpace)
        guard count > 0 else { return 0 }
        let tail = (head + available) % Self.capacity
        let first = min(count, Self.capacity - tail)
        (storage + tail).copyMemory(from: source.baseAddress!, byteCount: first)
        if count > first {
            storage.copyMemory(from: source.baseAddress! + first, byteCount: count - first)
        }
        available += count
        return count
    }
}
