/// The two bitmaps: which inodes and which blocks are in use.
///
/// Bit k of the inode bitmap is inode k + 1; bit k of the block bitmap is block k. Taking
/// or freeing either changes the superblock's count in the same transaction.
///
/// A block freed by a transaction that has not reached the disk is not handed out again
/// until it has: the allocator looks for a bit clear both now and in the committed bitmap.
/// Otherwise a power cut could bring back a file whose block meanwhile received another
/// file's data (the data goes home before its transaction commits).
extension FileSystem {
    /// Whether inode `number` (in range) is marked used.
    func isInodeUsed(_ number: UInt32) throws(KernelError) -> Bool {
        let place = FileSystemGeometry.bit(UInt64(number) - 1, inBitmapAt: geometry.inodeBitmapStart)
        return try store.withBlock(place.block) { $0[place.byte] & place.mask != 0 }
    }

    /// Whether block `block` (in range) is marked used now, or in the committed bitmap.
    func isBlockUsed(_ block: UInt64, committed: Bool = false) throws(KernelError) -> Bool {
        let place = FileSystemGeometry.bit(block, inBitmapAt: geometry.blockBitmapStart)
        if committed { return try store.withCommittedBlock(place.block) { $0[place.byte] & place.mask != 0 } }
        return try store.withBlock(place.block) { $0[place.byte] & place.mask != 0 }
    }

    /// Checks that `block` is a data block marked used: the test every block number read
    /// from the disk passes before it is followed. ``KernelError/ioError`` otherwise.
    func checkDataBlock(_ block: UInt64) throws(KernelError) {
        guard block >= geometry.firstDataBlock, block <= geometry.lastUsableBlock, try isBlockUsed(block) else { throw .ioError }
    }

    /// Takes a free inode number. ``KernelError/noSpace`` when every inode is used.
    func takeInodeNumber(in transaction: inout Transaction<Memory>) throws(KernelError) -> UInt32 {
        guard let index = try findClearBit(inBitmapAt: geometry.inodeBitmapStart, in: 0..<geometry.inodeCount, from: inodeHint, committedToo: false) else {
            throw .noSpace
        }
        try setBit(index, inBitmapAt: geometry.inodeBitmapStart, to: true, in: &transaction)
        try transaction.modify(geometry.superblock) { Superblock.adjustUsedInodes(by: 1, in: $0) }
        inodeHint = index + 1
        return UInt32(index + 1)
    }

    /// Marks inode `number` free.
    func releaseInodeNumber(_ number: UInt32, in transaction: inout Transaction<Memory>) throws(KernelError) {
        try setBit(UInt64(number) - 1, inBitmapAt: geometry.inodeBitmapStart, to: false, in: &transaction)
        try transaction.modify(geometry.superblock) { Superblock.adjustUsedInodes(by: -1, in: $0) }
    }

    /// Takes a free data block. ``KernelError/noSpace`` when none is left.
    func takeBlock(in transaction: inout Transaction<Memory>) throws(KernelError) -> UInt64 {
        let range = geometry.firstDataBlock..<(geometry.lastUsableBlock + 1)
        guard let block = try findClearBit(inBitmapAt: geometry.blockBitmapStart, in: range, from: blockHint, committedToo: true) else {
            throw .noSpace
        }
        try setBit(block, inBitmapAt: geometry.blockBitmapStart, to: true, in: &transaction)
        try transaction.modify(geometry.superblock) { Superblock.adjustUsedBlocks(by: 1, in: $0) }
        blockHint = block + 1
        return block
    }

    /// Marks the data block `block` free; ``KernelError/ioError`` when it is not a data block
    /// in use (a damaged image).
    func releaseBlock(_ block: UInt64, in transaction: inout Transaction<Memory>) throws(KernelError) {
        try checkDataBlock(block)
        try setBit(block, inBitmapAt: geometry.blockBitmapStart, to: false, in: &transaction)
        try transaction.modify(geometry.superblock) { Superblock.adjustUsedBlocks(by: -1, in: $0) }
    }

    /// Free data blocks now (for `statfs`-like reports and the tests).
    public func freeBlockCount() throws(KernelError) -> UInt64 {
        let used = try store.withBlock(geometry.superblock) { Superblock($0)?.usedBlockCount ?? 0 }
        return geometry.dataBlockCount - min(used, geometry.dataBlockCount)
    }

    /// Free inodes now.
    public func freeInodeCount() throws(KernelError) -> UInt64 {
        let used = try store.withBlock(geometry.superblock) { Superblock($0)?.usedInodeCount ?? 0 }
        return geometry.inodeCount - min(used, geometry.inodeCount)
    }

    private func setBit(_ index: UInt64, inBitmapAt start: UInt64, to value: Bool, in transaction: inout Transaction<Memory>) throws(KernelError) {
        let place = FileSystemGeometry.bit(index, inBitmapAt: start)
        try transaction.modify(place.block) { bytes in
            if value { bytes[place.byte] |= place.mask } else { bytes[place.byte] &= ~place.mask }
        }
    }

    /// The first bit in `range` that is clear, searching from `hint` to the end and then
    /// from the start; with `committedToo`, the bit must be clear in the committed bitmap too.
    private func findClearBit(inBitmapAt start: UInt64, in range: Range<UInt64>, from hint: UInt64, committedToo: Bool) throws(KernelError) -> UInt64? {
        let hint = range.contains(hint) ? hint : range.lowerBound
        for part in [hint..<range.upperBound, range.lowerBound..<hint] {
            var next = part.lowerBound
            while next < part.upperBound {
                guard let candidate = try firstClearBit(inBitmapAt: start, in: next..<part.upperBound) else { break }
                if !committedToo { return candidate }
                let place = FileSystemGeometry.bit(candidate, inBitmapAt: start)
                if try !store.withCommittedBlock(place.block, { $0[place.byte] & place.mask != 0 }) { return candidate }
                next = candidate + 1
            }
        }
        return nil
    }

    /// The first clear bit in `range` of the bitmap at `start`, as it stands now.
    private func firstClearBit(inBitmapAt start: UInt64, in range: Range<UInt64>) throws(KernelError) -> UInt64? {
        var index = range.lowerBound
        while index < range.upperBound {
            let place = FileSystemGeometry.bit(index, inBitmapAt: start)
            let blockEnd = min(range.upperBound, (index / FileSystemGeometry.bitsPerBlock + 1) * FileSystemGeometry.bitsPerBlock)
            let first = index
            let found: UInt64? = try store.withBlock(place.block) { bytes in
                var bit = first
                while bit < blockEnd {
                    let byte = Int(bit % FileSystemGeometry.bitsPerBlock / 8)
                    if bit % 8 == 0, bytes[byte] == 0xFF, bit + 8 <= blockEnd {
                        bit += 8
                        continue
                    }
                    if bytes[byte] & (UInt8(1) << (bit % 8)) == 0 { return bit }
                    bit += 1
                }
                return nil
            }
            if let found { return found }
            index = blockEnd
        }
        return nil
    }
}
