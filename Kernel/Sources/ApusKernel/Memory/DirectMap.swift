import ApusCore
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

    /// Drops the TLB entry of `address` when its address space is the one running: the TLB
    /// holds translations of the current CR3 only (no PCIDs in Apus).
    func invalidateTranslation(of address: VirtualAddress, inAddressSpaceOf root: PhysicalAddress) {
        if read_cr3() & PageTableEntry.frameMask == root.raw { invlpg(address.raw) }
    }

    /// Reloads CR3 when `root` is the running address space: every translation that is not
    /// global goes, with the paging-structure caches (Intel SDM Vol. 3A §4.10.4.1).
    func invalidateAllTranslations(inAddressSpaceOf root: PhysicalAddress) {
        let cr3 = read_cr3()
        if cr3 & PageTableEntry.frameMask == root.raw { write_cr3(cr3) }
    }
}
