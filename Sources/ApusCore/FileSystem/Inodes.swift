/// Inodes: reading them with every check a damaged disk calls for, writing them in a
/// transaction, making and destroying them.
extension FileSystem {
    /// Inode `number`, checked: in the table's range, marked used, its record whole (magic,
    /// its own number, a known type), its size at most the largest file's, and a directory's
    /// size a whole, non-zero number of blocks. ``KernelError/ioError`` otherwise.
    public func inode(_ number: UInt32) throws(KernelError) -> DiskInode {
        guard number >= 1, UInt64(number) <= geometry.inodeCount, try isInodeUsed(number) else { throw .ioError }
        let place = geometry.place(ofInode: number)
        guard let inode = try store.withBlock(place.block, { DiskInode($0, at: place.offset) }),
              inode.number == number, inode.size <= DiskInode.maximumSize
        else { throw .ioError }
        if inode.type == .directory {
            guard inode.size > 0, inode.size % UInt64(BlockGeometry.blockSize) == 0 else { throw .ioError }
        }
        return inode
    }

    /// Writes `inode` to its slot of the inode table.
    func write(_ inode: DiskInode, in transaction: inout Transaction<Memory>) throws(KernelError) {
        let place = geometry.place(ofInode: inode.number)
        try transaction.modify(place.block) { inode.store(into: $0, at: place.offset) }
    }

    /// A new inode of `type` with `linkCount` links and no blocks, written to the table.
    func makeInode(_ type: FileType, linkCount: UInt64, in transaction: inout Transaction<Memory>) throws(KernelError) -> DiskInode {
        let number = try takeInodeNumber(in: &transaction)
        let inode = DiskInode(number: number, type: type, linkCount: linkCount)
        try write(inode, in: &transaction)
        return inode
    }

    /// Frees every block of `inode` and the inode itself, and forgets its cached pages.
    func destroy(_ inode: DiskInode, in transaction: inout Transaction<Memory>) throws(KernelError) {
        try releaseAllBlocks(of: inode, in: &transaction)
        let place = geometry.place(ofInode: inode.number)
        try transaction.modify(place.block) { DiskInode.clear($0, at: place.offset) }
        try releaseInodeNumber(inode.number, in: &transaction)
    }

    // MARK: - Mount checks

    /// Checks the bitmaps against the superblock's counts and the metadata area, and the
    /// root inode (see ``mount(_:frames:options:)``).
    func checkBitmaps(against superblock: Superblock) throws(MountFailure) {
        let usedInodes = try duringMount("the inode bitmap") { () throws(KernelError) in
            try countSetBits(inBitmapAt: geometry.inodeBitmapStart, in: 0..<geometry.inodeCount)
        }
        guard usedInodes == superblock.usedInodeCount else {
            throw MountFailure("the inode bitmap marks \(usedInodes) inodes used, the superblock counts \(superblock.usedInodeCount)")
        }
        let metadata = try duringMount("the block bitmap") { () throws(KernelError) in
            try countSetBits(inBitmapAt: geometry.blockBitmapStart, in: 0..<geometry.firstDataBlock)
        }
        guard metadata == geometry.firstDataBlock else {
            throw MountFailure("the block bitmap leaves part of the metadata area (blocks 1–\(geometry.firstDataBlock - 1)) unmarked")
        }
        let usedBlocks = try duringMount("the block bitmap") { () throws(KernelError) in
            try countSetBits(inBitmapAt: geometry.blockBitmapStart, in: geometry.firstDataBlock..<(geometry.lastUsableBlock + 1))
        }
        guard usedBlocks == superblock.usedBlockCount else {
            throw MountFailure("the block bitmap marks \(usedBlocks) data blocks used, the superblock counts \(superblock.usedBlockCount)")
        }
        guard let root = try? inode(Self.rootInode), root.type == .directory else {
            throw MountFailure("the root (inode 1) is not a directory in use")
        }
    }

    /// Frees the inodes marked used whose link count is 0: files unlinked while open when the
    /// machine stopped. Refuses the mount when a used inode's record is damaged.
    func freeOrphans() throws(MountFailure) {
        var orphans: [DiskInode] = []
        for index in 0..<geometry.inodeCount {
            let number = UInt32(index + 1)
            guard try duringMount("the inode bitmap", { () throws(KernelError) in try isInodeUsed(number) }) else { continue }
            guard let inode = try? inode(number) else { throw MountFailure("inode \(number) is marked used but its record is damaged") }
            if inode.linkCount == 0 { orphans.append(inode) }
        }
        guard !orphans.isEmpty else { return }
        try duringMount("the blocks of an orphan inode") { () throws(KernelError) in
            var transaction = store.begin()
            for orphan in orphans {
                try destroy(orphan, in: &transaction)
                pages.discard(inode: orphan.number)
            }
            try transaction.commit()
            try store.commitGroup()
        }
        orphansFreedAtMount = orphans.count
    }

    /// Runs `body`, turning its error into a reason to refuse the mount.
    private func duringMount<T>(_ what: String, _ body: () throws(KernelError) -> T) throws(MountFailure) -> T {
        do {
            return try body()
        } catch {
            throw MountFailure(error == .noMemory ? "no memory for the block cache" : "the device failed, or the image is damaged, in \(what)")
        }
    }

    private func countSetBits(inBitmapAt start: UInt64, in range: Range<UInt64>) throws(KernelError) -> UInt64 {
        var count: UInt64 = 0
        var index = range.lowerBound
        while index < range.upperBound {
            let block = start + index / FileSystemGeometry.bitsPerBlock
            let end = min(range.upperBound, (index / FileSystemGeometry.bitsPerBlock + 1) * FileSystemGeometry.bitsPerBlock)
            let first = index
            count += try store.withBlock(block) { bytes in
                var found: UInt64 = 0
                var bit = first
                while bit < end {
                    let byte = Int(bit % FileSystemGeometry.bitsPerBlock / 8)
                    if bit % 8 == 0, bit + 8 <= end {
                        found += UInt64(bytes[byte].nonzeroBitCount)
                        bit += 8
                        continue
                    }
                    if bytes[byte] & (UInt8(1) << (bit % 8)) != 0 { found += 1 }
                    bit += 1
                }
                return found
            }
            index = end
        }
        return count
    }
}
