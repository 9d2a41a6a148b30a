/// A disk as the file system sees it: a row of 4 KiB blocks that can be read, written and
/// made durable (ABI.md §6).
///
/// Blocks are numbered from 1, as KeOS numbers them: block `n` is bytes `(n − 1) · 4096` up
/// to `n · 4096 − 1` of the disk, and block number 0 means "no block" wherever the on-disk
/// format stores one. A device never interprets what it holds; everything above it (the
/// block cache, the file system, its journal) is written against this protocol, so the same
/// code runs on the kernel's virtio disk, on an array of blocks in a host test, and on an
/// image file in the `apus` tool.
///
/// The contract every device keeps:
/// * `read` and `write` move exactly one block; a block number outside `1...blockCount` or a
///   buffer that is not one block long is a caller's bug, not a device error.
/// * A write that returned may still sit in the device's volatile cache; only ``flush()``
///   promises that every write that returned before it is on stable storage. A power cut
///   loses any unflushed write, whole or not at all, but never a flushed one.
/// * A failure the device reports (a bad sector, a removed disk) is
///   ``KernelError/ioError``, and the caller decides what it means.
/// * A call may put the calling thread to sleep until the device is done (the kernel's
///   driver waits for the device's interrupt), so callers hold no spinning lock across it.
public protocol BlockDevice: AnyObject {
    /// How many blocks the device holds; valid block numbers are `1...blockCount`.
    var blockCount: UInt64 { get }

    /// Reads block `block` into `buffer` (exactly ``BlockGeometry/blockSize`` bytes).
    func read(block: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(KernelError)

    /// Writes `buffer` (exactly ``BlockGeometry/blockSize`` bytes) to block `block`.
    func write(block: UInt64, from buffer: UnsafeRawBufferPointer) throws(KernelError)

    /// Returns once every write that returned before this call is on stable storage.
    func flush() throws(KernelError)
}

/// The block size of every Apus disk, equal to the page size, so that one block of a file
/// is one page of the page cache.
public enum BlockGeometry {
    public static let blockSize = 4096
}
