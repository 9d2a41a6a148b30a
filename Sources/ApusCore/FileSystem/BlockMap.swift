/// The block map: which disk block holds block `i` of a file (ABI.md §6).
///
/// ```
/// i < 12                      direct[i]
/// 12 ≤ i < 524                entry i − 12 of the indirect block
/// 524 ≤ i < 524 + 512²        entry (i − 524) % 512 of the block named by
///                             entry (i − 524) / 512 of the double indirect block
/// ```
///
/// Every number on the way is checked (``FileSystem/checkDataBlock(_:)``) before it is
/// followed, so a damaged map fails with ``KernelError/ioError`` instead of sending a read
/// or a write anywhere else. Indirect blocks are metadata: they change only in transactions.
extension FileSystem {
    static var pointersPerBlock: UInt64 { UInt64(DiskInode.pointersPerBlock) }
    static var directCount: UInt64 { UInt64(DiskInode.directCount) }
    static var doubleIndirectStart: UInt64 { directCount + pointersPerBlock }

    /// The disk block holding block `index` of `inode`, or 0 for a hole.
    func blockNumber(of inode: DiskInode, at index: UInt64) throws(KernelError) -> UInt64 {
        guard index < DiskInode.maximumBlocks else { throw .ioError }
        if index < Self.directCount { return try checked(inode.direct[Int(index)]) }
        if index < Self.doubleIndirectStart {
            guard try checked(inode.indirect) != 0 else { return 0 }
            return try checked(pointer(in: inode.indirect, at: index - Self.directCount))
        }
        let rest = index - Self.doubleIndirectStart
        guard try checked(inode.doubleIndirect) != 0 else { return 0 }
        let middle = try checked(pointer(in: inode.doubleIndirect, at: rest / Self.pointersPerBlock))
        guard middle != 0 else { return 0 }
        return try checked(pointer(in: middle, at: rest % Self.pointersPerBlock))
    }

    /// The disk block holding block `index` of `inode`, allocating it (and the indirect
    /// blocks on the way, zeroed) when it is a hole. `inode` is updated but not written;
    /// `isNew` says whether the data block was allocated now.
    func mapBlock(of inode: inout DiskInode, at index: UInt64, in transaction: inout Transaction<Memory>) throws(KernelError) -> (block: UInt64, isNew: Bool) {
        guard index < DiskInode.maximumBlocks else { throw .noSpace }
        if index < Self.directCount {
            if inode.direct[Int(index)] != 0 { return (try checked(inode.direct[Int(index)]), false) }
            let block = try takeBlock(in: &transaction)
            inode.direct[Int(index)] = block
            return (block, true)
        }
        if index < Self.doubleIndirectStart {
            inode.indirect = try ensureIndirectBlock(inode.indirect, in: &transaction)
            return try mapPointer(in: inode.indirect, at: index - Self.directCount, in: &transaction)
        }
        let rest = index - Self.doubleIndirectStart
        inode.doubleIndirect = try ensureIndirectBlock(inode.doubleIndirect, in: &transaction)
        let outer = try mapPointer(in: inode.doubleIndirect, at: rest / Self.pointersPerBlock, zeroingNew: true, in: &transaction)
        return try mapPointer(in: outer.block, at: rest % Self.pointersPerBlock, in: &transaction)
    }

    /// Frees every block `inode` maps, indirect blocks included (the inode is not changed).
    func releaseAllBlocks(of inode: DiskInode, in transaction: inout Transaction<Memory>) throws(KernelError) {
        for block in inode.direct where block != 0 { try releaseBlock(block, in: &transaction) }
        if inode.indirect != 0 {
            try checkDataBlock(inode.indirect)
            for block in try pointers(in: inode.indirect) where block != 0 { try releaseBlock(block, in: &transaction) }
            try releaseBlock(inode.indirect, in: &transaction)
        }
        if inode.doubleIndirect != 0 {
            try checkDataBlock(inode.doubleIndirect)
            for middle in try pointers(in: inode.doubleIndirect) where middle != 0 {
                try checkDataBlock(middle)
                for block in try pointers(in: middle) where block != 0 { try releaseBlock(block, in: &transaction) }
                try releaseBlock(middle, in: &transaction)
            }
            try releaseBlock(inode.doubleIndirect, in: &transaction)
        }
    }

    /// Every block number an indirect block holds.
    func pointers(in block: UInt64) throws(KernelError) -> [UInt64] {
        try store.withBlock(block) { bytes in
            (0..<DiskInode.pointersPerBlock).map { bytes.loadLittleEndian(at: 8 * $0, as: UInt64.self) }
        }
    }

    private func pointer(in block: UInt64, at slot: UInt64) throws(KernelError) -> UInt64 {
        try store.withBlock(block) { $0.loadLittleEndian(at: 8 * Int(slot), as: UInt64.self) }
    }

    private func checked(_ block: UInt64) throws(KernelError) -> UInt64 {
        if block != 0 { try checkDataBlock(block) }
        return block
    }

    /// `block` checked, or a new zeroed indirect block when it is 0.
    private func ensureIndirectBlock(_ block: UInt64, in transaction: inout Transaction<Memory>) throws(KernelError) -> UInt64 {
        if block != 0 { return try checked(block) }
        let new = try takeBlock(in: &transaction)
        try transaction.overwrite(new) { _ in }
        return new
    }

    /// Entry `slot` of the indirect block `table`, allocating a block for it when it is 0
    /// (zeroed when `zeroingNew`, for a block that is itself an indirect block).
    private func mapPointer(in table: UInt64, at slot: UInt64, zeroingNew: Bool = false, in transaction: inout Transaction<Memory>) throws(KernelError) -> (block: UInt64, isNew: Bool) {
        let existing = try pointer(in: table, at: slot)
        if existing != 0 { return (try checked(existing), false) }
        let block = try takeBlock(in: &transaction)
        if zeroingNew { try transaction.overwrite(block) { _ in } }
        try transaction.modify(table) { $0.storeLittleEndian(block, at: 8 * Int(slot)) }
        return (block, true)
    }
}
