import ApusCore

/// A block device that reads through to another and keeps every write in memory: the image
/// looks changed to whoever uses the overlay, and the device below never is.
///
/// `apus ls` mounts an image through one, so that what a mount does (replaying a committed
/// journal, freeing the inodes a power cut left unlinked) shows in the listing exactly as
/// the kernel would see it, while the image file stays byte for byte as it was.
public final class WriteOverlay: BlockDevice {
    public let below: any BlockDevice
    private var written = AddressMap<[UInt8]>()

    public init(over below: any BlockDevice) { self.below = below }

    public var blockCount: UInt64 { below.blockCount }

    /// How many blocks were written (and so differ from the device below, or may).
    public private(set) var writtenBlockCount = 0

    public func read(block: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(KernelError) {
        guard let bytes = written.value(at: block) else { return try below.read(block: block, into: buffer) }
        buffer.copyBytes(from: bytes)
    }

    public func write(block: UInt64, from buffer: UnsafeRawBufferPointer) throws(KernelError) {
        precondition(block >= 1 && block <= blockCount && buffer.count == BlockGeometry.blockSize, "write outside the device")
        if written.remove(at: block) == nil { writtenBlockCount += 1 }
        written.insert(Array(buffer), at: block)
    }

    /// Nothing to make durable: the writes live and die in memory.
    public func flush() throws(KernelError) {}
}
