/// A pipe (its buffer and its two ends): bytes written at one end come out of the other, in
/// order (ABI.md §2).
///
/// Both ends count their open descriptors. A read of an empty pipe whose write ends are all
/// closed is ``KernelError/brokenPipe`` (not 0, as KeOS defines it); a write to a pipe whose
/// read ends are all closed is too.
///
/// Between processes a pipe is also where they wait (ABI.md §5): a reader of an empty pipe
/// waits on ``readable`` while some write end is open, a writer of a full pipe waits on
/// ``writable`` while some read end is open; every change of the pipe (bytes in, bytes out,
/// an end closed) wakes both queues.
///
/// The bytes live in a *ring buffer* of fixed size, allocated once with the pipe: a write
/// appends behind the last byte, wrapping round to the start of the storage, and a read takes
/// from the oldest byte onward. However a program interleaves its reads and writes, the pipe
/// never holds more than ``capacity`` bytes, so the 512 pipes a process can open always fit
/// in the kernel heap. A write takes what fits.
public final class PipeBuffer {
    /// Bytes the pipe holds at most.
    public static let capacity = 4096

    private var storage = [UInt8](repeating: 0, count: capacity)
    /// Where the oldest byte is.
    private var head = 0
    /// Bytes waiting to be read.
    public private(set) var available = 0
    public internal(set) var readers = 0
    public internal(set) var writers = 0
    /// Readers waiting for bytes, or for the last write end to close.
    public let readable = ConditionVariable("the pipe holds bytes or has no write end")
    /// Writers waiting for room, or for the last read end to close.
    public let writable = ConditionVariable("the pipe has room or no read end")

    /// The budget this pipe was taken from, given back when the pipe goes.
    private let budget: ResourceBudget?

    /// A pipe; with `budget`, one that counts against it until it goes.
    public init(budget: ResourceBudget? = nil) {
        self.budget = budget
    }

    deinit { budget?.returnPipe() }

    /// Room for more bytes.
    public var freeSpace: Int { Self.capacity - available }

    /// Moves up to `destination.count` of the oldest bytes into `destination`; returns how
    /// many it moved.
    public func take(into destination: UnsafeMutableRawBufferPointer) -> Int {
        let count = min(destination.count, available)
        guard count > 0 else { return 0 }
        storage.withUnsafeBytes { ring in
            let first = min(count, Self.capacity - head)
            destination.baseAddress!.copyMemory(from: ring.baseAddress! + head, byteCount: first)
            if count > first {
                (destination.baseAddress! + first).copyMemory(from: ring.baseAddress!, byteCount: count - first)
            }
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
        storage.withUnsafeMutableBytes { ring in
            let first = min(count, Self.capacity - tail)
            (ring.baseAddress! + tail).copyMemory(from: source.baseAddress!, byteCount: first)
            if count > first {
                ring.baseAddress!.copyMemory(from: source.baseAddress! + first, byteCount: count - first)
            }
        }
        available += count
        return count
    }
}
