/// A directory's contents on the disk: blocks of 16 entries of 256 bytes (ABI.md §6).
///
/// ```
/// @0  u32 inode number (0 = a free slot)
/// @4  u8  name length (1…251)
/// @5  the name's bytes, zeros after them
/// ```
///
/// Every directory's first block starts with `.` (the directory itself) and `..` (its
/// parent; the root's is the root). A slot is numbered across the whole directory,
/// `block index × 16 + entry index`: that number is the `readdir` cursor, and the order of
/// slots is the order `readdir` reports, so a new entry takes the first free slot (the one
/// a removed entry left, or a new block's first).
public enum DirectoryBlock {
    public static let entrySize = 256
    public static let entriesPerBlock = BlockGeometry.blockSize / entrySize
    /// The longest name a directory entry holds.
    public static let maximumNameLength = 251
    static let nameLengthOffset = 4
    static let nameOffset = 5

    public static let dot: [UInt8] = [UInt8(ascii: ".")]
    public static let dotDot: [UInt8] = [UInt8(ascii: "."), UInt8(ascii: ".")]

    /// One entry: the inode it names and its name.
    public struct Entry: Equatable, Sendable {
        public var inode: UInt32
        public var name: [UInt8]
        public init(inode: UInt32, name: [UInt8]) {
            self.inode = inode
            self.name = name
        }
    }

    /// What slot `index` of the block `bytes` holds: `nil` for a free slot, `.damaged` for a
    /// name length out of range.
    enum Slot: Equatable {
        case free
        case used(inode: UInt32, nameLength: Int)
        case damaged
    }

    static func slot(_ index: Int, in bytes: UnsafeRawBufferPointer) -> Slot {
        let base = index * entrySize
        let inode: UInt32 = bytes.loadLittleEndian(at: base)
        guard inode != 0 else { return .free }
        let length = Int(bytes[base + nameLengthOffset])
        guard length >= 1, length <= maximumNameLength else { return .damaged }
        return .used(inode: inode, nameLength: length)
    }

    /// Whether the entry at `index` of `bytes`, of `length` bytes, is called `name`.
    static func name(at index: Int, length: Int, in bytes: UnsafeRawBufferPointer, equals name: [UInt8]) -> Bool {
        guard length == name.count else { return false }
        let start = index * entrySize + nameOffset
        return bytes[start..<start + length].elementsEqual(name)
    }

    /// The name of the entry at `index` of `bytes`, of `length` bytes.
    static func name(at index: Int, length: Int, in bytes: UnsafeRawBufferPointer) -> [UInt8] {
        let start = index * entrySize + nameOffset
        return Array(bytes[start..<start + length])
    }

    /// Writes an entry naming `inode` as `name` into slot `index` of `bytes`.
    static func store(_ inode: UInt32, named name: [UInt8], at index: Int, in bytes: UnsafeMutableRawBufferPointer) {
        precondition(!name.isEmpty && name.count <= maximumNameLength)
        clear(index, in: bytes)
        let base = index * entrySize
        bytes.storeLittleEndian(inode, at: base)
        bytes[base + nameLengthOffset] = UInt8(name.count)
        UnsafeMutableRawBufferPointer(rebasing: bytes[(base + nameOffset)...]).copyBytes(from: name)
    }

    /// Frees slot `index` of `bytes`.
    static func clear(_ index: Int, in bytes: UnsafeMutableRawBufferPointer) {
        let base = index * entrySize
        UnsafeMutableRawBufferPointer(rebasing: bytes[base..<base + entrySize]).initializeMemory(as: UInt8.self, repeating: 0)
    }
}

/// A path as a system call gives it, split and checked (ABI.md §6): absolute or relative,
/// its components, and whether it ends with `/`.
///
/// Empty components (repeated `/`) are dropped. Checked before anything is looked up, in
/// this order: an empty path is ``KernelError/noSuchEntry``; a component over 251 bytes is
/// ``KernelError/nameTooLong``; one that is not UTF-8, or holds a NUL byte, is
/// ``KernelError/invalidArgument``.
public struct PathName: Equatable, Sendable {
    public let isAbsolute: Bool
    public let components: [[UInt8]]
    /// The path ends with `/` after a component: its last component must be a directory.
    public let hasTrailingSlash: Bool

    public init(_ bytes: [UInt8]) throws(KernelError) {
        guard !bytes.isEmpty else { throw .noSuchEntry }
        let slash = UInt8(ascii: "/")
        isAbsolute = bytes[0] == slash
        var components: [[UInt8]] = []
        for part in bytes.split(separator: slash, omittingEmptySubsequences: true) {
            guard part.count <= DirectoryBlock.maximumNameLength else { throw .nameTooLong }
            components.append(Array(part))
        }
        for component in components where component.contains(0) || !isValidUTF8(component) {
            throw .invalidArgument
        }
        self.components = components
        hasTrailingSlash = bytes.last == slash && !components.isEmpty
    }
}
