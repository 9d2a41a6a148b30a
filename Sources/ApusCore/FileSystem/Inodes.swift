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
        if inode.type == .directory { directoryIndexes.drop(inode.number) }
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
    /// machine stopped. Refuses the mount when a used inode's record is damaged. Only the
    /// inodes the bitmap marks used are read: the bitmap is scanned a byte at a time, so a
    /// disk of 32,768 inodes with a hundred in use costs a hundred inode reads.
    func freeOrphans() throws(MountFailure) {
        var orphans: [DiskInode] = []
        let used = try duringMount("the inode bitmap") { () throws(KernelError) in try usedInodeNumbers() }
        for number in used {
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

    /// The inode numbers the inode bitmap marks used, in order.
    private func usedInodeNumbers() throws(KernelError) -> [UInt32] {
        var numbers: [UInt32] = []
        var first: UInt64 = 0
        while first < geometry.inodeCount {
            let block = geometry.inodeBitmapStart + first / FileSystemGeometry.bitsPerBlock
            let end = min(geometry.inodeCount, first + FileSystemGeometry.bitsPerBlock)
            let start = first
            try store.withBlock(block) { bytes in
                var index = start
                while index < end {
                    let byte = bytes[Int(index % FileSystemGeometry.bitsPerBlock / 8)]
                    if byte == 0, index % 8 == 0 {
                        index += 8
                        continue
                    }
                    if byte & (UInt8(1) << (index % 8)) != 0 { numbers.append(UInt32(index + 1)) }
                    index += 1
                }
            }
            first = end
        }
        return numbers
    }

    /// Runs `body`, turning its error into a reason to refuse the mount.
    private func duringMount<T>(_ what: String, _ body: () throws(KernelError) -> T) throws(MountFailure) -> T {
        do {
            return try body()
        } catch {
            throw MountFailure(error == .noMemory ? "no memory for the block cache" : "the device failed, or the image is damaged, in \(what)")
        }
    }

    /// The set bits of items `range` of the bitmap starting at block `start`, counted a word
    /// of 64 at a time where the range covers whole words.
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
                    let offset = bit % FileSystemGeometry.bitsPerBlock
                    if offset % 64 == 0, bit + 64 <= end {
                        found += UInt64(bytes.load(fromByteOffset: Int(offset / 8), as: UInt64.self).nonzeroBitCount)
                        bit += 64
                        continue
                    }
                    if bytes[Int(offset / 8)] & (UInt8(1) << (offset % 8)) != 0 { found += 1 }
                    bit += 1
                }
                return found
            }
            index = end
        }
        return count
    }
}
