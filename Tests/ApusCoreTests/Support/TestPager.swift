@testable import ApusCore
import Testing

/// A pager that runs the half of the ``Pager`` interface the eager pager never does: it maps
/// nothing when a region is created and fills each page at its first touch (a small lazy
/// pager), it copies a frame shared with another address space at the first write to it
/// (copy-on-write, with the frame allocator's share counts), and it answers `.outOfMemory`
/// when the allocator has no frame left.
struct TestPager: Pager {
    /// Faults this pager resolved.
    var resolvedFaults = 0

    mutating func regionAdded<Memory>(_ region: Region, pageTable: inout PageTable<Memory>) throws(KernelError) {}

    mutating func resolveFault<Memory>(
        at address: VirtualAddress, access: AccessKind, in region: Region, pageTable: inout PageTable<Memory>
    ) -> FaultResolution {
        let page = address.pageBase
        let frames = pageTable.frames
        if let entry = try? pageTable.walk(page) {
            // Present but not allowing a write the region allows: a copy-on-write page.
            precondition(access == .write, "test pager: a present page refused a read")
            var frame = entry.frame
            if frames.shareCount(of: frame) > 1 {
                guard let copy = frames.allocate() else { return .outOfMemory }
                frames.memory.copyFrame(from: frame, to: copy)
                frames.free(frame)
                frame = copy
            }
            try! pageTable.updateLeaf(at: page) { _ in .leaf(frame: frame, permission: region.permission) }
        } else {
            guard let frame = frames.allocate() else { return .outOfMemory }
            region.fill(page: page, into: frames.memory.page(at: frame))
            do throws(PageTableError) {
                try pageTable.map(page, to: frame, permission: region.permission)
            } catch {
                return .outOfMemory // the page table freed the frame; only a table can be missing
            }
        }
        resolvedFaults += 1
        return .resolved
    }
}

extension TestMachine {
    /// A fresh address space on this machine whose pages come from a ``TestPager``.
    func lazyAddressSpace() throws -> MmStruct<HostMemory, TestPager> {
        try MmStruct(frames: frames, pager: TestPager())
    }

    /// Frames in use now, beyond what the machine started with.
    var framesInUse: Int { baseline - frames.freeCount }

    /// Checks, while `mm` is still alive, that the frames in use are exactly its root table,
    /// its other tables and `pages` mapped pages: the check that catches an unmap that forgets
    /// pages, which the leak check at the end (after the page table is gone) cannot.
    func expectResident<P: Pager>(_ pages: Int, in mm: borrowing MmStruct<HostMemory, P>, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(framesInUse == 1 + mm.pageTable.tableCount() + pages, "frames in use: root, tables and \(pages) pages", sourceLocation: sourceLocation)
    }
}

/// Makes the present page at `page` of `source` shared copy-on-write with `target`: both map
/// the frame read-only (XD kept) and its share count goes up by one, as `fork` will do.
func shareCopyOnWrite<P: Pager, Q: Pager>(_ page: UInt64, from source: inout MmStruct<HostMemory, P>, into target: inout MmStruct<HostMemory, Q>) throws {
    let address = VirtualAddress(page)
    let entry = try source.pageTable.walk(address)
    let readOnly = entry.permission.subtracting(.write)
    source.pageTable.frames.share(entry.frame)
    try source.pageTable.updateLeaf(at: address) { _ in .leaf(frame: entry.frame, permission: readOnly) }
    try target.pageTable.map(address, to: entry.frame, permission: readOnly)
}
