/// A 4-level x86-64 page table: the tree of tables that turns virtual addresses into
/// physical frames (Intel SDM Vol. 3A §4.5).
///
/// The root (PML4) is one frame of 512 entries; each present entry points at a table of the
/// next level, down to the PT whose entries (the *leaves*) map one 4 KiB page each. CR3
/// holds the root's physical address, and the CPU walks the tree on every TLB miss.
///
/// What this type promises (ABI.md §4):
/// * ``map(_:to:permission:)`` writes a leaf of exactly the bits ``PageTableEntry/leaf(frame:permission:)``
///   gives, allocating missing tables zeroed with permissive flags. It fails with
///   ``PageTableError/unaligned``, ``PageTableError/invalidPermission`` or
///   ``PageTableError/duplicated`` — and whatever it fails with, it frees the frame it was
///   given, so a caller can never leak one. A mapping owns one *share* of its frame (see
///   ``FrameAllocator``): ``mapShared(_:to:permission:)`` maps a frame that another
///   address space maps too, adding the share it then owns.
/// * ``unmap(_:)`` gives the frame back and invalidates the TLB entry.
/// * ``walk(_:)`` reads a leaf; ``updateLeaf(at:_:)`` rewrites one in place (for
///   copy-on-write); for every page mapped in a range, ``forEachMappedPage(in:_:)`` reads,
///   ``mapShared(from:in:permission:)`` shares them into another table and
///   ``writeProtectLeaves(in:)`` takes their write permission (the two halves of `fork`).
/// * Owning the value is owning the tree: when a `PageTable` goes away, every frame and
///   every table of the user half goes back to the allocator. The kernel half and the kernel
///   kernel window are shared with every other address space and are never touched.
///
/// `PageTable` is `~Copyable`: there is exactly one owner of each tree, so a tree can neither
/// be freed twice nor outlive its owner unnoticed.
public struct PageTable<RAM: PhysicalMemory>: ~Copyable {
    /// Where this table's frames (tables and mapped pages) come from and go back to.
    public let frames: FrameAllocator<RAM>
    /// The physical address of the PML4: what CR3 holds while this address space runs.
    public let root: PhysicalAddress

    /// An empty address space. With `template`, the root of another page table (the
    /// kernel's), the kernel half and the kernel window are shared with it; without one, they
    /// are empty. Fails with ``KernelError/noMemory`` when no frame is left for the root.
    public init(frames: FrameAllocator<RAM>, sharingKernelSlotsOf template: PhysicalAddress? = nil) throws(KernelError) {
        guard let root = frames.allocate() else { throw .noMemory }
        self.frames = frames
        self.root = root
        if let template {
            let source = frames.memory.pointer(to: template).assumingMemoryBound(to: UInt64.self)
            let destination = frames.memory.pointer(to: root).assumingMemoryBound(to: UInt64.self)
            for slot in 0..<PageGeometry.entriesPerTable where AddressSpaceLayout.isSharedSlot(slot) {
                destination[slot] = source[slot]
            }
        }
    }

    deinit {
        var flush = TranslationFlush(frames: frames, root: root)
        clear(tableAt: root, level: PageGeometry.levels, base: 0, range: AddressSpaceLayout.userHalf, flush: &flush)
        flush.finish()
        frames.free(root)
    }

    /// Maps the page at `page` to `frame` with `permission`, taking ownership of `frame`.
    public mutating func map(_ page: VirtualAddress, to frame: PhysicalAddress, permission: Permission) throws(PageTableError) {
        try install(page, frame: frame, permission: permission, owned: true)
    }

    /// Maps the page at `page` to `frame`, an allocated frame that is mapped elsewhere too
    /// (copy-on-write sharing, as `fork` does): the frame gets one more share, which this
    /// table owns from then on and gives back when the page is unmapped or the table goes
    /// away. Fails as ``map(_:to:permission:)`` does, and then the frame's share count is
    /// as it was.
    public mutating func mapShared(_ page: VirtualAddress, to frame: PhysicalAddress, permission: Permission) throws(PageTableError) {
        frames.share(frame)
        // `install` takes ownership of the new share, and drops it if it fails.
        try install(page, frame: frame, permission: permission, owned: true)
    }

    /// Maps every page that `source` maps in the page-aligned user-half `range` to the same
    /// frame here, with `permission`, each frame getting one more share (``mapShared(_:to:permission:)``
    /// for a whole range, as `fork` needs it). One pass over `source`'s present leaves; the
    /// table here that holds a leaf is looked up once for each 512 pages, not once a page.
    /// No page of `range` may be mapped here yet. On ``PageTableError/outOfMemory`` (a table
    /// could not be allocated) the pages shared so far stay mapped here, each holding its
    /// share: dropping this table gives them all back.
    public mutating func mapShared(from source: borrowing PageTable, in range: VirtualRange, permission: Permission) throws(PageTableError) {
        guard permission.contains(.read) else { throw .invalidPermission }
        precondition(range.isPageAligned && AddressSpaceLayout.userHalf.contains(range), "mapShared(from:) takes an aligned user range")
        guard !range.isEmpty else { return }
        let flags = PageTableEntry.leaf(frame: PhysicalAddress(0), permission: permission).raw
        try source.forEachLeafTable(in: range) { (sourceSlots, slots, base) throws(PageTableError) in
            var target: UnsafeMutablePointer<UInt64>? = nil
            for index in slots {
                let entry = PageTableEntry(raw: sourceSlots[index])
                guard entry.isPresent else { continue }
                if target == nil { target = try leafSlot(for: VirtualAddress(base), creatingTables: true)! }
                precondition(!PageTableEntry(raw: target![index]).isPresent, "mapShared(from:): a page of the range is mapped already")
                frames.share(entry.frame)
                target![index] = entry.frame.raw | flags
            }
        }
    }

    /// Maps every page of the page-aligned user-half `range` to a new frame, filled by `fill`
    /// (given the page and the frame's bytes, zeroed), with `permission`: what an eager pager
    /// does for a new region, with the leaf table looked up once per 512 pages instead of once
    /// a page. No page of `range` may be mapped yet (``PageTableError/duplicated``). On
    /// ``PageTableError/outOfMemory`` (no frame for a page or a table) the pages mapped so far
    /// stay mapped: the caller unmaps the range.
    public mutating func mapNewFrames(in range: VirtualRange, permission: Permission,
                                      fill: (VirtualAddress, UnsafeMutableRawBufferPointer) -> Void) throws(PageTableError) {
        precondition(range.isPageAligned && AddressSpaceLayout.userHalf.contains(range), "mapNewFrames takes an aligned user range")
        guard permission.contains(.read) else { throw .invalidPermission }
        let flags = PageTableEntry.leaf(frame: PhysicalAddress(0), permission: permission).raw
        let leafSpan = PageGeometry.span(ofEntryAtLevel: 2)
        var tableBase = UInt64.max
        var leaves: UnsafeMutablePointer<UInt64>? = nil
        var page = range.start
        while page < range.end {
            let index = page.tableIndex(level: 1)
            if page.raw & ~(leafSpan - 1) != tableBase {
                leaves = try leafSlot(for: page, creatingTables: true)! - index
                tableBase = page.raw & ~(leafSpan - 1)
            }
            let slot = leaves! + index
            guard !PageTableEntry(raw: slot.pointee).isPresent else { throw .duplicated }
            guard let frame = frames.allocate() else { throw .outOfMemory }
            fill(page, frames.memory.page(at: frame))
            slot.pointee = frame.raw | flags
            page = VirtualAddress(page.raw + PageGeometry.pageSize)
        }
    }

    /// Maps the page at `page` to `frame`, a frame the allocator does not own: the kernel
    /// image, the direct map of RAM, the heap's boot frames. Such mappings are the kernel's
    /// and allowed only in the shared slots (kernel half, kernel window), which no page table
    /// ever clears; on failure nothing is freed.
    public mutating func mapUnowned(_ page: VirtualAddress, to frame: PhysicalAddress, permission: Permission) throws(PageTableError) {
        precondition(AddressSpaceLayout.isSharedSlot(page.tableIndex(level: 4)), "unowned frames belong in the kernel's shared slots")
        try install(page, frame: frame, permission: permission, owned: false)
    }

    private mutating func install(_ page: VirtualAddress, frame: PhysicalAddress, permission: Permission, owned: Bool) throws(PageTableError) {
        precondition(page.isCanonical, "page tables cannot describe a non-canonical address")
        precondition(frame.isPageAligned, "a frame must be page-aligned")
        do throws(PageTableError) {
            guard page.isPageAligned else { throw PageTableError.unaligned }
            guard permission.contains(.read) else { throw PageTableError.invalidPermission }
            let slot = try leafSlot(for: page, creatingTables: true)!
            guard !PageTableEntry(raw: slot.pointee).isPresent else { throw PageTableError.duplicated }
            slot.pointee = PageTableEntry.leaf(frame: frame, permission: permission).raw
        } catch {
            if owned { frames.free(frame) }
            throw error
        }
    }

    /// Removes the mapping of the page at `page` and returns its frame, now the caller's.
    /// The page table keeps its (possibly now empty) tables; ``unmapAll(in:)`` frees those.
    public mutating func unmap(_ page: VirtualAddress) throws(PageTableError) -> PhysicalAddress {
        guard page.isPageAligned else { throw .unaligned }
        guard page.isCanonical, let slot = try? leafSlot(for: page, creatingTables: false),
              case let entry = PageTableEntry(raw: slot.pointee), entry.isPresent
        else { throw .notExist }
        slot.pointee = PageTableEntry.absent.raw
        frames.memory.invalidateTranslation(of: page, inAddressSpaceOf: root)
        return entry.frame
    }

    /// The leaf entry that maps the page holding `address`.
    public func walk(_ address: VirtualAddress) throws(PageTableError) -> PageTableEntry {
        guard address.isCanonical, let slot = try? leafSlot(for: address, creatingTables: false),
              case let entry = PageTableEntry(raw: slot.pointee), entry.isPresent
        else { throw .notExist }
        return entry
    }

    /// Rewrites the present leaf entry of the page holding `address` with `transform`'s
    /// result and invalidates its translation; the mutable walk that copy-on-write needs.
    /// `transform` may map the page to another frame or change its permission; the frame
    /// bookkeeping is the caller's.
    public mutating func updateLeaf(at address: VirtualAddress, _ transform: (PageTableEntry) -> PageTableEntry) throws(PageTableError) {
        guard address.isCanonical, let slot = try? leafSlot(for: address, creatingTables: false),
              case let entry = PageTableEntry(raw: slot.pointee), entry.isPresent
        else { throw .notExist }
        slot.pointee = transform(entry).raw
        frames.memory.invalidateTranslation(of: address.pageBase, inAddressSpaceOf: root)
    }

    /// Calls `body` with the page address and leaf entry of every page mapped in the
    /// page-aligned user-half `range`, in address order. Absent subtrees are skipped whole,
    /// so a huge, sparsely touched range costs only what is present. Shared slots (kernel
    /// half, kernel window) are skipped. Nothing changes: this is the read-only walk that
    /// `fork` uses to share a region's pages with the child.
    public func forEachMappedPage<Failure: Error>(
        in range: VirtualRange, _ body: (VirtualAddress, PageTableEntry) throws(Failure) -> Void
    ) throws(Failure) {
        precondition(range.isPageAligned && AddressSpaceLayout.userHalf.contains(range), "forEachMappedPage takes an aligned user range")
        guard !range.isEmpty else { return }
        try forEachLeafTable(in: range) { (slots, indices, base) throws(Failure) in
            for index in indices {
                let entry = PageTableEntry(raw: slots[index])
                guard entry.isPresent else { continue }
                try body(VirtualAddress(base + UInt64(index) * PageGeometry.pageSize), entry)
            }
        }
    }

    /// Takes the write permission from every writable leaf mapped in the page-aligned
    /// user-half `range` (each becomes `.leaf(frame:permission:)` of its permission minus
    /// WRITE: the CPU's accessed and dirty bits go too) and invalidates its translation;
    /// `fork` makes a region's pages copy-on-write with it. One loop per leaf table, no call
    /// per page. Returns the number of leaves that changed.
    @discardableResult
    public mutating func writeProtectLeaves(in range: VirtualRange) -> Int {
        precondition(range.isPageAligned && AddressSpaceLayout.userHalf.contains(range), "writeProtectLeaves takes an aligned user range")
        guard !range.isEmpty else { return 0 }
        let cleared = PageTableEntry.Flags([.writable, .accessed, .dirty]).rawValue
        var flush = TranslationFlush(frames: frames, root: root)
        forEachLeafTable(in: range) { slots, indices, base in
            for index in indices {
                let raw = slots[index]
                guard PageTableEntry(raw: raw).isPresent, raw & PageTableEntry.Flags.writable.rawValue != 0 else { continue }
                slots[index] = raw & ~cleared
                flush.add(VirtualAddress(base + UInt64(index) * PageGeometry.pageSize))
            }
        }
        flush.finish()
        return flush.count
    }

    /// Unmaps every page in the page-aligned user-half `range`, gives each frame back to the
    /// allocator once no CPU can reach it any more (``TranslationFlush``), and frees every
    /// table the range leaves empty. Shared slots (kernel half,
    /// kernel window) are skipped. Absent subtrees are skipped whole, so a huge, sparsely
    /// touched range costs only what is present. Returns the number of pages unmapped.
    @discardableResult
    public mutating func unmapAll(in range: VirtualRange) -> Int {
        precondition(range.isPageAligned && AddressSpaceLayout.userHalf.contains(range), "unmapAll takes an aligned user range")
        guard !range.isEmpty else { return 0 }
        let before = frames.freeCount
        var flush = TranslationFlush(frames: frames, root: root)
        clear(tableAt: root, level: PageGeometry.levels, base: 0, range: range, flush: &flush)
        flush.finish()
        return frames.freeCount - before
    }

    /// The number of tables below the root (PDPTs, PDs and PTs) in the user half.
    public func tableCount() -> Int {
        census(of: root, level: PageGeometry.levels).tables
    }

    /// The number of pages mapped in the user half: what the address space holds in frames
    /// beside its tables.
    public func mappedPageCount() -> Int {
        census(of: root, level: PageGeometry.levels).pages
    }

    // MARK: - Walking the tree

    private func entries(of table: PhysicalAddress) -> UnsafeMutablePointer<UInt64> {
        frames.memory.pointer(to: table).assumingMemoryBound(to: UInt64.self)
    }

    /// The slot of the level-1 entry for `address`; `nil` when an intermediate table is
    /// missing and `creatingTables` is false. With `creatingTables`, missing tables are
    /// allocated (zeroed, permissive) and `.outOfMemory` is thrown when that fails.
    private func leafSlot(for address: VirtualAddress, creatingTables: Bool) throws(PageTableError) -> UnsafeMutablePointer<UInt64>? {
        var table = root
        for level in stride(from: PageGeometry.levels, to: 1, by: -1) {
            let slot = entries(of: table) + address.tableIndex(level: level)
            var entry = PageTableEntry(raw: slot.pointee)
            if !entry.isPresent {
                guard creatingTables else { return nil }
                guard let child = frames.allocate() else { throw .outOfMemory }
                entry = .table(frame: child)
                slot.pointee = entry.raw
            }
            precondition(!entry.flags.contains(.hugePage), "huge pages are not used by Apus")
            table = entry.frame
        }
        return entries(of: table) + address.tableIndex(level: 1)
    }

    /// Clears every entry of the level-`level` table at `table` (which covers addresses from
    /// `base`) that lies in `range`: leaves give back their frames, tables are cleared
    /// recursively and freed once empty. Never touches shared root slots.
    private func clear(tableAt table: PhysicalAddress, level: Int, base: UInt64, range: VirtualRange,
                       flush: inout TranslationFlush<RAM>) {
        let slots = entries(of: table)
        let span = PageGeometry.span(ofEntryAtLevel: level)
        var freedTables = false
        for index in Self.slots(ofLevel: level, base: base, touching: range) {
            if level == PageGeometry.levels && AddressSpaceLayout.isSharedSlot(index) { continue }
            let entry = PageTableEntry(raw: slots[index])
            guard entry.isPresent else { continue }
            let entryBase = base + UInt64(index) * span
            if level == 1 {
                slots[index] = PageTableEntry.absent.raw
                flush.add(VirtualAddress(entryBase))
                flush.free(entry.frame)
            } else {
                clear(tableAt: entry.frame, level: level - 1, base: entryBase, range: range, flush: &flush)
                if isEmpty(entry.frame) {
                    slots[index] = PageTableEntry.absent.raw
                    // Every entry is zero: the next table or page it becomes needs no zeroing.
                    flush.free(entry.frame, zeroed: true)
                    freedTables = true
                }
            }
        }
        if freedTables {
            // INVLPG also drops the paging-structure caches that could still point at the
            // freed tables (Intel SDM Vol. 3A §4.10.4.1), and so does a whole flush.
            flush.add(VirtualAddress(base))
        }
    }

    /// The slots of a level-`level` table that covers addresses from `base` which the
    /// non-empty `range` touches.
    private static func slots(ofLevel level: Int, base: UInt64, touching range: VirtualRange) -> ClosedRange<Int> {
        let span = PageGeometry.span(ofEntryAtLevel: level)
        let shift = PageGeometry.shift(ofLevel: level)
        let first = Int((max(range.start.raw, base) - base) >> shift)
        let last = Int((min(range.end.raw - 1, base + span * UInt64(PageGeometry.entriesPerTable) - 1) - base) >> shift)
        return first...last
    }

    /// Calls `body` once for each leaf table (level 1) under the level-`level` table at
    /// `table` that `range` touches, with its entries, the slots of it in `range` and the
    /// address its slot 0 maps: the loop over pages is then the caller's, with no call per
    /// page (what `fork` needs for its thousands of pages). Never enters shared root slots.
    private func forEachLeafTable<Failure: Error>(
        in range: VirtualRange, ofTableAt table: PhysicalAddress? = nil, level: Int = PageGeometry.levels, base: UInt64 = 0,
        _ body: (UnsafeMutablePointer<UInt64>, ClosedRange<Int>, UInt64) throws(Failure) -> Void
    ) throws(Failure) {
        let slots = entries(of: table ?? root)
        let span = PageGeometry.span(ofEntryAtLevel: level)
        for index in Self.slots(ofLevel: level, base: base, touching: range) {
            if level == PageGeometry.levels && AddressSpaceLayout.isSharedSlot(index) { continue }
            let entry = PageTableEntry(raw: slots[index])
            guard entry.isPresent else { continue }
            precondition(!entry.flags.contains(.hugePage), "huge pages are not used by Apus")
            let entryBase = base + UInt64(index) * span
            if level == 2 {
                try body(entries(of: entry.frame), Self.slots(ofLevel: 1, base: entryBase, touching: range), entryBase)
            } else {
                try forEachLeafTable(in: range, ofTableAt: entry.frame, level: level - 1, base: entryBase, body)
            }
        }
    }

    private func isEmpty(_ table: PhysicalAddress) -> Bool {
        let slots = entries(of: table)
        for index in 0..<PageGeometry.entriesPerTable where slots[index] != 0 { return false }
        return true
    }

    /// The tables and pages under the level-`level` table at `table` (the user half only).
    private func census(of table: PhysicalAddress, level: Int) -> (tables: Int, pages: Int) {
        let slots = entries(of: table)
        var count = (tables: 0, pages: 0)
        for index in 0..<PageGeometry.entriesPerTable {
            if level == PageGeometry.levels && AddressSpaceLayout.isSharedSlot(index) { continue }
            let entry = PageTableEntry(raw: slots[index])
            guard entry.isPresent else { continue }
            if level == 1 {
                count.pages += 1
            } else {
                let below = census(of: entry.frame, level: level - 1)
                count = (count.tables + 1 + below.tables, count.pages + below.pages)
            }
        }
        return count
    }
}

/// Why a page table operation failed (the names of ABI.md §4).
public enum PageTableError: Error, Sendable, Hashable {
    /// The virtual address is not the start of a page.
    case unaligned
    /// No page is mapped there.
    case notExist
    /// A page is already mapped there.
    case duplicated
    /// The permission lacks READ, which x86-64 cannot leave out.
    case invalidPermission
    /// No frame was left for a missing intermediate table.
    case outOfMemory
}
