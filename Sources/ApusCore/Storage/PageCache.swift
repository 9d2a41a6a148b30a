/// The page cache: the bytes of files, one 4 KiB page per frame, shared by `read`, `write`
/// and file mappings.
///
/// A page of a file is named by its inode and its index in the file (byte offset / 4096).
/// Its frame holds the file's bytes and zeros past the end of the file, so that the frame
/// can be mapped into a process as it is: a private file mapping takes a share of the frame
/// (``FrameAllocator/share(_:)``) and copies it on its first write, exactly as `fork`
/// shares frames. A frame that some process maps is therefore not the cache's alone
/// (its share count is above one), and the cache never gives it away; it only drops its
/// own share when it forgets the page. Before `write` changes a page some process maps, the
/// cache moves to a copy of its own (``makePrivate(inode:page:)``), so a mapping keeps the
/// bytes it shared: private, as ABI.md §4 wants.
///
/// A page is *dirty* when `write` has changed it and the disk has not seen it yet; each
/// page knows the block it goes to (every dirty page has one: `write` allocates blocks
/// before it copies bytes). A page is *fresh* when its block was allocated by a transaction
/// that has not committed: ordered journaling writes those pages home before the commit that
/// makes their blocks reachable (``writeBackFreshPages()``). A page is *pinned* while a call
/// works on its frame (a `read` copying out of it, a `write` copying into it): nothing takes
/// it away then, not even a frame shortage in the middle of the call.
///
/// Bounds: at most ``capacity`` pages, and it grows only while the allocator has more than
/// ``reserve`` frames free (the kernel sets both from the machine's memory, so the cache uses
/// memory nobody else needs and leaves the rest to processes); the bookkeeping is about 56
/// bytes of heap a page. When the cache is full, or the frames are down to the reserve, a
/// page goes: one not used recently, clean, and held by the cache alone first; a dirty one is
/// written back first; a mapped or pinned one never. When frames run out elsewhere, the cache
/// gives frames back in two ways: ``releaseCleanFrames(_:)`` drops clean pages without
/// touching the disk (the frame allocator's ``FrameReclaimer``, which may be asked anywhere),
/// and ``releaseFrames(_:)`` also writes dirty pages back, for callers that may wait for the
/// disk.
/// The largest page cache the kernel makes: see ``PageCache/kernelLimit``.
public let pageCacheKernelLimit = 32_768

public final class PageCache<Memory: PhysicalMemory> {
    /// The most pages a cache holds unless told otherwise.
    public static var defaultCapacity: Int { 4_096 }
    /// The largest capacity the kernel gives the cache, whatever its memory (``HeapBudget``
    /// counts its bookkeeping at this size).
    public static var kernelLimit: Int { pageCacheKernelLimit }

    public let device: any BlockDevice
    public let frames: FrameAllocator<Memory>
    public let capacity: Int
    /// Free frames the cache leaves to others: it takes no new frame while the allocator has
    /// this many or fewer, and reuses one of its own pages instead.
    public let reserve: Int


    private var pages: [CachedPage] = []
    /// Page key → index in `pages`.
    private var index = AddressMap<Int32>()
    private var hand = 0

    /// Lookups served from memory, pages read from the device, pages written to it.
    public private(set) var hits = 0
    public private(set) var misses = 0
    public private(set) var writeBacks = 0
    /// Pages the clock hand has looked at while choosing pages to give away.
    public private(set) var pagesSwept = 0

    public init(device: any BlockDevice, frames: FrameAllocator<Memory>, capacity: Int = PageCache.defaultCapacity, reserve: Int = 0) {
        precondition(capacity >= 1 && reserve >= 0)
        self.device = device
        self.frames = frames
        self.capacity = capacity
        self.reserve = reserve
        pages.reserveCapacity(capacity) // its bookkeeping is taken once (HeapBudget)
    }

    deinit { dropAll() }

    /// The number of pages cached now.
    public var count: Int { pages.count }
    /// The number of dirty pages.
    public var dirtyCount: Int { pages.reduce(0) { $0 + ($1.dirty ? 1 : 0) } }

    static func key(inode: UInt32, page: UInt64) -> UInt64 { UInt64(inode) << 32 | page }

    /// The frame of page `page` of `inode` if it is cached.
    public func cachedFrame(inode: UInt32, page: UInt64) -> PhysicalAddress? {
        guard let slot = index.value(at: Self.key(inode: inode, page: page)) else { return nil }
        hits += 1
        pages[Int(slot)].recentlyUsed = true
        return pages[Int(slot)].frame
    }

    /// The frame of page `page` of `inode`, read from `block` (0: a hole, zeros) when it is
    /// not cached, with every byte from `validBytes` on zeroed (the end of the file).
    func load(inode: UInt32, page: UInt64, block: UInt64, validBytes: Int) throws(KernelError) -> PhysicalAddress {
        if let frame = cachedFrame(inode: inode, page: page) { return frame }
        misses += 1
        let frame = try takeFrame()
        let bytes = frames.memory.page(at: frame)
        if block != 0 {
            do {
                try device.read(block: block, into: bytes)
            } catch {
                frames.free(frame)
                throw error
            }
            if validBytes < bytes.count {
                UnsafeMutableRawBufferPointer(rebasing: bytes[validBytes...]).initializeMemory(as: UInt8.self, repeating: 0)
            }
        }
        let key = Self.key(inode: inode, page: page)
        pages.append(CachedPage(key: key, frame: frame, block: block, dirty: false, fresh: false, recentlyUsed: true, pins: 0))
        index.insert(Int32(pages.count - 1), at: key)
        return frame
    }

    /// Gives the cached page a frame of its own when a process maps the current one, so that
    /// a `write` changes the file and not the process's private mapping: copy-on-write from
    /// the cache's side. ``KernelError/noMemory`` when no frame can be had.
    func makePrivate(inode: UInt32, page: UInt64) throws(KernelError) {
        let key = Self.key(inode: inode, page: page)
        guard let slot = index.value(at: key), frames.shareCount(of: pages[Int(slot)].frame) > 1 else { return }
        let copy = try takeFrame()
        // Taking a frame may have moved the page to another slot.
        let moved = Int(index.value(at: key)!)
        let shared = pages[moved].frame
        frames.memory.copyFrame(from: shared, to: copy)
        pages[moved].frame = copy
        frames.free(shared)
    }

    /// Keeps the cached page from being evicted until a matching ``unpin(inode:page:)``;
    /// pins nest.
    func pin(inode: UInt32, page: UInt64) {
        guard let slot = index.value(at: Self.key(inode: inode, page: page)) else { preconditionFailure("pinning a page that is not cached") }
        pages[Int(slot)].pins += 1
    }

    /// Undoes one ``pin(inode:page:)``.
    func unpin(inode: UInt32, page: UInt64) {
        guard let slot = index.value(at: Self.key(inode: inode, page: page)), pages[Int(slot)].pins > 0 else {
            preconditionFailure("unpinning a page that is not pinned")
        }
        pages[Int(slot)].pins -= 1
    }

    /// Records that the cached page now differs from the disk and belongs in `block`;
    /// `fresh` when the block was allocated by a transaction not yet committed.
    func markDirty(inode: UInt32, page: UInt64, block: UInt64, fresh: Bool) {
        guard let slot = index.value(at: Self.key(inode: inode, page: page)) else { preconditionFailure("dirtying a page that is not cached") }
        pages[Int(slot)].block = block
        pages[Int(slot)].dirty = true
        pages[Int(slot)].fresh = pages[Int(slot)].fresh || fresh
    }

    /// Writes the dirty pages of `inode` home (for `fsync`). Does not flush.
    func writeBack(inode: UInt32) throws(KernelError) {
        try forEachPage(of: inode) { slot throws(KernelError) in try writeBack(slot) }
    }

    /// Writes home every dirty page whose block a transaction not yet committed allocated:
    /// ordered journaling's rule that data reaches its blocks before they become reachable.
    func writeBackFreshPages() throws(KernelError) {
        for slot in pages.indices where pages[slot].fresh { try writeBack(slot) }
    }

    /// Writes every dirty page home (for unmount and `sync`). Does not flush.
    func writeBackAll() throws(KernelError) {
        for slot in pages.indices where pages[slot].dirty { try writeBack(slot) }
    }

    /// Forgets every page of `inode` without writing it (the file is gone and its blocks
    /// are free); mapped frames stay with the processes that map them.
    func discard(inode: UInt32) {
        var doomed: [UInt64] = []
        forEachPage(of: inode) { slot in doomed.append(pages[slot].key) }
        for key in doomed { remove(Int(index.value(at: key)!)) }
    }

    /// Gives up to `count` frames back to the allocator: clean pages the cache alone holds,
    /// least recently used first, then dirty ones after writing them back (the caller must be
    /// where waiting for the disk is safe). Returns how many.
    @discardableResult
    public func releaseFrames(_ count: Int) -> Int {
        release(count, allowDirty: true)
    }

    /// Gives up to `count` frames back without touching the disk: clean pages the cache alone
    /// holds, least recently used first. Returns how many. Safe anywhere, even in the middle
    /// of a call on this cache (nothing pinned goes).
    @discardableResult
    public func releaseCleanFrames(_ count: Int) -> Int {
        release(count, allowDirty: false)
    }

    private func release(_ count: Int, allowDirty: Bool) -> Int {
        var released = 0
        while released < count, let slot = try? victim(allowDirty: allowDirty) {
            remove(slot)
            released += 1
        }
        return released
    }

    /// Forgets every page (dirty ones are lost: write them back first).
    public func dropAll() {
        for page in pages { frames.free(page.frame) }
        pages.removeAll()
        index = AddressMap()
        hand = 0
    }

    // MARK: - Frames and eviction

    /// A frame for a new page: a new one while the cache is below its capacity and the
    /// allocator above the reserve, else the frame of a page that can go.
    private func takeFrame() throws(KernelError) -> PhysicalAddress {
        if pages.count < capacity, frames.freeCount > reserve, let frame = frames.allocate() { return frame }
        if let slot = try victim(allowDirty: true) { remove(slot) }
        guard let frame = frames.allocate() else { throw .noMemory }
        return frame
    }

    /// A page that can go now (written back first when dirty), or `nil` when every page is
    /// mapped, pinned, or (without `allowDirty`) dirty.
    private func victim(allowDirty: Bool) throws(KernelError) -> Int? {
        guard !pages.isEmpty else { return nil }
        for pass in 0..<3 {
            for _ in 0..<pages.count {
                hand %= pages.count
                let slot = hand
                hand += 1
                pagesSwept += 1
                let page = pages[slot]
                if page.pins > 0 || frames.shareCount(of: page.frame) > 1 { continue }
                if pass == 0, page.recentlyUsed {
                    pages[slot].recentlyUsed = false
                    continue
                }
                if page.dirty {
                    guard allowDirty, pass == 2 else { continue }
                    try writeBack(slot)
                    writeBackAhead()
                }
                return slot
            }
        }
        return nil
    }

    /// Dirty pages written back together when a page must go and only dirty ones can (a
    /// file larger than the cache being written): the victim and the dirty pages next on the
    /// clock's way, so that the evictions after it find clean pages at once instead of
    /// sweeping the whole cache twice each.
    static var writeBackCluster: Int { 64 }

    /// Writes back the dirty pages that the clock hand reaches next (those a victim may be),
    /// up to ``writeBackCluster`` less one, looking at no more slots than the cluster's twice.
    /// A page the device refuses stays dirty, and the write-back stops there: the error is
    /// for whoever needs that page on the disk (an `fsync`, the next eviction), not the call
    /// that needed a frame.
    private func writeBackAhead() {
        var written = 1
        var slot = hand
        for _ in 0..<min(pages.count, 2 * Self.writeBackCluster) {
            guard written < Self.writeBackCluster else { return }
            slot %= pages.count
            defer { slot += 1 }
            let page = pages[slot]
            guard page.dirty, page.pins == 0, frames.shareCount(of: page.frame) == 1 else { continue }
            do { try writeBack(slot) } catch { return }
            written += 1
        }
    }

    private func writeBack(_ slot: Int) throws(KernelError) {
        guard pages[slot].dirty else { return }
        try device.write(block: pages[slot].block, from: UnsafeRawBufferPointer(frames.memory.page(at: pages[slot].frame)))
        writeBacks += 1
        pages[slot].dirty = false
        pages[slot].fresh = false
    }

    private func forEachPage<Failure: Error>(of inode: UInt32, _ body: (Int) throws(Failure) -> Void) throws(Failure) {
        var key = Self.key(inode: inode, page: 0)
        let end = Self.key(inode: inode, page: 0) + (1 << 32)
        while let (found, slot) = index.ceiling(key), found < end {
            try body(Int(slot))
            key = found + 1
        }
    }

    private func remove(_ slot: Int) {
        index.remove(at: pages[slot].key)
        frames.free(pages[slot].frame)
        let last = pages.count - 1
        if slot != last {
            pages[slot] = pages[last]
            index.remove(at: pages[slot].key)
            index.insert(Int32(slot), at: pages[slot].key)
        }
        pages.removeLast()
    }
}

/// One page of the ``PageCache`` (its bookkeeping lives in the kernel heap: ``HeapBudget``).
struct CachedPage {
    var key: UInt64
    var frame: PhysicalAddress
    var block: UInt64
    var dirty: Bool
    var fresh: Bool
    var recentlyUsed: Bool
    /// Calls working on the frame now (see the type's description).
    var pins: Int32
}
