/// Copy-on-write `fork`: a second address space that starts as an exact copy of the first
/// and costs almost nothing until one of them writes.
///
/// `fork` must give the child a copy of every byte of its parent. Copying every page at once
/// would make `fork` as slow as the parent is big, and waste the copy entirely when the
/// child soon replaces its memory or only reads it. So no byte is copied at fork time:
///
/// 1. The child gets its own page table and the same regions (ranges, permissions,
///    backings) and the same pager.
/// 2. Every page present in the parent is mapped in the child *to the same frame*, and the
///    frame's share count in the ``FrameAllocator`` goes up by one: each page table that
///    maps a frame owns one share of it, and the frame goes back to the allocator only when
///    the last share is dropped (by `munmap`, or when an address space goes away).
/// 3. Every page its region allows to be written becomes read-only, in the parent *and* in
///    the child. The parent's translations of those pages must be invalidated: its TLB
///    may still hold the writable ones.
///
/// The first write by either side to such a page then faults. The fault path
/// (``MmStruct/resolveAccess(at:access:)``) sees a present page that its region allows to
/// be written and calls ``MmStruct/copyOnWrite(_:at:in:)``: while the frame is shared, the
/// writer gets a private copy, mapped writable, and gives up its share of the original;
/// the last sharer left just gets its page writable again, copying nothing. A kernel copy
/// into user memory (`read` into a buffer, `copyOut`) asks for the page the same way, so
/// it copies a shared page before it writes to it, exactly as the program would.
///
/// Pages that are not present (a lazy pager's untouched pages) stay absent in both; each
/// side faults them in from the region's backing on its own, so they are never shared.
/// Read-only pages (program text, read-only mappings) are shared and stay shared until one
/// side unmaps them or ends.
///
/// What can go wrong: a frame freed while another address space still maps it (a share
/// count too low) hands one process's memory to another; a writable entry left behind in
/// either side lets one process write into the other's memory; a count too high leaks the
/// frame forever. And the child's page tables need frames, which can run out half way; then
/// nothing of the child may remain. That is why the child is built completely before the
/// parent changes at all: if its tables cannot be built, dropping the partial child gives
/// back every table and every share it took, and the parent is exactly as it was.
extension MmStruct {
    /// A copy-on-write copy of this address space, for the child of `fork` (ABI.md §4):
    /// the same regions and pager, the kernel's slots shared as in this page table, and every
    /// present page mapped to the same frame (its share count one higher), read-only in both
    /// address spaces when its region allows writing (XD and USER as the region says).
    /// Absent pages stay absent in both.
    ///
    /// ``KernelError/noMemory`` when frames run out for the child's tables, or the run's
    /// ``budget`` cannot hold the child's regions; nothing of the child remains then, and
    /// this address space is unchanged.
    public mutating func fork() throws(KernelError) -> MmStruct<RAM, P> {
        var child = try MmStruct(frames: pageTable.frames, pager: pager, kernelTemplate: pageTable.root, budget: budget)
        // The child's regions count against the run's budget like the parent's, and are taken
        // from it before their nodes are made: the budget is what keeps the kernel heap safe.
        guard budget.takeRegions(regions.count) else { throw .noMemory }
        child.regions = regions.copy()
        do throws(PageTableError) {
            try regions.forEach { (_, region) throws(PageTableError) in
                try child.pageTable.mapShared(from: pageTable, in: region.range, permission: region.permission.subtracting(.write))
            }
        } catch {
            // The child's page table is fresh and its regions are the parent's, so only a
            // missing table can fail. Dropping the partial child gives back its tables, every
            // share it took, and its regions to the budget.
            precondition(error == .outOfMemory, "fork: unexpected page table error")
            throw .noMemory
        }
        // The child is complete: only now does the parent give up writing its shared pages.
        regions.forEach { (_, region) in
            guard region.permission.contains(.write) else { return }
            pageTable.writeProtectLeaves(in: region.range)
        }
        return child
    }
}
