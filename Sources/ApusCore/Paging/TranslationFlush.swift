/// Dropping the TLB's translations after many page-table entries changed at once, and only
/// then giving back the frames they pointed to.
///
/// Each leaf that is cleared or weakened must leave the TLB (Intel SDM Vol. 3A §4.10.4), of
/// every CPU that may hold it (ABI.md §8). One `invlpg` per page is right for a few pages;
/// for a whole region (a `munmap` of 16 MiB, a `fork` making 64 MiB read-only) one reload of
/// CR3, which drops every translation of the address space and the paging-structure caches
/// with them (§4.10.4.1), costs less than thousands of `invlpg`s, and the TLB is refilled
/// anyway. Under software emulation the difference is larger still: QEMU drops its whole TLB
/// on an `invlpg` near the kernel's big pages. Linux makes the same choice past 33 pages
/// (`tlb_single_page_flush_ceiling`, arch/x86/mm/tlb.c).
///
/// A flush collects the pages of one operation and, at ``finish()``, invalidates them in
/// one request (up to ``ceiling`` pages, one by one; past that, everything once): with
/// several CPUs that is one interrupt to the others for the whole operation, not one per
/// page. A frame (a page or a page table) that the operation takes away is given back only
/// after that (``free(_:zeroed:)``): until every CPU has dropped the translation, another CPU
/// may still reach the frame through its TLB, and the frame must not be someone else's by then.
///
/// A flush allocates nothing (`munmap` and a process's end use it, and freeing must never
/// need memory): it keeps the pages and the frames held back in fixed room of its own, on
/// the stack. When ``heldFrameLimit`` frames are held and the operation gives back one more,
/// everything goes at once (every frame held was unlinked before it was handed over, so one
/// whole flush covers them all), they are freed, and the operation goes on: an operation
/// that takes away more than that many frames costs one whole flush per that many.
public struct TranslationFlush<RAM: PhysicalMemory> {
    /// The pages invalidated one by one before one whole flush is the cheaper choice.
    public static var ceiling: Int { PageList.count }
    /// The frames held back at once, before a whole flush lets them go.
    public static var heldFrameLimit: Int { FrameList.count }
    typealias PageList = InlineArray<33, VirtualAddress>
    /// Frame addresses, with bit 0 set for a frame that holds only zeros (a frame's address
    /// is page-aligned, so the bit is free).
    typealias FrameList = InlineArray<256, UInt64>

    let frames: FrameAllocator<RAM>
    let root: PhysicalAddress
    /// The pages changed since the last invalidation, the first ``ceiling`` of them.
    private var pages = PageList(repeating: VirtualAddress(0))
    /// How many pages changed since the last invalidation.
    private var pending = 0
    /// How many pages changed in the whole operation.
    private(set) var count = 0
    /// Frames to give back once the translations are gone.
    private var held = FrameList(repeating: 0)
    private var heldCount = 0

    init(frames: FrameAllocator<RAM>, root: PhysicalAddress) {
        self.frames = frames
        self.root = root
    }

    /// The translation of `page` changed.
    mutating func add(_ page: VirtualAddress) {
        if pending < Self.ceiling { pages[pending] = page }
        pending += 1
        count += 1
    }

    /// `frame`, unlinked from the page table already, is free once the translations are gone
    /// (``FrameAllocator/freeZeroed(_:)`` when `zeroed`: a page table whose entries are all
    /// clear).
    mutating func free(_ frame: PhysicalAddress, zeroed: Bool = false) {
        if heldCount == Self.heldFrameLimit {
            frames.memory.invalidateAllTranslations(inAddressSpaceOf: root)
            pending = 0
            freeHeld()
        }
        held[heldCount] = frame.raw | (zeroed ? 1 : 0)
        heldCount += 1
    }

    /// Ends the operation: the translations go (one by one up to ``ceiling``, else all at
    /// once), then the frames taken away go back to the allocator.
    mutating func finish() {
        if pending > Self.ceiling {
            frames.memory.invalidateAllTranslations(inAddressSpaceOf: root)
        } else if pending > 0 {
            let count = pending
            pages.span.withUnsafeBufferPointer { all in
                frames.memory.invalidateTranslations(of: UnsafeBufferPointer(rebasing: all[0..<count]), inAddressSpaceOf: root)
            }
        }
        pending = 0
        freeHeld()
    }

    /// Gives every frame held back to the allocator.
    private mutating func freeHeld() {
        for index in 0..<heldCount {
            let entry = held[index]
            let frame = PhysicalAddress(entry & ~1)
            if entry & 1 != 0 { frames.freeZeroed(frame) } else { frames.free(frame) }
        }
        heldCount = 0
    }
}
