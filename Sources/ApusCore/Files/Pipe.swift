/// A pipe: bytes written at one end come out of the other, in order (ABI.md §2).
///
/// Both ends count their open descriptors. A read of an empty pipe whose write ends are all
/// closed is ``KernelError/brokenPipe`` (not 0, as KeOS defines it); a write to a pipe whose
/// read ends are all closed is too. The buffer is bounded (4 KiB, so that the 512 pipes a
/// process can open fit in the kernel heap), and a write takes what fits.
public final class Pipe {
    /// Bytes the pipe holds at most.
    public static let capacity = 4096

    private var buffer: [UInt8] = []
    private var head = 0
    public internal(set) var readers = 0
    public internal(set) var writers = 0

    public init() {}

    /// Bytes waiting to be read.
    public var available: Int { buffer.count - head }

    /// Takes up to `count` bytes.
    func take(_ count: Int) -> [UInt8] {
        let taken = Array(buffer[head..<(head + min(count, available))])
        head += taken.count
        if head == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            head = 0
        }
        return taken
    }

    /// Appends what fits of `bytes`; returns how many it took.
    func put(_ bytes: UnsafeRawBufferPointer) -> Int {
        let count = min(bytes.count, Self.capacity - available)
        buffer.append(contentsOf: bytes[0..<count])
        return count
    }
}
