/// How the file system builds, grows and drops its directory indexes (``DirectoryIndex``).
///
/// An index is built on the first lookup or new entry in a directory large enough
/// (``DirectoryIndexes/Policy``), by reading the directory once; from then on the operations
/// that change the directory keep it exact, inside their transaction. A transaction that
/// fails is undone, and what it did to an index with it: every operation that changes
/// directories runs inside ``keepingIndexes(of:_:)``, which drops their indexes when it
/// fails. An index also goes when its directory is destroyed (its inode number may come
/// back as another directory), when the cache needs its room, and at unmount.
extension FileSystem {
    /// Runs `body`, an operation that changes the directories `directories`; when it fails,
    /// their indexes are dropped (the next use rebuilds them from what the disk and the
    /// committed transactions hold).
    func keepingIndexes<R>(of directories: [UInt32], _ body: () throws(KernelError) -> R) throws(KernelError) -> R {
        do {
            return try body()
        } catch {
            for directory in directories { directoryIndexes.drop(directory) }
            throw error
        }
    }

    /// The index of `directory`: the one kept, or one built now from its entries when the
    /// policy indexes a directory of its size and there is room. `nil` means: scan.
    func index(of directory: DiskInode) throws(KernelError) -> DirectoryIndex? {
        if let index = directoryIndexes.index(of: directory.number) { return index }
        let blocks = blockCount(ofDirectory: directory)
        guard blocks >= directoryIndexes.policy.minimumBlocks,
              blocks <= UInt64(directoryIndexes.policy.nodeLimit / DirectoryBlock.entriesPerBlock),
              directoryIndexes.makeRoom(for: Int(blocks) * DirectoryBlock.entriesPerBlock) else { return nil }
        let index = DirectoryIndex(directory: directory.number, slotCount: 0)
        for blockIndex in 0..<blocks {
            let block = try directoryBlock(directory, at: blockIndex)
            let base = index.slotCount
            index.addBlock()
            let whole: Bool = try store.withBlock(block) { bytes in
                for slot in (blockIndex == 0 ? 2 : 0)..<DirectoryBlock.entriesPerBlock {
                    switch DirectoryBlock.slot(slot, in: bytes) {
                    case .free: continue
                    case .damaged: return false
                    case .used(_, let length):
                        index.use(base + UInt64(slot), for: DirectoryBlock.name(at: slot, length: length, in: bytes))
                    }
                }
                return true
            }
            // A damaged directory is scanned instead, and the scan reports the damage.
            guard whole else { return nil }
        }
        directoryIndexes.adopt(index)
        return index
    }

    /// Records in `index` the block just added to its directory, whose first slot now holds
    /// `name`; drops the index instead when the cache has no room for it.
    func grow(_ index: DirectoryIndex, by name: [UInt8]) {
        guard directoryIndexes.makeRoom(for: DirectoryBlock.entriesPerBlock, keeping: index) else {
            directoryIndexes.drop(index.directory)
            return
        }
        let first = index.slotCount
        index.addBlock()
        index.use(first, for: name)
    }

    /// Every index kept: its directory, its used slots with their hashes and its free slots
    /// (for tests that compare indexes with the disk).
    func directoryIndexContents() -> [(directory: UInt32, used: [(hash: UInt64, slot: UInt64)], free: [UInt64])] {
        directoryIndexes.all.map { index in
            let contents = index.contents()
            return (index.directory, contents.used, contents.free)
        }
    }
}
