/// A process's memory map: every region with what it holds now, the table an OS course
/// draws by hand (and Linux prints in `/proc/PID/smaps`).
///
/// A region says what a program *may* touch; the page table says what it *has*. With a lazy
/// pager the two differ: a 1 GiB mapping whose program touched 64 pages has 64 resident
/// pages. After `fork` they differ again: a page that parent and child still share
/// copy-on-write is resident in both but costs one frame, and the first write by either
/// side gives the writer a private copy (Fork.swift). The map shows both counts per region:
///
/// * **resident** pages: present in the page table (each has a frame);
/// * **shared** pages: resident pages whose frame has another owner too (its share count in
///   the ``FrameAllocator`` is above one): another address space after `fork` (shared
///   copy-on-write), or the page cache, for a file's page mapped as the cache holds it.
///
/// Counting walks only the page tables that exist (``PageTable/forEachMappedPage(in:_:)``),
/// so a huge untouched region costs nothing.
public struct RegionSummary: Equatable, Sendable {
    /// Where a region's bytes come from.
    public enum Source: Equatable, Sendable {
        /// Zero-filled memory (`mmap` with fd −1, the stack, a segment's bss).
        case anonymous
        /// A file's bytes from `offset`: the file's inode number on the disk, `nil` for a
        /// file that has none.
        case file(inode: UInt32?, offset: UInt64)
    }

    public var range: VirtualRange
    /// READ, WRITE, EXECUTABLE as the region allows (USER left out: every region has it).
    public var permission: Permission
    public var source: Source
    public var residentPages: Int
    public var sharedPages: Int

    public init(range: VirtualRange, permission: Permission, source: Source, residentPages: Int, sharedPages: Int) {
        self.range = range
        self.permission = permission
        self.source = source
        self.residentPages = residentPages
        self.sharedPages = sharedPages
    }
}

extension MmStruct {
    /// The regions in address order with their resident and shared pages, at most `limit`
    /// of them (the first ones).
    public func memoryMap(limit: Int = .max) -> [RegionSummary] {
        var summaries: [RegionSummary] = []
        forEachRegionSummary(limit: limit) { summaries.append($0) }
        return summaries
    }

    /// Hands `body` the summaries of the first `limit` regions in address order. Allocates
    /// nothing (the kernel reports a process's map at its end, while it frees).
    public func forEachRegionSummary(limit: Int = .max, _ body: (RegionSummary) -> Void) {
        let frames = pageTable.frames
        var handed = 0
        forEachRegion { region in
            guard handed < limit else { return }
            handed += 1
            var resident = 0, shared = 0
            pageTable.forEachMappedPage(in: region.range) { (_, entry) in
                resident += 1
                if frames.shareCount(of: entry.frame) > 1 { shared += 1 }
            }
            let source: RegionSummary.Source
            switch region.backing {
            case .anonymous: source = .anonymous
            case .file(let backing): source = .file(inode: backing.file.inodeNumber, offset: backing.offset)
            }
            body(RegionSummary(range: region.range, permission: region.permission.intersection(Permission.protectionBits),
                               source: source, residentPages: resident, sharedPages: shared))
        }
    }
}
