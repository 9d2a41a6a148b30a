/// Dropping the TLB's translations after many page-table entries changed at once.
///
/// Each leaf that is cleared or weakened must leave the TLB (Intel SDM Vol. 3A §4.10.4).
/// One `invlpg` per page is right for a few pages; for a whole region (a `munmap` of 16 MiB,
/// a `fork` making 64 MiB read-only) one reload of CR3, which drops every translation of the
/// address space and the paging-structure caches with them (§4.10.4.1), costs less than
/// thousands of `invlpg`s, and the TLB is refilled anyway. Under software emulation the
/// difference is larger still: QEMU drops its whole TLB on an `invlpg` near the kernel's big
/// pages. Linux makes the same choice past 33 pages (`tlb_single_page_flush_ceiling`,
/// arch/x86/mm/tlb.c).
///
/// A flush collects the pages of one operation: the first ``ceiling`` are invalidated one
/// by one as they come; past that, ``finish()`` invalidates everything once.
public struct TranslationFlush<RAM: PhysicalMemory> {
    /// The pages invalidated one by one before one whole flush is the cheaper choice.
    public static var ceiling: Int { 33 }

    let memory: RAM
    let root: PhysicalAddress
    private(set) var count = 0

    init(memory: RAM, root: PhysicalAddress) {
        self.memory = memory
        self.root = root
    }

    /// The translation of `page` changed.
    mutating func add(_ page: VirtualAddress) {
        count += 1
        if count <= Self.ceiling { memory.invalidateTranslation(of: page, inAddressSpaceOf: root) }
    }

    /// Ends the operation: one whole flush when there were more pages than ``ceiling``.
    func finish() {
        if count > Self.ceiling { memory.invalidateAllTranslations(inAddressSpaceOf: root) }
    }
}
