/// The eager pager: every page of a region gets its frame, filled, the moment the region is
/// created.
///
/// Simple and predictable: `mmap` pays for the whole region at once (a 16 MiB `mmap` zeroes
/// 4,096 frames), and afterwards no access inside a region can fault for lack of a page (but
/// past the end of a Linux program's file mapping, where a page is a bus error). A fault
/// inside a region is therefore a permission violation, and it kills.
public struct EagerPager: Pager {
    public init() {}

    public mutating func regionAdded<RAM>(_ region: Region, pageTable: inout PageTable<RAM>) throws(KernelError) {
        if case .file = region.backing { return try mapFilePages(of: region, pageTable: &pageTable) }
        do throws(PageTableError) {
            try pageTable.mapNewFrames(in: region.range, permission: region.permission) { _, _ in }
        } catch {
            // Only running out of frames can fail here: the region was validated and does
            // not overlap anything. What was mapped of it goes back.
            precondition(error == .outOfMemory, "eager pager: unexpected page table error")
            pageTable.unmapAll(in: region.range)
            throw .noMemory
        }
    }

    /// Maps every page of a file region with the frame it starts with (the page cache's,
    /// shared, where it can be): see ``Region/firstFrame(for:frames:)``.
    private func mapFilePages<RAM>(of region: Region, pageTable: inout PageTable<RAM>) throws(KernelError) {
        var page = region.range.start
        while page < region.range.end {
            do throws(KernelError) {
                // A page past the end of a Linux program's file mapping stays absent: a bus error.
                if try region.isPastFileEnd(page) {
                    page = VirtualAddress(page.raw + PageGeometry.pageSize)
                    continue
                }
                let first = try region.firstFrame(for: page, frames: pageTable.frames)
                do throws(PageTableError) {
                    try pageTable.map(page, to: first.frame, permission: first.permission)
                } catch {
                    // Only a missing table can fail here; the page table freed the frame.
                    precondition(error == .outOfMemory, "eager pager: unexpected page table error")
                    throw .noMemory
                }
            } catch {
                pageTable.unmapAll(in: region.range)
                throw error
            }
            page = VirtualAddress(page.raw + PageGeometry.pageSize)
        }
    }

    public mutating func pageIn<RAM>(
        at address: VirtualAddress, access: AccessKind, in region: Region, pageTable: inout PageTable<RAM>
    ) -> FaultResolution {
        // Every page of every region is present but those past the end of a Linux program's
        // file mapping, and MmStruct only asks when the region allows the access: a fault
        // anywhere else means the page table disagrees with the region, a kernel bug. A page
        // past the end is a bus error, or, when the file has grown to it since, the lazy
        // pager's first touch.
        guard case .file(let file) = region.backing, file.faultsPastEnd else {
            preconditionFailure("eager pager: fault at \(address) inside a fully mapped region")
        }
        var lazy = LazyPager()
        return lazy.pageIn(at: address, access: access, in: region, pageTable: &pageTable)
    }
}
