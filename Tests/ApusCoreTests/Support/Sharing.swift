@testable import ApusCore
import Testing

extension TestMachine {
    /// A fresh address space on this machine whose pages come from the lazy pager: nothing
    /// is mapped until it is touched.
    func lazyAddressSpace() throws -> MmStruct<HostMemory, LazyPager> {
        try MmStruct(frames: frames, pager: LazyPager())
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
