/// How the core reaches physical memory: a window that turns a physical address into a
/// pointer, and the translation cache that must hear when a mapping changes.
///
/// A kernel cannot follow a physical address; it can only dereference virtual ones. The
/// usual answer is a *direct map*: all of RAM mapped at a fixed offset in the kernel half,
/// so physical address `p` is reachable at `offset + p`. The Apus kernel does exactly that.
/// Host tests instead hand out frames from a ``HostMemory`` arena of ordinary memory. The
/// page tables, the frame allocator and the user copies are written against this protocol
/// and run unchanged in both.
///
/// The CPU caches translations in its TLB and does not notice when a page table entry is
/// cleared or weakened. Whoever does that must invalidate the translation (`invlpg` on
/// x86-64, Intel SDM Vol. 3A §4.10.4) or the old mapping stays usable. With several CPUs,
/// every CPU that may hold the address space's translations must drop them (a *TLB
/// shootdown*, ABI.md §8): each invalidation below returns only once every CPU has, so a
/// caller may reuse a frame it took away right after.
public protocol PhysicalMemory {
    /// A pointer through which the byte at `address` can be read and written.
    func pointer(to address: PhysicalAddress) -> UnsafeMutableRawPointer

    /// The translation of `address` in the address space whose top table is `root` has been
    /// removed or weakened; drop it from the TLB of every CPU where that address space is
    /// active.
    func invalidateTranslation(of address: VirtualAddress, inAddressSpaceOf root: PhysicalAddress)

    /// The translations of `pages` in the address space whose top table is `root` have been
    /// removed or weakened: ``invalidateTranslation(of:inAddressSpaceOf:)`` for each, which
    /// a machine with several CPUs does with one request to the others for all of them.
    func invalidateTranslations(of pages: UnsafeBufferPointer<VirtualAddress>, inAddressSpaceOf root: PhysicalAddress)

    /// Many translations of the address space whose top table is `root` have been removed or
    /// weakened; drop every one of them if that address space is the active one (a CR3
    /// reload; see ``TranslationFlush`` for when this is the cheaper choice).
    func invalidateAllTranslations(inAddressSpaceOf root: PhysicalAddress)
}

extension PhysicalMemory {
    /// One page at a time.
    public func invalidateTranslations(of pages: UnsafeBufferPointer<VirtualAddress>, inAddressSpaceOf root: PhysicalAddress) {
        for page in pages { invalidateTranslation(of: page, inAddressSpaceOf: root) }
    }

    /// The frame at `frame` as a buffer of one page.
    @inlinable
    public func page(at frame: PhysicalAddress) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: pointer(to: frame), count: Int(PageGeometry.pageSize))
    }

    /// Fills the frame at `frame` with zeros.
    @inlinable
    public func zeroFrame(_ frame: PhysicalAddress) {
        pointer(to: frame).initializeMemory(as: UInt8.self, repeating: 0, count: Int(PageGeometry.pageSize))
    }

    /// Copies the whole frame at `source` over the frame at `destination`.
    @inlinable
    public func copyFrame(from source: PhysicalAddress, to destination: PhysicalAddress) {
        pointer(to: destination).copyMemory(from: pointer(to: source), byteCount: Int(PageGeometry.pageSize))
    }
}
