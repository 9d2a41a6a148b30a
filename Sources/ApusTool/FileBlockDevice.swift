import ApusCore
import Foundation

#if os(Linux)
/// lseek's whence for the next data and the next hole (Glibc declares them only with _GNU_SOURCE).
private let seekData: Int32 = 3, seekHole: Int32 = 4
#else
private let seekData = SEEK_DATA, seekHole = SEEK_HOLE
#endif

/// A disk image file on the host, as a ``BlockDevice``: what `apus mkfs`, `apus fsck` and the
/// image tools read and write, with the same core code the kernel runs on its virtio disk.
///
/// Block n is bytes (n − 1)·4096 up to n·4096 − 1 of the file. A new image is made by
/// setting the file's size without writing it, so it is sparse: the host stores only the
/// blocks mkfs writes (mkfs writes only blocks that are not all zero), and a 1 GiB image of
/// a few programs takes a few megabytes. Reads past the end of a shorter file read zeros.
/// ``flush()`` is `fsync(2)`: the host's promise that the bytes are on its disk.
public final class FileBlockDevice: BlockDevice {
    public let blockCount: UInt64
    public let path: String
    /// Whether ``flush()`` asks the host to make the writes durable (`fsync(2)`); an image
    /// thrown away after one run need not be.
    public var flushesToDisk = true
    private let descriptor: Int32

    /// Opens the image at `path`; its block count is its size in whole blocks. A read-only
    /// image (`readOnly`) fails every write with ``KernelError/ioError``.
    public init(openingImageAt path: String, readOnly: Bool = false) throws(ToolError) {
        self.path = path
        descriptor = open(path, (readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC)
        guard descriptor >= 0 else { throw ToolError("cannot open the disk image \(path): \(String(cString: strerror(errno)))") }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            close(descriptor)
            throw ToolError("cannot read the size of the disk image \(path)")
        }
        blockCount = UInt64(status.st_size) / UInt64(BlockGeometry.blockSize)
    }

    /// Makes a new, empty (all-zero, sparse) image of `blockCount` blocks at `path`,
    /// replacing any file there.
    public init(creatingImageAt path: String, blockCount: UInt64) throws(ToolError) {
        self.path = path
        self.blockCount = blockCount
        descriptor = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ToolError("cannot make the disk image \(path): \(String(cString: strerror(errno)))") }
        guard ftruncate(descriptor, off_t(blockCount) * off_t(BlockGeometry.blockSize)) == 0 else {
            close(descriptor)
            throw ToolError("cannot size the disk image \(path) to \(blockCount) blocks")
        }
    }

    deinit { close(descriptor) }

    public func read(block: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(KernelError) {
        precondition(block >= 1 && block <= blockCount && buffer.count == BlockGeometry.blockSize, "read outside the image")
        var done = 0
        while done < buffer.count {
            let count = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, offset(of: block) + off_t(done))
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw .ioError }
            if count == 0 {
                // Past the end of the file: zeros.
                UnsafeMutableRawBufferPointer(rebasing: buffer[done...]).initializeMemory(as: UInt8.self, repeating: 0)
                return
            }
            done += count
        }
    }

    public func write(block: UInt64, from buffer: UnsafeRawBufferPointer) throws(KernelError) {
        precondition(block >= 1 && block <= blockCount && buffer.count == BlockGeometry.blockSize, "write outside the image")
        var done = 0
        while done < buffer.count {
            let count = pwrite(descriptor, buffer.baseAddress! + done, buffer.count - done, offset(of: block) + off_t(done))
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw .ioError }
            done += count
        }
    }

    public func flush() throws(KernelError) {
        guard flushesToDisk else { return }
        guard fsync(descriptor) == 0 else { throw .ioError }
    }

    /// The bytes of the image the host's disk holds (a sparse image holds less than its size).
    public var allocatedBytes: UInt64 {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return 0 }
        return UInt64(status.st_blocks) * 512
    }

    /// The blocks that hold data, in order (the rest of a sparse image is holes, which read as
    /// zeros), found with lseek's SEEK_DATA and SEEK_HOLE and widened to whole blocks; `nil`
    /// when the host cannot say.
    public func blocksHoldingData() -> [ClosedRange<UInt64>]? {
        let size = off_t(blockCount) * off_t(BlockGeometry.blockSize)
        var ranges: [ClosedRange<UInt64>] = []
        var position: off_t = 0
        while position < size {
            let start = lseek(descriptor, position, seekData)
            guard start >= 0 else { return errno == ENXIO ? ranges : nil } // ENXIO: no data past `position`
            guard start < size else { return ranges }
            let end = min(lseek(descriptor, start, seekHole), size)
            guard end > start else { return nil }
            let blockSize = off_t(BlockGeometry.blockSize)
            ranges.append(UInt64(start / blockSize + 1)...UInt64((end + blockSize - 1) / blockSize))
            position = (end + blockSize - 1) / blockSize * blockSize
        }
        return ranges
    }

    private func offset(of block: UInt64) -> off_t {
        off_t(block - 1) * off_t(BlockGeometry.blockSize)
    }
}
