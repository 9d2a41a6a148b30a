/// An inode as it lies in the inode table: what a file is, how big, how many names it has,
/// and where its blocks are (ABI.md §6). 256 bytes, 16 to a block, inode n at index n − 1.
///
/// ```
/// @0    "KeOSFFSI"                @8   u32 ino (its own number; 0 = free)
/// @12   u32 type (0 regular, 1 directory)
/// @16   u64 size                  @24  u64 link_count
/// @32   12 × u64 direct blocks    @128 u64 indirect   @136 u64 double indirect
/// @144  zeros to the end
/// ```
///
/// Block `i` of a file is `direct[i]` for the first 12, then entry `i − 12` of the indirect
/// block (512 block numbers), then entry `(i − 524) % 512` of the block that entry
/// `(i − 524) / 512` of the double indirect block names: at most 12 + 512 + 512² blocks.
/// A block number 0 is a hole, which reads as zeros.
public struct DiskInode: Equatable, Sendable {
    public static let size = 256
    /// The root directory's inode number.
    public static let rootNumber: UInt32 = 1
    public static let perBlock = BlockGeometry.blockSize / size
    public static let magic: [UInt8] = Array("KeOSFFSI".utf8)
    public static let directCount = 12
    /// Block numbers in one indirect block.
    public static let pointersPerBlock = BlockGeometry.blockSize / 8
    /// The most blocks a file can have.
    public static let maximumBlocks = UInt64(directCount + pointersPerBlock + pointersPerBlock * pointersPerBlock)
    /// The largest file, in bytes.
    public static let maximumSize = maximumBlocks * UInt64(BlockGeometry.blockSize)

    static let numberOffset = 8
    static let typeOffset = 12
    static let sizeOffset = 16
    static let linkCountOffset = 24
    static let directOffset = 32
    static let indirectOffset = 128
    static let doubleIndirectOffset = 136
    static let end = 144

    public var number: UInt32
    public var type: FileType
    public var size: UInt64
    public var linkCount: UInt64
    public var direct: [UInt64]
    public var indirect: UInt64
    public var doubleIndirect: UInt64

    /// A new inode with no blocks.
    public init(number: UInt32, type: FileType, size: UInt64 = 0, linkCount: UInt64) {
        self.number = number
        self.type = type
        self.size = size
        self.linkCount = linkCount
        direct = [UInt64](repeating: 0, count: Self.directCount)
        indirect = 0
        doubleIndirect = 0
    }

    /// The inode in the 256 bytes at `offset` of `bytes`, or `nil` when its magic or its
    /// type is wrong.
    init?(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        guard bytes[offset..<offset + 8].elementsEqual(Self.magic),
              let type = FileType(rawValue: bytes.loadLittleEndian(at: offset + Self.typeOffset, as: UInt32.self))
        else { return nil }
        number = bytes.loadLittleEndian(at: offset + Self.numberOffset)
        self.type = type
        size = bytes.loadLittleEndian(at: offset + Self.sizeOffset)
        linkCount = bytes.loadLittleEndian(at: offset + Self.linkCountOffset)
        direct = [UInt64](unsafeUninitializedCapacity: Self.directCount) { buffer, count in
            for index in 0..<Self.directCount { buffer[index] = bytes.loadLittleEndian(at: offset + Self.directOffset + 8 * index) }
            count = Self.directCount
        }
        indirect = bytes.loadLittleEndian(at: offset + Self.indirectOffset)
        doubleIndirect = bytes.loadLittleEndian(at: offset + Self.doubleIndirectOffset)
    }

    /// Writes this inode over the 256 bytes at `offset` of `bytes`.
    func store(into bytes: UnsafeMutableRawBufferPointer, at offset: Int) {
        let record = UnsafeMutableRawBufferPointer(rebasing: bytes[offset..<offset + Self.size])
        record.initializeMemory(as: UInt8.self, repeating: 0)
        record.copyBytes(from: Self.magic)
        record.storeLittleEndian(number, at: Self.numberOffset)
        record.storeLittleEndian(type.rawValue, at: Self.typeOffset)
        record.storeLittleEndian(size, at: Self.sizeOffset)
        record.storeLittleEndian(linkCount, at: Self.linkCountOffset)
        for (index, block) in direct.enumerated() { record.storeLittleEndian(block, at: Self.directOffset + 8 * index) }
        record.storeLittleEndian(indirect, at: Self.indirectOffset)
        record.storeLittleEndian(doubleIndirect, at: Self.doubleIndirectOffset)
    }

    /// Clears the 256 bytes at `offset` of `bytes`: the slot of a freed inode.
    static func clear(_ bytes: UnsafeMutableRawBufferPointer, at offset: Int) {
        UnsafeMutableRawBufferPointer(rebasing: bytes[offset..<offset + size]).initializeMemory(as: UInt8.self, repeating: 0)
    }

    /// How many blocks the file's size covers.
    public var blocksCovered: UInt64 {
        size / UInt64(BlockGeometry.blockSize) + (size % UInt64(BlockGeometry.blockSize) == 0 ? 0 : 1)
    }
}

/// What an inode is: KeOS's two kinds of file.
public enum FileType: UInt32, Equatable, Sendable {
    case regular = 0
    case directory = 1
}
