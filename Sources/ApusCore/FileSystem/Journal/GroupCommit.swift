/// Commit, checkpoint and recovery: how a group of metadata changes reaches the disk whole or
/// not at all (ABI.md §6).
///
/// A commit of the running group goes, with the device's volatile write cache in mind (a
/// write is only durable after a flush, and unflushed writes may land in any order):
///
/// 1. The data pages whose blocks the group allocated are written home (ordered mode: a
///    block becomes reachable only after its bytes are there).
/// 2. TxBegin (the transaction's id and the home numbers), the new contents of each block
///    in the same order, TxEnd. **Flush**: the data and the whole log are durable.
/// 3. The journal superblock with `commited = 1` and the new `tx_id`. **Flush**: this write
///    is the commit point. Before it, a power cut leaves the old state (the journal is
///    ignored at mount); after it, the new one (the journal is replayed at mount).
/// 4. Checkpoint: each logged block is written home. **Flush.**
/// 5. The journal superblock with `commited = 0`. **Flush**, so that the next commit cannot
///    overwrite a log that a stale `commited = 1` still points at.
///
/// When to commit is a choice of speed against how much a power cut may take: Apus commits
/// the group when `fsync` asks (the file's metadata must be durable), when the group would
/// outgrow one transaction (511 blocks), at unmount, and whenever the kernel calls
/// ``commitGroup()`` (a periodic sync, like ext4's five-second commit). Every operation adds
/// its whole transaction to the group or nothing, and a group commits only between
/// operations, so after a power cut each operation is wholly there or wholly absent, and
/// `fsync` is as durable as a commit per operation. Committing once per operation instead
/// would cost four flushes and two writes of every block per `create`; a group shares them
/// among all the operations since the last commit.
///
/// A write that fails before the commit point leaves the group in memory, to be committed
/// again later; one that fails after it leaves the blocks owed home in the block cache, and
/// the next commit first finishes the checkpoint. Either way the disk stays mountable: the
/// journal is either ignored or replayed.
///
/// Without a journal (`has_journal` 0) a commit writes the data, flushes, writes the
/// metadata blocks home and flushes: correct after a clean unmount, but a power cut in the
/// middle may leave the tree inconsistent, as on KeOS without its journal.
extension MetadataStore {
    /// Writes the running group to the disk (see above); returns once it is durable.
    public func commitGroup() throws(KernelError) {
        try commitGroup(whileTransactionIsOpen: false)
    }

    func commitGroup(whileTransactionIsOpen: Bool) throws(KernelError) {
        if journalNeedsClearing { try checkpoint() }
        guard !group.isEmpty else { return }
        try pages.writeBackFreshPages()
        var homes: [UInt64] = []
        group.forEach { block, _ in homes.append(block) }
        if let journal {
            let id = lastTransactionID &+ 1
            try write(JournalFormat.transactionBegin(id: id, homes: homes), to: journal.transactionBegin)
            for (position, home) in homes.enumerated() {
                try device.write(block: journal.slot(position), from: UnsafeRawBufferPointer(frames.memory.page(at: group.value(at: home)!)))
            }
            try write(JournalFormat.transactionEnd(id: id), to: journal.transactionEnd)
            try device.flush()
            try write(JournalFormat.superblock(committed: true, transactionID: id), to: journal.superblock)
            try device.flush()
            // The commit point has passed: the group is the disk's state now.
            lastTransactionID = id
            journalNeedsClearing = true
            adoptGroup(owedHome: true)
            groupCommits += 1
            try checkpoint()
        } else {
            if !imageIsFresh { try device.flush() }
            for home in homes {
                let bytes = UnsafeRawBufferPointer(frames.memory.page(at: group.value(at: home)!))
                if imageIsFresh, !bytes.contains(where: { $0 != 0 }) { continue }
                try device.write(block: home, from: bytes)
            }
            if !imageIsFresh { try device.flush() }
            adoptGroup(owedHome: false)
            groupCommits += 1
        }
    }

    /// Copies the committed blocks home and clears the journal (steps 4 and 5).
    private func checkpoint() throws(KernelError) {
        guard let journal else { return }
        try cache.writeOwedBlocks()
        try device.flush()
        try write(JournalFormat.superblock(committed: false, transactionID: lastTransactionID), to: journal.superblock)
        try device.flush()
        journalNeedsClearing = false
    }

    /// Hands the group's frames to the block cache: they are now the committed contents.
    private func adoptGroup(owedHome: Bool) {
        group.forEach { block, frame in cache.adopt(block, frame: frame, owedHome: owedHome) }
        group = AddressMap()
    }

    private func write(_ bytes: [UInt8], to block: UInt64) throws(KernelError) {
        try device.write(block: block, bytes: bytes)
    }
}

/// Recovery at mount: replays a committed transaction, ignores anything else.
enum JournalRecovery {
    /// Reads the journal at `journal` on `device`; when its superblock says `commited = 1`,
    /// copies every logged block home, flushes, and clears the flag. Returns the last
    /// transaction id. Refuses (with the reason) a journal whose magic is wrong, whose flag
    /// is neither 0 nor 1, or whose committed transaction names blocks outside
    /// `validHomes` or carries ids that disagree.
    static func recover(_ journal: JournalFormat, on device: any BlockDevice, validHomes: ClosedRange<UInt64>) throws(MountFailure) -> UInt64 {
        let state: JournalFormat.State
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: BlockGeometry.blockSize, alignment: 8)
        defer { buffer.deallocate() }
        func read(_ block: UInt64) throws(MountFailure) {
            do { try device.read(block: block, into: buffer) } catch { throw MountFailure("the device failed to read block \(block)") }
        }
        try read(journal.superblock)
        guard let found = JournalFormat.state(of: UnsafeRawBufferPointer(buffer)) else { throw MountFailure("the journal superblock's magic is not KeOSJOUR") }
        state = found
        guard state.committed != 0 else { return state.transactionID }
        guard state.committed == 1 else { throw MountFailure("the journal's commit flag is \(state.committed), neither 0 nor 1") }
        let homes = try committedHomes(journal, state: state, on: device, validHomes: validHomes)
        do throws(KernelError) {
            for (position, home) in homes.enumerated() {
                try device.read(block: journal.slot(position), into: buffer)
                try device.write(block: home, from: UnsafeRawBufferPointer(buffer))
            }
            try device.flush()
            try device.write(block: journal.superblock, bytes: JournalFormat.superblock(committed: false, transactionID: state.transactionID))
            try device.flush()
        } catch {
            throw MountFailure("the device failed while the journal was replayed")
        }
        return state.transactionID
    }

    /// The home blocks of the committed transaction `state` names, checked: TxBegin and
    /// TxEnd carry its id, and every home is a valid block outside the journal.
    static func committedHomes(_ journal: JournalFormat, state: JournalFormat.State, on device: any BlockDevice, validHomes: ClosedRange<UInt64>) throws(MountFailure) -> [UInt64] {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: BlockGeometry.blockSize, alignment: 8)
        defer { buffer.deallocate() }
        func read(_ block: UInt64) throws(MountFailure) {
            do { try device.read(block: block, into: buffer) } catch { throw MountFailure("the device failed to read block \(block)") }
        }
        try read(journal.transactionEnd)
        guard UInt64(littleEndianBytes: UnsafeRawBufferPointer(buffer), at: 0) == state.transactionID else {
            throw MountFailure("the journal's committed transaction \(state.transactionID) has no matching TxEnd")
        }
        try read(journal.transactionBegin)
        guard let homes = journal.homes(inTransactionBegin: UnsafeRawBufferPointer(buffer), id: state.transactionID, valid: validHomes) else {
            throw MountFailure("the journal's committed transaction \(state.transactionID) has a damaged TxBegin")
        }
        return homes
    }
}
