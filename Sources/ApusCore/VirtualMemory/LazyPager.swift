/// The lazy pager: a region costs nothing until it is touched, and each page gets its frame
/// at its first touch.
///
/// `mmap` only records the region: no frame, and no page-table page either (the top-level
/// entry of a fresh 512 GiB slot stays zero). The first access to a page (by the program, or
/// by the kernel copying into or out of it on the program's behalf) faults; ``MmStruct``
/// checks that the region allows the access and asks this pager, which takes a frame, fills
/// it from the region's backing (zeros, or the file's bytes from the region's offset and
/// zeros past the file's end), and maps it with the region's permission; a page of a file
/// is the page cache's own frame, shared (``Region/firstFrame(for:frames:)``). So a program can
/// map far more than the machine has, as on every real kernel, and pays per page it uses.
///
/// Choices: a read of an untouched anonymous page gets its own zeroed frame at once (no
/// shared zero page): every resident page then has one owner until `fork` shares it, which
/// keeps the frame accounting of a process simple. Unmapping costs only what was touched:
/// ``PageTable/unmapAll(in:)`` skips absent subtrees whole.
public struct LazyPager: Pager {
    public init() {}

    public mutating func regionAdded<RAM>(_ region: Region, pageTable: inout PageTable<RAM>) throws(KernelError) {}

    public mutating func pageIn<RAM>(
        at address: VirtualAddress, access: AccessKind, in region: Region, pageTable: inout PageTable<RAM>
    ) -> FaultResolution {
        // MmStruct asks only when the region allows the access and the page table does not
        // serve it; a lazy page that is present serves every access its region allows.
        let page = address.pageBase
        assert((try? pageTable.walk(page)) == nil, "lazy pager: fault on a present page")
        let first: (frame: PhysicalAddress, permission: Permission)
        do throws(KernelError) {
            if try region.isPastFileEnd(page) { return .segmentationFault(.pastEndOfFile) }
            first = try region.firstFrame(for: page, frames: pageTable.frames)
        } catch {
            return error == .noMemory ? .outOfMemory : .segmentationFault(.unreadableFile)
        }
        do throws(PageTableError) {
            try pageTable.map(page, to: first.frame, permission: first.permission)
        } catch {
            // The page table freed the frame; only a missing table can fail here.
            precondition(error == .outOfMemory, "lazy pager: unexpected page table error")
            return .outOfMemory
        }
        return .resolved
    }
}
