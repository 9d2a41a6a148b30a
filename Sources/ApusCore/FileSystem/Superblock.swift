/// Block 1 of every disk: what the file system is and how full it is (ABI.md §6).
///
/// ```
/// @0   "KeOSFFS\0"
/// @8   u64 block_count          @16  u64 block_count_inused (data blocks in use)
/// @24  u64 inode_count          @32  u64 inode_count_inused
/// @40  u64 has_journal          zeros to the end of the block
/// ```
///
/// The two "inused" counts are kept true by every transaction that takes or frees a block
/// or an inode, in the same transaction, so they can never disagree with the bitmaps on disk.
public struct Superblock: Equatable, Sendable {
    public static let magic: [UInt8] = Array("KeOSFFS\0".utf8)
    static let blockCountOffset = 8
    static let usedBlockCountOffset = 16
    static let inodeCountOffset = 24
    static let usedInodeCountOffset = 32
    static let hasJournalOffset = 40
    /// Bytes from here to the end of the block are zero.
    static let end = 48

    public var blockCount: UInt64
    public var usedBlockCount: UInt64
    public var inodeCount: UInt64
    public var usedInodeCount: UInt64
    /// The raw `has_journal` word: non-zero means there is a journal.
    public var hasJournal: UInt64

    public init(geometry: FileSystemGeometry, usedBlockCount: UInt64, usedInodeCount: UInt64) {
        blockCount = geometry.blockCount
        self.usedBlockCount = usedBlockCount
        inodeCount = geometry.inodeCount
        self.usedInodeCount = usedInodeCount
        hasJournal = geometry.hasJournal ? 1 : 0
    }

    /// The superblock in `bytes` (a whole block), or `nil` when its magic is wrong.
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Self.end, bytes[0..<8].elementsEqual(Self.magic) else { return nil }
        blockCount = UInt64(littleEndianBytes: bytes, at: Self.blockCountOffset)
        usedBlockCount = UInt64(littleEndianBytes: bytes, at: Self.usedBlockCountOffset)
        inodeCount = UInt64(littleEndianBytes: bytes, at: Self.inodeCountOffset)
        usedInodeCount = UInt64(littleEndianBytes: bytes, at: Self.usedInodeCountOffset)
        hasJournal = UInt64(littleEndianBytes: bytes, at: Self.hasJournalOffset)
    }

    public var geometry: FileSystemGeometry {
        FileSystemGeometry(blockCount: blockCount, inodeCount: inodeCount, hasJournal: hasJournal != 0)
    }

    /// Writes this superblock over `bytes` (a whole block).
    public func store(into bytes: UnsafeMutableRawBufferPointer) {
        bytes.initializeMemory(as: UInt8.self, repeating: 0)
        bytes.copyBytes(from: Self.magic)
        bytes.storeLittleEndian(blockCount, at: Self.blockCountOffset)
        bytes.storeLittleEndian(usedBlockCount, at: Self.usedBlockCountOffset)
        bytes.storeLittleEndian(inodeCount, at: Self.inodeCountOffset)
        bytes.storeLittleEndian(usedInodeCount, at: Self.usedInodeCountOffset)
        bytes.storeLittleEndian(hasJournal, at: Self.hasJournalOffset)
    }

    /// Changes the count of used data blocks in superblock `bytes` by `delta`.
    static func adjustUsedBlocks(by delta: Int64, in bytes: UnsafeMutableRawBufferPointer) {
        let count = UInt64(littleEndianBytes: UnsafeRawBufferPointer(bytes), at: usedBlockCountOffset)
        bytes.storeLittleEndian(count &+ UInt64(bitPattern: delta), at: usedBlockCountOffset)
    }

    /// Changes the count of used inodes in superblock `bytes` by `delta`.
    static func adjustUsedInodes(by delta: Int64, in bytes: UnsafeMutableRawBufferPointer) {
        let count = UInt64(littleEndianBytes: UnsafeRawBufferPointer(bytes), at: usedInodeCountOffset)
        bytes.storeLittleEndian(count &+ UInt64(bitPattern: delta), at: usedInodeCountOffset)
    }
}

extension UnsafeMutableRawBufferPointer {
    /// Stores `value` least significant byte first at `offset`.
    @inlinable
    func storeLittleEndian<Value: FixedWidthInteger>(_ value: Value, at offset: Int) {
        storeBytes(of: value.littleEndian, toByteOffset: offset, as: Value.self)
    }
}

extension UnsafeRawBufferPointer {
    /// The integer stored least significant byte first at `offset`.
    @inlinable
    func loadLittleEndian<Value: FixedWidthInteger>(at offset: Int, as type: Value.Type = Value.self) -> Value {
        Value(littleEndian: loadUnaligned(fromByteOffset: offset, as: Value.self))
    }
}
