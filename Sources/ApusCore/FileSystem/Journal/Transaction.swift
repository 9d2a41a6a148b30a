/// Metadata and the only way to change it: the ``MetadataStore`` and its ``Transaction``.
///
/// A file system operation changes several blocks that must change together: `create`
/// takes an inode in the inode bitmap, writes the inode, adds a directory entry and counts
/// the inode in the superblock. If the machine stops after some of these writes and before
/// others, the disk lies (an inode marked used that no directory names, or an entry naming
/// a free inode). So every metadata change is made inside a transaction, and a transaction
/// reaches the disk whole or not at all (the journal, `GroupCommit.swift`, tells how).
///
/// The type system keeps the rule: the store itself only *reads* blocks; the one way to get
/// a mutable view of a metadata block is ``Transaction/modify(_:_:)`` (or
/// ``Transaction/overwrite(_:_:)``), a method of a non-copyable ``Transaction`` value that
/// ``MetadataStore/begin()`` hands out, one at a time. The transaction keeps private copies
/// of the blocks it changes, so readers see them (through the store) but the block cache
/// and the disk do not. ``Transaction/commit()`` consumes the transaction and adds its
/// changes to the *running group*; a transaction dropped without committing (an operation
/// that failed half way, with NoSpace or IOError) takes its copies with it, and nothing it
/// did remains anywhere. This is KeOS's `RunningTransaction` and xv6's
/// `begin_op`/`log_write`/`end_op`, with the compiler checking the bracket.
///
/// The running group gathers the transactions of many operations and goes to the disk as
/// one journal transaction (group commit, as ext4 does): see ``MetadataStore/commitGroup()``.
public final class MetadataStore<Memory: PhysicalMemory> {
    public let cache: BlockCache<Memory>
    public let pages: PageCache<Memory>
    /// The journal, or `nil` for a file system without one (`has_journal` 0).
    public let journal: JournalFormat?
    /// The last transaction the journal committed (its superblock's `tx_id`).
    public internal(set) var lastTransactionID: UInt64
    /// A new image nobody has seen yet (mkfs): nothing to protect, so changes go straight
    /// home, in groups of any size, and all-zero blocks are not written (the device is new).
    let imageIsFresh: Bool

    /// Blocks changed by committed transactions whose group has not reached the disk.
    var group = AddressMap<PhysicalAddress>()
    /// Blocks changed by the open transaction.
    private var changes = AddressMap<PhysicalAddress>()
    private var transactionIsOpen = false
    /// The journal superblock still says `commited = 1` for a transaction already copied home
    /// (or not yet copied): it must be cleared before the journal is reused.
    var journalNeedsClearing = false

    /// Journal transactions written so far.
    public internal(set) var groupCommits = 0
    /// Metadata blocks read so far through ``withBlock(_:_:)``, from a transaction, the
    /// running group or the cache alike: the work of a lookup, whatever the cache holds.
    public internal(set) var blockReads = 0

    init(cache: BlockCache<Memory>, pages: PageCache<Memory>, journal: JournalFormat?, lastTransactionID: UInt64, imageIsFresh: Bool) {
        self.cache = cache
        self.pages = pages
        self.journal = imageIsFresh ? nil : journal
        self.lastTransactionID = lastTransactionID
        self.imageIsFresh = imageIsFresh
    }

    deinit {
        group.forEach { _, frame in cache.frames.free(frame) }
        changes.forEach { _, frame in cache.frames.free(frame) }
    }

    var frames: FrameAllocator<Memory> { cache.frames }
    var device: any BlockDevice { cache.device }

    /// The most blocks one group may hold before it must commit.
    var groupLimit: Int { journal == nil ? Int.max : JournalFormat.maximumBlocksPerTransaction }

    /// Blocks in the running group.
    public var groupCount: Int { group.count }

    /// Calls `body` with the current contents of `block`: the open transaction's copy, the
    /// running group's, or the cached (committed) one.
    public func withBlock<R>(_ block: UInt64, _ body: (UnsafeRawBufferPointer) -> R) throws(KernelError) -> R {
        blockReads += 1
        if let frame = changes.value(at: block) ?? group.value(at: block) {
            return body(UnsafeRawBufferPointer(frames.memory.page(at: frame)))
        }
        return try cache.withBlock(block, body)
    }

    /// Calls `body` with `block` as the disk holds it once everything committed is home,
    /// ignoring changes not yet committed (the allocator uses it to keep blocks freed by an
    /// uncommitted group from being reused before the group commits).
    public func withCommittedBlock<R>(_ block: UInt64, _ body: (UnsafeRawBufferPointer) -> R) throws(KernelError) -> R {
        try cache.withBlock(block, body)
    }

    /// Opens the transaction; only one is open at a time.
    public func begin() -> Transaction<Memory> {
        precondition(!transactionIsOpen, "a transaction is already open")
        transactionIsOpen = true
        return Transaction(store: self)
    }

    /// A frame with the bytes of `block`, or zeros, for the open transaction to change.
    fileprivate func changeableCopy(of block: UInt64, zeroed: Bool) throws(KernelError) -> PhysicalAddress {
        precondition(transactionIsOpen)
        if let frame = changes.value(at: block) {
            if zeroed { frames.memory.zeroFrame(frame) }
            return frame
        }
        guard changes.count < JournalFormat.maximumBlocksPerTransaction || journal == nil else { throw .noSpace }
        let frame = try takeFrame()
        if !zeroed {
            do {
                try withBlock(block) { bytes in frames.memory.page(at: frame).copyMemory(from: bytes) }
            } catch {
                frames.free(frame)
                throw error
            }
        }
        changes.insert(frame, at: block)
        return frame
    }

    /// A frame, asking the caches for one when the allocator is empty.
    func takeFrame() throws(KernelError) -> PhysicalAddress {
        if let frame = frames.allocate() { return frame }
        pages.releaseFrames(1)
        if let frame = frames.allocate() { return frame }
        cache.releaseFrames(1)
        guard let frame = frames.allocate() else { throw .noMemory }
        return frame
    }

    fileprivate var changedBlockCount: Int { changes.count }

    /// Adds the open transaction's changes to the running group, committing the group first
    /// when both would not fit in one journal transaction.
    fileprivate func finishTransaction() throws(KernelError) {
        var added = 0
        changes.forEach { block, _ in if group.value(at: block) == nil { added += 1 } }
        if group.count + added > groupLimit {
            try commitGroup(whileTransactionIsOpen: true)
        }
        changes.forEach { block, frame in
            if let old = group.remove(at: block) { frames.free(old) }
            group.insert(frame, at: block)
        }
        changes = AddressMap()
        transactionIsOpen = false
    }

    /// Drops the open transaction's changes.
    fileprivate func abandonTransaction() {
        changes.forEach { _, frame in frames.free(frame) }
        changes = AddressMap()
        transactionIsOpen = false
    }
}

/// An open metadata transaction: the only holder of mutable access to metadata blocks.
/// ``commit()`` consumes it; dropping it undoes everything it changed.
public struct Transaction<Memory: PhysicalMemory>: ~Copyable {
    let store: MetadataStore<Memory>

    fileprivate init(store: MetadataStore<Memory>) { self.store = store }

    deinit { store.abandonTransaction() }

    /// Blocks this transaction has changed so far.
    public var changedBlockCount: Int { store.changedBlockCount }

    /// Calls `body` with the current contents of `block` (this transaction's changes included).
    public func withBlock<R>(_ block: UInt64, _ body: (UnsafeRawBufferPointer) -> R) throws(KernelError) -> R {
        try store.withBlock(block, body)
    }

    /// Changes `block` in place: `body` gets its current contents to modify.
    /// ``KernelError/noSpace`` when the transaction already holds as many blocks as one
    /// journal transaction can log.
    public mutating func modify<R>(_ block: UInt64, _ body: (UnsafeMutableRawBufferPointer) -> R) throws(KernelError) -> R {
        let frame = try store.changeableCopy(of: block, zeroed: false)
        return body(store.frames.memory.page(at: frame))
    }

    /// Replaces `block` without reading it: `body` gets zeros to fill (a block just
    /// allocated, whose old contents mean nothing).
    public mutating func overwrite<R>(_ block: UInt64, _ body: (UnsafeMutableRawBufferPointer) -> R) throws(KernelError) -> R {
        let frame = try store.changeableCopy(of: block, zeroed: true)
        return body(store.frames.memory.page(at: frame))
    }

    /// Makes the changes part of the running group: from now on they are the file system's
    /// state, and they reach the disk with the group's commit.
    public consuming func commit() throws(KernelError) {
        try store.finishTransaction()
    }
}
