/// The block cache: the file system's metadata blocks (superblock, bitmaps, inodes,
/// directories, indirect blocks) kept in memory, so that a path walk or an allocation
/// reads the disk once and memory afterwards.
///
/// Each cached block lives in a physical frame taken from the ``FrameAllocator``, not on the
/// kernel heap, which is small and fixed: the cache holds at most ``capacity`` blocks
/// (``defaultCapacity``, 1,024 blocks, is 4 MiB of frames), and its bookkeeping is one small
/// slot per block plus an ``AddressMap`` entry, about 48 bytes of heap a block.
///
/// The cache only ever holds what the disk holds, or what a committed transaction has
/// promised it will hold: it never lets anyone change a block (the journal's
/// ``Transaction`` keeps its own copies of the blocks it changes, and hands them over with
/// ``adopt(_:frame:owedHome:)`` once they are committed). A block the journal has committed
/// but not yet copied home is *owed home*: it stays in the cache until ``writeOwedBlocks()``
/// has written it, so that nothing reads the stale home copy meanwhile.
///
/// When the cache is full, or the frame allocator has nothing left, the block used least
/// recently (approximately: a clock hand passes over blocks used since its last pass) gives
/// its frame to the newcomer; a block owed home is never the one.
/// The block cache's usual capacity: see ``BlockCache/defaultCapacity``.
public let blockCacheDefaultCapacity = 1_024

public final class BlockCache<Memory: PhysicalMemory> {
    /// The most blocks a cache holds unless told otherwise.
    public static var defaultCapacity: Int { blockCacheDefaultCapacity }

    public let device: any BlockDevice
    public let frames: FrameAllocator<Memory>
    /// The most blocks this cache holds at once.
    public let capacity: Int


    private var slots: [CachedBlock] = []
    /// Block number → index in `slots`.
    private var index = AddressMap<Int32>()
    private var hand = 0

    /// Lookups served from memory, and lookups that read the device.
    public private(set) var hits = 0
    public private(set) var misses = 0

    /// A cache of at most `capacity` blocks of `device`, in frames of `frames`.
    public init(device: any BlockDevice, frames: FrameAllocator<Memory>, capacity: Int = BlockCache.defaultCapacity) {
        precondition(capacity >= 2 * JournalFormat.maximumBlocksPerTransaction, "the cache must hold a whole transaction owed home and more")
        self.device = device
        self.frames = frames
        self.capacity = capacity
        slots.reserveCapacity(capacity)
    }

    deinit { dropAll() }

    /// The number of blocks cached now.
    public var count: Int { slots.count }

    /// Calls `body` with the contents of `block`, reading it from the device if it is not
    /// cached. ``KernelError/ioError`` when the device fails, ``KernelError/noMemory`` when no
    /// frame can be had.
    public func withBlock<R>(_ block: UInt64, _ body: (UnsafeRawBufferPointer) -> R) throws(KernelError) -> R {
        let frame = try load(block)
        return body(UnsafeRawBufferPointer(frames.memory.page(at: frame)))
    }

    /// The frame holding `block`, valid until the next call on this cache.
    func load(_ block: UInt64) throws(KernelError) -> PhysicalAddress {
        if let slot = index.value(at: block) {
            hits += 1
            slots[Int(slot)].recentlyUsed = true
            return slots[Int(slot)].frame
        }
        misses += 1
        let slot = try freeSlot()
        let frame = slots[slot].frame
        do {
            try device.read(block: block, into: frames.memory.page(at: frame))
        } catch {
            forget(slot)
            throw error
        }
        slots[slot].block = block
        slots[slot].recentlyUsed = true
        index.insert(Int32(slot), at: block)
        return frame
    }

    /// Takes over `frame` (the journal's copy of `block`, now committed) as the cached
    /// contents of `block`; the cache owns the frame from now on. With `owedHome`, the block
    /// stays cached until ``writeOwedBlocks()`` has written it to its home.
    func adopt(_ block: UInt64, frame: PhysicalAddress, owedHome: Bool) {
        if let slot = index.value(at: block) {
            frames.free(slots[Int(slot)].frame)
            slots[Int(slot)].frame = frame
            slots[Int(slot)].owedHome = slots[Int(slot)].owedHome || owedHome
            slots[Int(slot)].recentlyUsed = true
            return
        }
        let slot: Int
        if slots.count < capacity {
            slots.append(CachedBlock(block: block, frame: frame, recentlyUsed: true, owedHome: owedHome))
            slot = slots.count - 1
        } else {
            slot = victim()
            index.remove(at: slots[slot].block)
            frames.free(slots[slot].frame)
            slots[slot] = CachedBlock(block: block, frame: frame, recentlyUsed: true, owedHome: owedHome)
        }
        index.insert(Int32(slot), at: block)
    }

    /// Whether some block is owed home.
    public var owesBlocks: Bool { slots.contains { $0.owedHome } }

    /// Writes every block owed home to its home, in block order; a block stays owed until
    /// its write has succeeded. Does not flush.
    func writeOwedBlocks() throws(KernelError) {
        var owed: [UInt64] = []
        for slot in slots where slot.owedHome { owed.append(slot.block) }
        owed.sort()
        for block in owed {
            let slot = Int(index.value(at: block)!)
            try device.write(block: block, from: UnsafeRawBufferPointer(frames.memory.page(at: slots[slot].frame)))
            slots[slot].owedHome = false
        }
    }

    /// Gives up to `count` frames back to the allocator (blocks not owed home, least
    /// recently used first); returns how many it gave.
    @discardableResult
    public func releaseFrames(_ count: Int) -> Int {
        var released = 0
        var passes = 0
        while released < count, !slots.isEmpty, passes < 2 * slots.count + 2 {
            passes += 1
            hand %= slots.count
            let slot = slots[hand]
            if slot.owedHome || slot.recentlyUsed {
                slots[hand].recentlyUsed = false
                hand += 1
                continue
            }
            index.remove(at: slot.block)
            frames.free(slot.frame)
            removeSlot(hand)
            released += 1
        }
        return released
    }

    /// Forgets every block and gives every frame back (blocks owed home are lost: call
    /// ``writeOwedBlocks()`` first).
    public func dropAll() {
        for slot in slots { frames.free(slot.frame) }
        slots.removeAll()
        index = AddressMap()
        hand = 0
    }

    // MARK: - Slots

    /// An unused slot with a frame of its own, evicting a block when the cache is full or the
    /// allocator is empty.
    private func freeSlot() throws(KernelError) -> Int {
        if slots.count < capacity, let frame = frames.allocate() {
            slots.append(CachedBlock(block: 0, frame: frame, recentlyUsed: false, owedHome: false))
            return slots.count - 1
        }
        guard slots.contains(where: { !$0.owedHome }) else { throw .noMemory }
        let slot = victim()
        index.remove(at: slots[slot].block)
        slots[slot].block = 0
        return slot
    }

    /// A slot whose block may go: the clock hand's next slot not recently used and not
    /// owed home (at least one must exist).
    private func victim() -> Int {
        while true {
            hand %= slots.count
            defer { hand += 1 }
            if slots[hand].owedHome { continue }
            if slots[hand].recentlyUsed {
                slots[hand].recentlyUsed = false
                continue
            }
            return hand
        }
    }

    /// Gives back the frame of a slot that never received its block.
    private func forget(_ slot: Int) {
        frames.free(slots[slot].frame)
        removeSlot(slot)
    }

    /// Removes `slot` (already out of the index) by moving the last slot into its place.
    private func removeSlot(_ slot: Int) {
        let last = slots.count - 1
        if slot != last {
            slots[slot] = slots[last]
            index.remove(at: slots[slot].block)
            index.insert(Int32(slot), at: slots[slot].block)
        }
        slots.removeLast()
    }
}

/// One block of the ``BlockCache`` (its bookkeeping lives in the kernel heap: ``HeapBudget``).
struct CachedBlock {
    var block: UInt64
    var frame: PhysicalAddress
    var recentlyUsed: Bool
    var owedHome: Bool
}
