/// A regular file of the root file system: a fixed run of bytes, read and overwritten in
/// place. In the base file system files never grow (ABI.md §2): a write past the end is cut
/// at the end.
///
/// The bytes live wherever the file system keeps them (in the kernel, inside the root file
/// system image the loader put in memory), and every open of the file sees the same bytes.
public final class RegularFile: MappableFile {
    /// The file's name in the root directory.
    public let name: [UInt8]
    /// Where the file stands in its root file system image (from 0), if it is in one: how
    /// the kernel names a file to the host without sending its name (``MemoryMapRecords``).
    public let index: Int?
    private let storage: UnsafeMutableRawBufferPointer

    public init(name: [UInt8], storage: UnsafeMutableRawBufferPointer, index: Int? = nil) {
        self.name = name
        self.storage = storage
        self.index = index
    }

    public var size: UInt64 { UInt64(storage.count) }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard offset < size else { return 0 }
        let count = min(buffer.count, storage.count - Int(offset))
        buffer.baseAddress!.copyMemory(from: storage.baseAddress! + Int(offset), byteCount: count)
        return count
    }

    /// The file's bytes from `offset` to its end (empty at or past the end), for copying
    /// straight to a program.
    public func bytes(from offset: UInt64, count: Int) -> UnsafeRawBufferPointer {
        guard offset < size else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: storage.baseAddress! + Int(offset), count: min(count, storage.count - Int(offset)))
    }

    /// The file's bytes from `offset` as a writable buffer of at most `count` bytes (shorter
    /// at the end of the file, empty past it).
    public func writableBytes(from offset: UInt64, count: Int) -> UnsafeMutableRawBufferPointer {
        guard offset < size else { return UnsafeMutableRawBufferPointer(start: nil, count: 0) }
        return UnsafeMutableRawBufferPointer(start: storage.baseAddress! + Int(offset), count: min(count, storage.count - Int(offset)))
    }
}
