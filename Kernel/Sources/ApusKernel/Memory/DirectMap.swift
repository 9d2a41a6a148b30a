import X86_64Support

/// The kernel's window on physical memory: all of RAM mapped at a fixed offset in the
/// kernel half, so physical address `p` is at virtual `0xFFFF_8000_0000_0000 + p`.
///
/// boot.S maps the first 4 GiB there with huge pages; the kernel's own page table then maps
/// every RAM region of the memory map there with 4 KiB pages.
struct DirectMap: PhysicalMemory {
    static let offset: UInt64 = 0xFFFF_8000_0000_0000
    static let boot = DirectMap()

    func pointer(to address: PhysicalAddress) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(bitPattern: UInt(address.raw &+ Self.offset))!
    }

    /// Drops the translation of `address` on every CPU that has the address space loaded
    /// (TLBShootdown.swift); returns once all have.
    func invalidateTranslation(of address: VirtualAddress, inAddressSpaceOf root: PhysicalAddress) {
        withUnsafePointer(to: address) { TLBShootdown.invalidate(UnsafeBufferPointer(start: $0, count: 1), inAddressSpaceOf: root.raw) }
    }

    /// The translations of `pages`, with one request to the other CPUs for all of them.
    func invalidateTranslations(of pages: UnsafeBufferPointer<VirtualAddress>, inAddressSpaceOf root: PhysicalAddress) {
        TLBShootdown.invalidate(pages, inAddressSpaceOf: root.raw)
    }

    /// Every translation that is not global (a CR3 reload, which drops the paging-structure
    /// caches too: Intel SDM Vol. 3A §4.10.4.1), on every CPU that has the address space
    /// loaded.
    func invalidateAllTranslations(inAddressSpaceOf root: PhysicalAddress) {
        TLBShootdown.invalidate(nil, inAddressSpaceOf: root.raw)
    }
}
