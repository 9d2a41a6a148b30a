/// The calls that change or read the tree by path: `create`, `mkdir`, `unlink`, `stat`, and
/// `chdir`'s lookup (ABI.md §6). Each path is walked from the caller's current directory;
/// each change is one transaction, so it happens wholly or not at all, and an error changes
/// nothing.
extension FileSystem {
    /// `create(path)`: a new, empty regular file. ``KernelError/fileExist`` when the name is
    /// taken, ``KernelError/noSuchEntry`` when the parent is missing (or was removed),
    /// ``KernelError/isDirectory`` for a name ending in `/`, besides the path errors.
    public func create(_ path: [UInt8], from currentDirectory: UInt32) throws(KernelError) {
        let resolved = try walk(path, from: currentDirectory)
        var parent = try parentForNewEntry(resolved)
        if resolved.mustBeDirectory { throw .isDirectory }
        try keepingIndexes(of: [parent.number]) { () throws(KernelError) in
            var transaction = store.begin()
            let file = try makeInode(.regular, linkCount: 1, in: &transaction)
            try addEntry(resolved.name!, inode: file.number, to: &parent, in: &transaction)
            try transaction.commit()
        }
    }

    /// `mkdir(path)`: a new directory holding `.` and `..`. ``KernelError/fileExist`` when
    /// the name is taken, ``KernelError/noSuchEntry`` when the parent is missing.
    public func makeDirectory(_ path: [UInt8], from currentDirectory: UInt32) throws(KernelError) {
        let resolved = try walk(path, from: currentDirectory)
        var parent = try parentForNewEntry(resolved)
        guard parent.linkCount < UInt64(UInt32.max) else { throw .ioError }
        try keepingIndexes(of: [parent.number]) { () throws(KernelError) in
            var transaction = store.begin()
            var directory = try makeInode(.directory, linkCount: 2, in: &transaction)
            let first = try mapBlock(of: &directory, at: 0, in: &transaction)
            try writeFirstBlock(first.block, of: directory.number, parent: parent.number, in: &transaction)
            directory.size = UInt64(BlockGeometry.blockSize)
            try write(directory, in: &transaction)
            parent.linkCount += 1
            try addEntry(resolved.name!, inode: directory.number, to: &parent, in: &transaction)
            try write(parent, in: &transaction)
            try transaction.commit()
        }
    }

    /// `unlink(path)`: removes a regular file or an empty directory. ``KernelError/busy`` for
    /// a last component `.` or `..` (or the root), ``KernelError/directoryNotEmpty``,
    /// ``KernelError/noSuchEntry``. An inode still open loses its name but lives on, with its
    /// blocks, until ``release(_:)`` drops its last user (or the next mount).
    public func unlink(_ path: [UInt8], from currentDirectory: UInt32) throws(KernelError) {
        let resolved = try walk(path, from: currentDirectory)
        if resolved.namesADirectoryItself { throw .busy }
        guard let number = resolved.target, let slot = resolved.slot else { throw .noSuchEntry }
        var target = try inode(number)
        if resolved.mustBeDirectory, target.type != .directory { throw .notDirectory }
        var parent = resolved.parent
        // An entry naming the root or its own directory is damage: nothing to remove safely.
        guard number != Self.rootInode, number != parent.number else { throw .ioError }
        if target.type == .directory, try !isEmpty(target) { throw .directoryNotEmpty }
        try keepingIndexes(of: [parent.number]) { () throws(KernelError) in
            var transaction = store.begin()
            try removeEntry(at: slot, named: resolved.name!, from: parent, in: &transaction)
            if target.type == .directory {
                parent.linkCount = parent.linkCount > 2 ? parent.linkCount - 1 : 2
                try write(parent, in: &transaction)
            }
            let destroyed = try dropLink(of: &target, in: &transaction)
            try transaction.commit()
            if destroyed { pages.discard(inode: number) }
        }
    }

    /// `stat(path)`: the inode number, type and size of what `path` names.
    public func status(_ path: [UInt8], from currentDirectory: UInt32) throws(KernelError) -> FileStatus {
        FileStatus(try existingInode(path, from: currentDirectory))
    }

    /// `stat` of an inode already in hand (an open file).
    public func status(ofInode number: UInt32) throws(KernelError) -> FileStatus {
        FileStatus(try inode(number))
    }

    /// `chdir(path)`'s lookup: the directory `path` names. ``KernelError/noSuchEntry``,
    /// ``KernelError/notDirectory``. The caller ``retain(_:)``s the new current directory
    /// and ``release(_:)``s the old one.
    public func directory(_ path: [UInt8], from currentDirectory: UInt32) throws(KernelError) -> UInt32 {
        let target = try existingInode(path, from: currentDirectory)
        guard target.type == .directory else { throw .notDirectory }
        return target.number
    }

    /// Takes a name away from `target`, in `transaction`: a directory loses its last (it
    /// goes with its one entry), a file one. An inode left with no name is destroyed unless
    /// it is open (it then lives on until its last user lets go); returns whether it was.
    func dropLink(of target: inout DiskInode, in transaction: inout Transaction<Memory>) throws(KernelError) -> Bool {
        if target.type == .directory {
            target.linkCount = 0
        } else {
            target.linkCount = target.linkCount > 0 ? target.linkCount - 1 : 0
        }
        let destroyed = target.linkCount == 0 && openCount(of: target.number) == 0
        if destroyed { try destroy(target, in: &transaction) } else { try write(target, in: &transaction) }
        return destroyed
    }

    /// The parent of a new entry named by `resolved`, checked: the name is free (else
    /// ``KernelError/fileExist``) and the parent has not been removed.
    private func parentForNewEntry(_ resolved: ResolvedPath) throws(KernelError) -> DiskInode {
        guard resolved.target == nil, resolved.name != nil else { throw .fileExist }
        guard resolved.parent.linkCount > 0 else { throw .noSuchEntry }
        return resolved.parent
    }
}

/// What `stat` reports (ABI.md §6), and its 32-byte record:
/// `{u64 ino @0; u32 type @8 (0 regular, 1 directory); u64 size @16; u32 0 @24}`; and the
/// inode's link count, which the record leaves out (for tools, and for a Linux `stat`).
public struct FileStatus: Equatable, Sendable {
    public static let recordSize = 32
    public var inode: UInt64
    public var type: FileType
    /// Bytes for a regular file; 4096 times its blocks for a directory.
    public var size: UInt64
    /// The names of a regular file; 2 plus the subdirectories of a directory.
    public var linkCount: UInt64

    public init(inode: UInt64, type: FileType, size: UInt64, linkCount: UInt64 = 1) {
        self.inode = inode
        self.type = type
        self.size = size
        self.linkCount = linkCount
    }

    init(_ inode: DiskInode) {
        self.init(inode: UInt64(inode.number), type: inode.type, size: inode.size, linkCount: inode.linkCount)
    }

    /// The record a program receives.
    public var record: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.recordSize)
        bytes.replaceSubrange(0..<8, with: inode.littleEndianBytes)
        bytes.replaceSubrange(8..<12, with: type.rawValue.littleEndianBytes)
        bytes.replaceSubrange(16..<24, with: size.littleEndianBytes)
        return bytes
    }
}
