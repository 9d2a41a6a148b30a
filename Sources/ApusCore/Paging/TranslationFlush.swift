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
/// after that (``free(_:)``): until every CPU has dropped the translation, another CPU may
/// still reach the frame through its TLB, and the frame must not be someone else's by then.
public struct TranslationFlush<RAM: PhysicalMemory> {
    /// The pages invalidated one by one before one whole flush is the cheaper choice.
    public static var ceiling: Int { 33 }

    let frames: FrameAllocator<RAM>
    let root: PhysicalAddress
    private var pages: [VirtualAddress] = []
    private(set) var count = 0
    /// Frames to give back once the translations are gone, and whether each holds only zeros.
    private var pendingFrees: [(frame: PhysicalAddress, zeroed: Bool)] = []

    init(frames: FrameAllocator<RAM>, root: PhysicalAddress) {
        self.frames = frames
        self.root = root
    }

    /// The translation of `page` changed.
    mutating func add(_ page: VirtualAddress) {
        count += 1
        if count <= Self.ceiling { pages.append(page) }
    }

    /// `frame` is free once the translations are gone (``FrameAllocator/freeZeroed(_:)``
    /// when `zeroed`: a page table whose entries are all clear).
    mutating func free(_ frame: PhysicalAddress, zeroed: Bool = false) {
        pendingFrees.append((frame, zeroed))
    }

    /// Ends the operation: the translations go (one by one up to ``ceiling``, else all at
    /// once), then the frames taken away go back to the allocator.
    func finish() {
        if count > Self.ceiling {
            frames.memory.invalidateAllTranslations(inAddressSpaceOf: root)
        } else if !pages.isEmpty {
            frames.memory.invalidateTranslations(of: pages, inAddressSpaceOf: root)
        }
        for pending in pendingFrees {
            if pending.zeroed { frames.freeZeroed(pending.frame) } else { frames.free(pending.frame) }
        }
    }
}
