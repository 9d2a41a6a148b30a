/// A memory allocator for one fixed region: the kernel heap behind `posix_memalign` and
/// `free`, on which every Swift object of the kernel lives.
///
/// It cannot use the heap it provides, so it keeps all its state inside the region it
/// manages and is written with raw pointers only; and it runs on every allocation of the
/// kernel, so each operation is a handful of steps:
///
/// * The region is cut into 4 KiB pages. A table at its start holds one 32-bit *tag* per
///   page: free, a small-block page of some size class, the first page of a large block (with
///   its page count), or a later page of one.
/// * Small requests (up to 2 KiB) are rounded up to a power of two, 16 bytes to 2 KiB, and
///   served from a free list per size class; a list that runs dry gets a fresh page cut
///   into blocks of its size. A block is aligned to its size, so any alignment up to the
///   size is met for free.
/// * A request of more than 2 KiB up to one page takes the lowest free page; a request of
///   several pages takes the *highest* run of free pages long enough (page-aligned).
/// * `free` finds a block's size class or page count in the tag of its page, so blocks carry
///   no header, and puts the block back for reuse: a long-running kernel reuses its memory
///   instead of growing.
///
/// Small-block pages stay with their size class once cut, which bounds fragmentation by the
/// largest number of blocks of each size ever live at once.
///
/// **Why a heap that holds its budgets never fails.** Pages are taken from two ends. Small
/// blocks and single pages (the *low* blocks) always take the lowest free page, so when one
/// takes page p, every page below p is in use: the highest low page ever used is below the
/// most pages ever in use at once. Several-page blocks (the *high* ones) take the highest
/// run that fits, so they stay at the top. The kernel makes its several-page blocks at boot
/// (its kernel stacks, the root file system's tables) and otherwise only for the length of
/// one operation. So when the pages that low blocks may hold at worst (``HeapBudget``) fit
/// between the low blocks of boot and the high ones, with room for one operation's passing
/// high blocks, the two ends never meet: every request of a page or less finds a page, and
/// every passing several-page request finds its run (``pagesBetweenFronts``).
public struct HeapAllocator {
    /// The smallest block: room for a free-list link and 16-byte alignment.
    public static let smallestBlock = 16
    /// The largest small block; anything bigger takes whole pages.
    public static let largestSmallBlock = 2048
    static let sizeClassCount = 8 // 16, 32, 64, 128, 256, 512, 1024, 2048
    static let pageSize = Int(PageGeometry.pageSize)

    // Page tags.
    static let freePage: UInt32 = 0
    static let smallPageBase: UInt32 = 1 // + size class
    static let largeStart: UInt32 = 0x8000_0000 // | page count
    static let largeContinuation: UInt32 = 0x4000_0000

    private let base: UnsafeMutableRawPointer
    private let pageCount: Int
    /// Pages at the start of the region that hold the bookkeeping.
    private let metadataPages: Int

    private var freeListHeads: UnsafeMutablePointer<UnsafeMutableRawPointer?> {
        base.assumingMemoryBound(to: UnsafeMutableRawPointer?.self)
    }
    private var statistics: UnsafeMutablePointer<Int> {
        (base + Self.sizeClassCount * MemoryLayout<UnsafeMutableRawPointer?>.stride).assumingMemoryBound(to: Int.self)
    }
    private var tags: UnsafeMutablePointer<UInt32> {
        (base + Self.sizeClassCount * MemoryLayout<UnsafeMutableRawPointer?>.stride + 2 * MemoryLayout<Int>.stride)
            .assumingMemoryBound(to: UInt32.self)
    }

    /// A heap over the `byteCount` bytes (a whole number of pages) at the page-aligned
    /// `base`, which it initializes. Its bookkeeping takes the first pages.
    public init(base: UnsafeMutableRawPointer, byteCount: Int) {
        precondition(Int(bitPattern: base) % Self.pageSize == 0 && byteCount % Self.pageSize == 0, "heap region must be whole pages")
        self.base = base
        pageCount = byteCount / Self.pageSize
        metadataPages = (Self.metadataBytes(forHeapBytes: byteCount) + Self.pageSize - 1) / Self.pageSize
        precondition(metadataPages < pageCount, "heap region too small for its own bookkeeping")
        base.initializeMemory(as: UInt8.self, repeating: 0, count: metadataPages * Self.pageSize)
        for page in 0..<metadataPages { tags[page] = Self.largeContinuation }
    }

    /// The bytes of bookkeeping a heap of `heapBytes` keeps at its start: the free lists'
    /// heads, two statistics and a tag per page.
    public static func metadataBytes(forHeapBytes heapBytes: Int) -> Int {
        sizeClassCount * MemoryLayout<UnsafeMutableRawPointer?>.stride + 2 * MemoryLayout<Int>.stride
            + heapBytes / pageSize * MemoryLayout<UInt32>.stride
    }

    /// Bytes handed out and not yet freed (block sizes, as rounded up).
    public var bytesInUse: Int { statistics[0] }
    /// The most bytes in use at once since the heap was made or ``resetPeak()``.
    public var peakBytesInUse: Int { statistics[1] }

    /// Starts counting ``peakBytesInUse`` from what is in use now.
    public func resetPeak() { statistics[1] = statistics[0] }
    /// Pages not holding bookkeeping, blocks or free-listed blocks.
    public var freePages: Int {
        var count = 0
        for page in metadataPages..<pageCount where tags[page] == Self.freePage { count += 1 }
        return count
    }

    /// `byteCount` bytes aligned to `alignment` (a power of two, at most a page), or `nil`
    /// when the heap cannot serve it.
    public func allocate(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer? {
        guard alignment > 0, alignment & (alignment - 1) == 0, alignment <= Self.pageSize, byteCount >= 0 else { return nil }
        let size = max(byteCount, alignment, Self.smallestBlock)
        if size <= Self.largestSmallBlock {
            let sizeClass = Self.sizeClass(for: size)
            if freeListHeads[sizeClass] == nil && !refill(sizeClass) { return nil }
            let block = freeListHeads[sizeClass]!
            freeListHeads[sizeClass] = block.load(as: UnsafeMutableRawPointer?.self)
            statistics[0] += Self.smallestBlock << sizeClass
            statistics[1] = Swift.max(statistics[1], statistics[0])
            return block
        }
        guard size <= pageCount * Self.pageSize else { return nil }
        let pages = (size + Self.pageSize - 1) / Self.pageSize
        guard let first = takePages(pages) else { return nil }
        tags[first] = Self.largeStart | UInt32(pages)
        for page in (first + 1)..<(first + pages) { tags[page] = Self.largeContinuation }
        statistics[0] += pages * Self.pageSize
        statistics[1] = Swift.max(statistics[1], statistics[0])
        return base + first * Self.pageSize
    }

    /// Returns a block that ``allocate(byteCount:alignment:)`` gave. A pointer the heap did
    /// not give stops the kernel: it would corrupt the heap.
    public func free(_ pointer: UnsafeMutableRawPointer) {
        let offset = pointer - base
        precondition(offset >= 0 && offset < pageCount * Self.pageSize, "free of a pointer outside the heap")
        let page = offset / Self.pageSize
        let tag = tags[page]
        if tag & Self.largeStart != 0 {
            precondition(offset % Self.pageSize == 0, "free of a pointer inside a large block")
            let pages = Int(tag & ~Self.largeStart)
            for index in page..<(page + pages) { tags[index] = Self.freePage }
            statistics[0] -= pages * Self.pageSize
        } else {
            precondition(tag >= Self.smallPageBase && tag < Self.smallPageBase + UInt32(Self.sizeClassCount), "free of a pointer the heap never gave")
            let sizeClass = Int(tag - Self.smallPageBase)
            precondition(offset % (Self.smallestBlock << sizeClass) == 0, "free of a pointer inside a block")
            pointer.storeBytes(of: freeListHeads[sizeClass], as: UnsafeMutableRawPointer?.self)
            freeListHeads[sizeClass] = pointer
            statistics[0] -= Self.smallestBlock << sizeClass
        }
    }

    /// The size class (0 for 16 bytes … 7 for 2 KiB) that holds `size` bytes.
    public static func sizeClass(for size: Int) -> Int {
        var sizeClass = 0
        while Self.smallestBlock << sizeClass < size { sizeClass += 1 }
        return sizeClass
    }

    /// The pages between the highest page a small block or a single-page block holds (or the
    /// bookkeeping) and the lowest page of a block of several pages (or the end): the room
    /// both ends have to grow into without meeting.
    public var pagesBetweenFronts: Int {
        var lowEnd = metadataPages
        var highStart = pageCount
        for page in metadataPages..<pageCount {
            let tag = tags[page]
            if tag >= Self.smallPageBase && tag < Self.smallPageBase + UInt32(Self.sizeClassCount) {
                lowEnd = page + 1
            } else if tag & Self.largeStart != 0 {
                if tag & ~Self.largeStart == 1 { lowEnd = page + 1 } else { highStart = min(highStart, page) }
            }
        }
        return max(0, highStart - lowEnd)
    }

    /// Cuts a free page into blocks of `sizeClass` onto its free list.
    private func refill(_ sizeClass: Int) -> Bool {
        guard let page = takePages(1) else { return false }
        tags[page] = Self.smallPageBase + UInt32(sizeClass)
        let blockSize = Self.smallestBlock << sizeClass
        let start = base + page * Self.pageSize
        var offset = Self.pageSize - blockSize
        while offset >= 0 {
            (start + offset).storeBytes(of: freeListHeads[sizeClass], as: UnsafeMutableRawPointer?.self)
            freeListHeads[sizeClass] = start + offset
            offset -= blockSize
        }
        return true
    }

    /// The first page of a run of `count` free pages, or `nil`: the lowest free page for
    /// one page, the highest run that fits for several (see the type's header).
    private func takePages(_ count: Int) -> Int? {
        if count == 1 {
            for page in metadataPages..<pageCount where tags[page] == Self.freePage { return page }
            return nil
        }
        var runLength = 0
        var page = pageCount
        while page > metadataPages {
            page -= 1
            if tags[page] == Self.freePage {
                runLength += 1
                if runLength == count { return page }
            } else {
                runLength = 0
            }
        }
        return nil
    }
}
