/// KeOS's fast file system on a block device (ABI.md §6): the tree of directories and
/// regular files that system calls 14–20, `open`, `read`, `write` and file `mmap` reach.
///
/// The layers, bottom up: a ``BlockDevice``; the ``BlockCache`` (metadata) and the
/// ``PageCache`` (file bytes), both in physical frames; the ``MetadataStore``, through whose
/// ``Transaction``s every metadata change goes and whose journal makes each one atomic; and
/// this type, which knows the on-disk format (``Superblock``, the bitmaps, ``DiskInode``,
/// ``DirectoryBlock``) and offers the operations. Its files:
/// * `FileSystem.swift`: mounting (every cheap check of a damaged image, journal recovery,
///   the orphans a power cut left) and unmounting.
/// * `Inodes.swift`, `Blocks.swift`, `BlockMap.swift`: inodes, the two bitmaps, and the map
///   from a file's block index to a disk block.
/// * `Directories.swift`, `PathWalk.swift`: directory entries and the one path walk every
///   path call shares; `DirectoryIndex.swift`, `DirectoryIndexing.swift`: the in-memory
///   index of a large directory's names and free slots, so that a lookup or a new entry
///   does not read the whole directory.
/// * `Namespace.swift`, `Renaming.swift`, `OpenFiles.swift`, `FileData.swift`: the operations.
///
/// A disk is input like any other: every number read from it is checked before use (a
/// block number must name a data block marked used, an inode number an inode marked used
/// whose record is whole), and every walk is bounded by sizes that are themselves checked,
/// so damage makes the call that meets it fail with ``KernelError/ioError`` and never
/// reads or writes outside the disk. Writes go only to blocks the file system allocated.
public final class FileSystem<Memory: PhysicalMemory> {
    /// The root directory's inode number.
    public static var rootInode: UInt32 { DiskInode.rootNumber }

    public let geometry: FileSystemGeometry
    public let store: MetadataStore<Memory>
    /// Open counts of inodes in use by open files and current directories (inode → count).
    var openCounts = AddressMap<UInt64>()
    /// How many open counts reached zero and wait for a moment when the file system may be
    /// used (OpenFiles.swift).
    var unsettledReleases = 0
    /// The ``InodeHandle``s alive (at most ``inodeHandleLimit``, besides roots).
    public internal(set) var handleCount = 0
    /// Where the next block and inode searches start.
    var blockHint: UInt64
    var inodeHint: UInt64 = 0
    /// The in-memory indexes of large directories (DirectoryIndex.swift).
    var directoryIndexes = DirectoryIndexes()
    /// Orphans (unlinked inodes still open) freed at mount.
    public internal(set) var orphansFreedAtMount = 0

    public var device: any BlockDevice { store.device }
    public var frames: FrameAllocator<Memory> { store.frames }
    var pages: PageCache<Memory> { store.pages }

    /// How big the caches may grow, and whether the image is brand new.
    public struct Options: Sendable {
        /// Blocks, at least 1,022 (two transactions' worth).
        public var blockCacheCapacity = BlockCache<Memory>.defaultCapacity
        public var pageCacheCapacity = PageCache<Memory>.defaultCapacity
        /// Free frames the page cache leaves to others (``PageCache/reserve``).
        public var pageCacheReserve = 0
        /// For ``FileSystemImage/make(on:geometry:tree:frames:)`` only: nobody has seen the
        /// image, so changes go straight home and all-zero blocks are never written.
        var imageIsFresh = false
        public init() {}
    }

    private init(geometry: FileSystemGeometry, store: MetadataStore<Memory>) {
        self.geometry = geometry
        self.store = store
        blockHint = geometry.firstDataBlock
    }

    /// Mounts the file system on `device`, its caches taking frames from `frames`.
    ///
    /// Replays a committed journal transaction, then checks what is cheap to check: the
    /// magic, a geometry that fits the device, the counts against the bitmaps, the metadata
    /// area marked used, every used inode whole, the root a directory. A damaged image is
    /// refused with the reason. Inodes a power cut left unlinked but allocated (files
    /// deleted while open) are freed.
    public static func mount(_ device: any BlockDevice, frames: FrameAllocator<Memory>, options: Options = Options()) throws(MountFailure) -> FileSystem {
        var superblock = try readSuperblock(device)
        var transactionID: UInt64 = 0
        if let journal = superblock.geometry.journal, !options.imageIsFresh {
            transactionID = try JournalRecovery.recover(journal, on: device, validHomes: 1...superblock.blockCount)
            superblock = try readSuperblock(device)
        }
        let geometry = superblock.geometry
        // The block cache must hold a committed transaction owed home and more besides.
        let cache = BlockCache(device: device, frames: frames, capacity: max(options.blockCacheCapacity, 2 * JournalFormat.maximumBlocksPerTransaction))
        let pages = PageCache(device: device, frames: frames, capacity: options.pageCacheCapacity, reserve: options.pageCacheReserve)
        let store = MetadataStore(cache: cache, pages: pages, journal: geometry.journal, lastTransactionID: transactionID, imageIsFresh: options.imageIsFresh)
        let fileSystem = FileSystem(geometry: geometry, store: store)
        try fileSystem.checkBitmaps(against: superblock)
        try fileSystem.freeOrphans()
        return fileSystem
    }

    /// Settles the deferred releases, writes every dirty page and the running group to the
    /// disk and flushes; the file system stays mounted.
    public func sync() throws(KernelError) {
        settleReleases()
        try pages.writeBackAll()
        try store.commitGroup()
        try device.flush()
    }

    /// Writes everything to the disk (``sync()``) and gives every cached frame back. After
    /// it, the file system must not be used; inodes still open stay allocated on the disk,
    /// and the next mount frees those that are unlinked.
    public func unmount() throws(KernelError) {
        try sync()
        if frames.reclaimer === self { frames.reclaimer = nil }
        pages.dropAll()
        store.cache.dropAll()
        directoryIndexes.dropAll()
    }

    private static func readSuperblock(_ device: any BlockDevice) throws(MountFailure) -> Superblock {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: BlockGeometry.blockSize, alignment: 8)
        defer { buffer.deallocate() }
        guard device.blockCount >= 1 else { throw MountFailure("the device has no blocks") }
        do { try device.read(block: 1, into: buffer) } catch { throw MountFailure("the device failed to read the superblock") }
        guard let superblock = Superblock(UnsafeRawBufferPointer(buffer)) else { throw MountFailure("block 1 is not a KeOS file system superblock (no KeOSFFS magic)") }
        let geometry = superblock.geometry
        if let problem = geometry.problem(onDeviceOf: device.blockCount) { throw MountFailure(problem) }
        guard superblock.usedInodeCount >= 1, superblock.usedInodeCount <= geometry.inodeCount else {
            throw MountFailure("the superblock counts \(superblock.usedInodeCount) inodes in use of \(geometry.inodeCount)")
        }
        guard superblock.usedBlockCount <= geometry.dataBlockCount else {
            throw MountFailure("the superblock counts \(superblock.usedBlockCount) data blocks in use of \(geometry.dataBlockCount)")
        }
        return superblock
    }
}

/// The caches' frames are the frame allocator's reserve: when no frame is free, the
/// allocator takes clean file pages and metadata blocks back (without a disk write, so any
/// allocation anywhere may ask). The kernel makes the mounted file system the allocator's
/// ``FrameAllocator/reclaimer``.
extension FileSystem: FrameReclaimer {
    public func reclaimFrames(_ count: Int) -> Int {
        let fromPages = pages.releaseCleanFrames(count)
        return fromPages + store.cache.releaseFrames(count - fromPages)
    }
}
