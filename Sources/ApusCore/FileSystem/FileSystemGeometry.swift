/// Where everything lives on a KeOS fast-file-system disk (ABI.md §6), computed from the
/// three numbers the superblock gives: the block count, the inode count, and whether there is
/// a journal.
///
/// ```
/// block 1                      superblock
/// block 2 …                    inode bitmap   ⌈⌈inode_count/8⌉/4096⌉ blocks
///                              block bitmap   ⌈⌈block_count/8⌉/4096⌉ blocks
///                              journal        4,098 blocks, when has_journal ≠ 0
///                              inode table    ⌈256·inode_count/4096⌉ blocks
/// firstDataBlock … block_count data blocks (directories, file contents, indirect blocks)
/// ```
///
/// Bit k of the block bitmap is block number k (bit 0, for the block that does not exist,
/// is always set), so the bitmap describes blocks up to its bit count minus one; a block
/// count that fills the bitmap exactly leaves its last block without a bit, and that block
/// is never used (``lastUsableBlock``).
public struct FileSystemGeometry: Equatable, Sendable, CustomStringConvertible {
    public var blockCount: UInt64
    public var inodeCount: UInt64
    public var hasJournal: Bool

    /// KeOS's default image: 250,000 blocks, 32,768 inodes, a journal.
    public static let keos = FileSystemGeometry(blockCount: 250_000, inodeCount: 32_768, hasJournal: true)

    static let bitsPerBlock = UInt64(BlockGeometry.blockSize) * 8
    static let blockSize = UInt64(BlockGeometry.blockSize)
    /// The most inodes the format's 32-bit inode numbers and this implementation allow.
    public static let maximumInodeCount: UInt64 = 1 << 24
    /// The most blocks this implementation accepts (16 TiB).
    public static let maximumBlockCount: UInt64 = 1 << 32

    public init(blockCount: UInt64, inodeCount: UInt64, hasJournal: Bool) {
        self.blockCount = blockCount
        self.inodeCount = inodeCount
        self.hasJournal = hasJournal
    }

    public var superblock: UInt64 { 1 }
    public var inodeBitmapStart: UInt64 { 2 }
    public var inodeBitmapBlocks: UInt64 { Self.blocks(forBits: inodeCount) }
    public var blockBitmapStart: UInt64 { inodeBitmapStart + inodeBitmapBlocks }
    public var blockBitmapBlocks: UInt64 { Self.blocks(forBits: blockCount) }
    /// The journal's place, when there is one.
    public var journal: JournalFormat? { hasJournal ? JournalFormat(start: blockBitmapStart + blockBitmapBlocks) : nil }
    public var inodeTableStart: UInt64 { blockBitmapStart + blockBitmapBlocks + (hasJournal ? JournalFormat.blockCount : 0) }
    public var inodeTableBlocks: UInt64 { (inodeCount * UInt64(DiskInode.size) + Self.blockSize - 1) / Self.blockSize }
    /// The first block that holds data; every block before it is metadata.
    public var firstDataBlock: UInt64 { inodeTableStart + inodeTableBlocks }
    /// The last block a file may use.
    public var lastUsableBlock: UInt64 { blockBitmapBlocks == 0 ? 0 : min(blockCount, blockBitmapBlocks * Self.bitsPerBlock - 1) }
    /// How many data blocks there are.
    public var dataBlockCount: UInt64 { lastUsableBlock >= firstDataBlock ? lastUsableBlock - firstDataBlock + 1 : 0 }

    /// The block and byte offset of inode `number` in the inode table.
    public func place(ofInode number: UInt32) -> (block: UInt64, offset: Int) {
        let index = UInt64(number) - 1
        return (inodeTableStart + index / UInt64(DiskInode.perBlock), Int(index % UInt64(DiskInode.perBlock)) * DiskInode.size)
    }

    /// The bitmap block and the byte and bit in it that describe item `index` of a bitmap
    /// starting at `start`.
    static func bit(_ index: UInt64, inBitmapAt start: UInt64) -> (block: UInt64, byte: Int, mask: UInt8) {
        (start + index / bitsPerBlock, Int(index % bitsPerBlock / 8), UInt8(1) << (index % 8))
    }

    /// Why this geometry cannot describe a disk of `deviceBlocks` blocks, or `nil` when it can.
    public func problem(onDeviceOf deviceBlocks: UInt64) -> String? {
        if inodeCount == 0 || inodeCount > Self.maximumInodeCount { return "the inode count \(inodeCount) is not in 1…\(Self.maximumInodeCount)" }
        if blockCount < 2 { return "the block count \(blockCount) leaves no room for a file system" }
        if blockCount > Self.maximumBlockCount { return "the block count \(blockCount) is above \(Self.maximumBlockCount)" }
        if blockCount > deviceBlocks { return "the block count \(blockCount) is larger than the device (\(deviceBlocks) blocks)" }
        if firstDataBlock > lastUsableBlock { return "\(blockCount) blocks leave no room for data after \(firstDataBlock - 1) blocks of metadata" }
        return nil
    }

    public var description: String {
        "\(blockCount) blocks, \(inodeCount) inodes, \(hasJournal ? "with" : "without") a journal; data from block \(firstDataBlock)"
    }

    private static func blocks(forBits bits: UInt64) -> UInt64 {
        ((bits + 7) / 8 + blockSize - 1) / blockSize
    }
}

/// Why a disk cannot be mounted: a damaged image, or a device that failed while it was read.
/// To a program, it is ``KernelError/ioError``.
public struct MountFailure: Error, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
    public var kernelError: KernelError { .ioError }
}
