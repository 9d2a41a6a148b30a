/// Directory contents: finding, adding and removing entries, and listing them with a cursor.
///
/// A directory is a file whose blocks are ``DirectoryBlock``s; its size is always a whole
/// number of blocks, and it has no holes (a hole in a directory is damage). Its blocks are
/// metadata, so they change only in transactions. A directory never shrinks: a removed
/// entry leaves a free slot that the next new entry takes.
extension FileSystem {
    /// The blocks of `directory`.
    func blockCount(ofDirectory directory: DiskInode) -> UInt64 {
        directory.size / UInt64(BlockGeometry.blockSize)
    }

    /// The disk block holding block `index` of `directory`; ``KernelError/ioError`` for a hole.
    func directoryBlock(_ directory: DiskInode, at index: UInt64) throws(KernelError) -> UInt64 {
        let block = try blockNumber(of: directory, at: index)
        guard block != 0 else { throw .ioError }
        return block
    }

    /// The entry called `name` in `directory`: the inode it names and its slot, or `nil`.
    /// Through the directory's index when it has one (DirectoryIndex.swift): a block read per
    /// candidate, usually one, and none for a name that is not there.
    func lookup(_ name: [UInt8], in directory: DiskInode) throws(KernelError) -> (inode: UInt32, slot: UInt64)? {
        if name != DirectoryBlock.dot, name != DirectoryBlock.dotDot, let index = try index(of: directory) {
            var found: (inode: UInt32, slot: UInt64)?
            try index.forEachCandidate(for: name) { (slot) throws(KernelError) in
                found = try entry(at: slot, of: directory, ifNamed: name)
                return found == nil
            }
            return found
        }
        var found: (inode: UInt32, slot: UInt64)?
        try forEachUsedSlot(of: directory, from: 0) { slot, inode, bytes, index, length in
            guard DirectoryBlock.name(at: index, length: length, in: bytes, equals: name) else { return true }
            found = (inode, slot)
            return false
        }
        return found
    }

    /// The entry in slot `slot` of `directory` when it is called `name`.
    private func entry(at slot: UInt64, of directory: DiskInode, ifNamed name: [UInt8]) throws(KernelError) -> (inode: UInt32, slot: UInt64)? {
        let perBlock = UInt64(DirectoryBlock.entriesPerBlock)
        let block = try directoryBlock(directory, at: slot / perBlock)
        let index = Int(slot % perBlock)
        return try store.withBlock(block) { bytes -> (inode: UInt32, slot: UInt64)? in
            guard case .used(let inode, let length) = DirectoryBlock.slot(index, in: bytes),
                  DirectoryBlock.name(at: index, length: length, in: bytes, equals: name) else { return nil }
            return (inode, slot)
        }
    }

    /// Whether `directory` holds nothing but `.` and `..` (slots 0 and 1).
    func isEmpty(_ directory: DiskInode) throws(KernelError) -> Bool {
        if let index = directoryIndexes.index(of: directory.number) { return index.isEmpty }
        var empty = true
        try forEachUsedSlot(of: directory, from: 2) { _, _, _, _, _ in
            empty = false
            return false
        }
        return empty
    }

    /// `readdir` on an open inode: up to `count` entries of directory `inode` from `cursor`
    /// on, and the cursor to continue from. ``KernelError/notDirectory`` for a regular file.
    /// A directory removed while open lists nothing, as on Linux: its `.` and `..` are gone
    /// with its name.
    public func readDirectory(_ inode: UInt32, from cursor: UInt64, count: Int) throws(KernelError) -> (entries: [DirectoryBlock.Entry], next: UInt64) {
        let directory = try self.inode(inode)
        guard directory.type == .directory else { throw .notDirectory }
        guard directory.linkCount > 0 else { return ([], cursor) }
        return try entries(of: directory, from: cursor, count: count)
    }

    /// Up to `count` entries of `directory` from slot `cursor` on, and the cursor after the
    /// last one returned (`readdir`'s state).
    public func entries(of directory: DiskInode, from cursor: UInt64, count: Int) throws(KernelError) -> (entries: [DirectoryBlock.Entry], next: UInt64) {
        var entries: [DirectoryBlock.Entry] = []
        var next = cursor
        guard count > 0 else { return (entries, next) }
        try forEachUsedSlot(of: directory, from: cursor) { slot, inode, bytes, index, length in
            entries.append(DirectoryBlock.Entry(inode: inode, name: DirectoryBlock.name(at: index, length: length, in: bytes)))
            next = slot + 1
            return entries.count < count
        }
        if entries.count < count { next = max(next, blockCount(ofDirectory: directory) * UInt64(DirectoryBlock.entriesPerBlock)) }
        return (entries, next)
    }

    /// Adds an entry naming `inode` as `name` to `directory`, in its first free slot or in a
    /// new block at its end, and writes the directory's inode when it grew. The caller runs
    /// it inside ``keepingIndexes(of:_:)``: a failure drops the directory's index.
    func addEntry(_ name: [UInt8], inode: UInt32, to directory: inout DiskInode, in transaction: inout Transaction<Memory>) throws(KernelError) {
        let perBlock = UInt64(DirectoryBlock.entriesPerBlock)
        if let index = try index(of: directory) {
            if let slot = index.firstFreeSlot {
                let block = try directoryBlock(directory, at: slot / perBlock)
                try transaction.modify(block) { DirectoryBlock.store(inode, named: name, at: Int(slot % perBlock), in: $0) }
                index.use(slot, for: name)
            } else {
                try addBlock(holding: name, inode: inode, to: &directory, in: &transaction)
                grow(index, by: name)
            }
            return
        }
        for blockIndex in 0..<blockCount(ofDirectory: directory) {
            let block = try directoryBlock(directory, at: blockIndex)
            // Slots 0 and 1 of the first block are `.` and `..`, even in a damaged directory.
            let first = blockIndex == 0 ? 2 : 0
            let free: Int? = try store.withBlock(block) { bytes in
                (first..<DirectoryBlock.entriesPerBlock).first { DirectoryBlock.slot($0, in: bytes) == .free }
            }
            guard let free else { continue }
            try transaction.modify(block) { DirectoryBlock.store(inode, named: name, at: free, in: $0) }
            return
        }
        try addBlock(holding: name, inode: inode, to: &directory, in: &transaction)
    }

    /// Adds a block to the end of `directory` whose first slot names `inode` as `name`.
    private func addBlock(holding name: [UInt8], inode: UInt32, to directory: inout DiskInode, in transaction: inout Transaction<Memory>) throws(KernelError) {
        let mapped = try mapBlock(of: &directory, at: blockCount(ofDirectory: directory), in: &transaction)
        try transaction.overwrite(mapped.block) { DirectoryBlock.store(inode, named: name, at: 0, in: $0) }
        directory.size += UInt64(BlockGeometry.blockSize)
        try write(directory, in: &transaction)
    }

    /// Frees slot `slot` of `directory`, which holds `name`.
    func removeEntry(at slot: UInt64, named name: [UInt8], from directory: DiskInode, in transaction: inout Transaction<Memory>) throws(KernelError) {
        let perBlock = UInt64(DirectoryBlock.entriesPerBlock)
        let block = try directoryBlock(directory, at: slot / perBlock)
        try transaction.modify(block) { DirectoryBlock.clear(Int(slot % perBlock), in: $0) }
        directoryIndexes.index(of: directory.number)?.free(slot, heldBy: name)
    }

    /// Makes slot `slot` of `directory` name `inode` instead, under the same name.
    func replaceEntry(at slot: UInt64, of directory: DiskInode, with inode: UInt32, in transaction: inout Transaction<Memory>) throws(KernelError) {
        let perBlock = UInt64(DirectoryBlock.entriesPerBlock)
        let block = try directoryBlock(directory, at: slot / perBlock)
        try transaction.modify(block) { $0.storeLittleEndian(inode, at: Int(slot % perBlock) * DirectoryBlock.entrySize) }
    }

    /// Writes the first block of a new directory: `.` naming `directory`, `..` naming `parent`.
    func writeFirstBlock(_ block: UInt64, of directory: UInt32, parent: UInt32, in transaction: inout Transaction<Memory>) throws(KernelError) {
        try transaction.overwrite(block) { bytes in
            DirectoryBlock.store(directory, named: DirectoryBlock.dot, at: 0, in: bytes)
            DirectoryBlock.store(parent, named: DirectoryBlock.dotDot, at: 1, in: bytes)
        }
    }

    /// Calls `body(slot, inode, block bytes, index in block, name length)` for each used slot
    /// of `directory` from `first` on, in order, while it returns `true`.
    /// ``KernelError/ioError`` for a damaged entry or a hole.
    private func forEachUsedSlot(of directory: DiskInode, from first: UInt64, _ body: (UInt64, UInt32, UnsafeRawBufferPointer, Int, Int) -> Bool) throws(KernelError) {
        let perBlock = UInt64(DirectoryBlock.entriesPerBlock)
        var blockIndex = first / perBlock
        while blockIndex < blockCount(ofDirectory: directory) {
            let block = try directoryBlock(directory, at: blockIndex)
            let start = blockIndex == first / perBlock ? Int(first % perBlock) : 0
            let base = blockIndex * perBlock
            let outcome: Bool? = try store.withBlock(block) { bytes in
                for index in start..<DirectoryBlock.entriesPerBlock {
                    switch DirectoryBlock.slot(index, in: bytes) {
                    case .free: continue
                    case .damaged: return nil
                    case .used(let inode, let length):
                        if !body(base + UInt64(index), inode, bytes, index, length) { return false }
                    }
                }
                return true
            }
            guard let goOn = outcome else { throw .ioError }
            if !goOn { return }
            blockIndex += 1
        }
    }
}
