import ApusCore

/// Many processes' memory with copy-on-write `fork`, written as plainly as possible: per
/// process a list of regions and a dictionary of page contents, and for every page whether
/// it holds a frame yet (the lazy pager fills pages at their first touch), *which* frame
/// (a plain number, shared by the processes that share the frame) and whether its leaf
/// allows writing. The rules of ABI.md §4 are spelled out again here, independently of
/// `MmStruct` and `Fork.swift`; the fork model-based test runs the real thing beside it.
///
/// The model predicts exactly which operations run out of frames when the allocator is told
/// to fail: `fork` needs a root and one table per table of the parent's resident pages, an
/// eager `mmap` its pages and new tables, a write one frame per shared page it copies and per
/// absent page it fills. (A lazy fill that runs out of frames while allocating a *table*
/// leaves that empty table behind, which this model does not track; so the test makes
/// writes fail only at their first allocation in lazy processes.)
struct ProcessModel {
    struct Region: Equatable, CustomStringConvertible {
        var start: UInt64
        var end: UInt64
        var permission: Permission
        var description: String { "[\(hexadecimal(start)), \(hexadecimal(end))) \(permission)" }
    }

    struct Page {
        /// What the process reads there.
        var bytes: [UInt8]
        /// The frame behind the page, or `nil` while a lazy page is untouched.
        var frame: Int?
        /// Whether the leaf allows writing: false while the frame may be shared.
        var writable: Bool
    }

    struct Space {
        var policy: PagingPolicy
        var regions: [Region] = []
        var pages: [UInt64: Page] = [:]

        func region(containing address: UInt64) -> Region? {
            regions.first { $0.start <= address && address < $0.end }
        }

        var residentPages: [UInt64] { pages.compactMap { $0.value.frame == nil ? nil : $0.key } }
    }

    static let pageSize: UInt64 = 4096

    /// The live processes by id.
    private(set) var processes: [Int: Space] = [:]
    /// The id the next process gets (spawned or forked).
    private(set) var nextID = 0
    private var nextFrame = 0
    /// The bytes of the one file the processes map.
    let file: [UInt8]

    init(file: [UInt8]) { self.file = file }

    var liveIDs: [Int] { processes.keys.sorted() }

    /// How many pages map each frame, over every process: its share count.
    func shareCounts() -> [Int: Int] {
        var counts: [Int: Int] = [:]
        for space in processes.values {
            for page in space.pages.values { if let frame = page.frame { counts[frame, default: 0] += 1 } }
        }
        return counts
    }

    private mutating func newFrame() -> Int {
        nextFrame += 1
        return nextFrame
    }

    // MARK: Processes

    mutating func spawn(_ policy: PagingPolicy) -> Int {
        let id = nextID
        nextID += 1
        processes[id] = Space(policy: policy)
        return id
    }

    /// `fork` of process `id`: the child's id, or the error. `allocationsAllowed` is how many
    /// frames the allocator gives before failing.
    mutating func fork(_ id: Int, allocationsAllowed: Int?) -> Result<Int, KernelError> {
        guard var parent = processes[id] else { preconditionFailure("fork of a dead process") }
        if let allowed = allocationsAllowed, allowed < 1 + Self.tablesNeeded(for: parent.residentPages) {
            return .failure(.noMemory)
        }
        for (address, page) in parent.pages where page.frame != nil { parent.pages[address]!.writable = false }
        processes[id] = parent
        let child = nextID
        nextID += 1
        processes[child] = parent
        return .success(child)
    }

    mutating func exit(_ id: Int) {
        processes[id] = nil
    }

    // MARK: Memory

    /// `mmap` in process `id` of `pageCount` pages at `address` with `protection`, anonymous
    /// or from the file at `fileOffset`.
    mutating func mmap(_ id: Int, at address: UInt64, pageCount: Int, protection: Permission, fileOffset: UInt64?, allocationsAllowed: Int?) -> KernelError? {
        var space = processes[id]!
        let end = address + UInt64(pageCount) * Self.pageSize
        if space.regions.contains(where: { address < $0.end && $0.start < end }) { return .invalidArgument }
        let newPages = (0..<UInt64(pageCount)).map { address + $0 * Self.pageSize }
        let eager = space.policy == .eager
        if eager, let allowed = allocationsAllowed {
            let resident = space.residentPages
            let needed = newPages.count + Self.tablesNeeded(for: resident + newPages) - Self.tablesNeeded(for: resident)
            if allowed < needed { return .noMemory }
        }
        for page in newPages {
            var bytes = [UInt8](repeating: 0, count: Int(Self.pageSize))
            if let fileOffset {
                for index in 0..<Int(Self.pageSize) {
                    let position = Int(fileOffset + (page - address)) + index
                    if position < file.count { bytes[index] = file[position] }
                }
            }
            space.pages[page] = Page(bytes: bytes, frame: eager ? newFrame() : nil, writable: protection.contains(.write))
        }
        space.regions.append(Region(start: address, end: end, permission: protection.union(.user)))
        space.regions.sort { $0.start < $1.start }
        processes[id] = space
        return nil
    }

    mutating func munmap(_ id: Int, _ address: UInt64) -> KernelError? {
        guard let index = processes[id]!.regions.firstIndex(where: { $0.start == address }) else { return .invalidArgument }
        let region = processes[id]!.regions.remove(at: index)
        for page in stride(from: region.start, to: region.end, by: Int(Self.pageSize)) { processes[id]!.pages[page] = nil }
        return nil
    }

    /// True iff every page of `[address, address + count)` (at least one) is in a region that
    /// allows the access.
    func accessOK(_ id: Int, _ address: UInt64, _ count: Int, write: Bool) -> Bool {
        let space = processes[id]!
        let last = address + UInt64(max(count, 1)) - 1
        for page in stride(from: address & ~(Self.pageSize - 1), through: last, by: Int(Self.pageSize)) {
            guard let region = space.region(containing: page) else { return false }
            if write && !region.permission.contains(.write) { return false }
        }
        return true
    }

    private func pages(of address: UInt64, _ count: Int) -> [UInt64] {
        guard count > 0 else { return [] }
        return Array(stride(from: address & ~(Self.pageSize - 1), through: address + UInt64(count) - 1, by: Int(Self.pageSize)))
    }

    /// A kernel read of `count` bytes at `address`: the bytes, or the error. Absent pages get
    /// their frames (mapped with their region's permission).
    mutating func read(_ id: Int, _ address: UInt64, _ count: Int) -> Result<[UInt8], KernelError> {
        guard accessOK(id, address, count, write: false) else { return .failure(.badAddress) }
        for page in pages(of: address, count) where processes[id]!.pages[page]!.frame == nil {
            processes[id]!.pages[page]!.frame = newFrame()
            processes[id]!.pages[page]!.writable = processes[id]!.region(containing: page)!.permission.contains(.write)
        }
        let space = processes[id]!
        return .success(bytesAcrossPages(address, count, pageSize: Self.pageSize) { space.pages[$0]!.bytes })
    }

    /// A kernel write of `bytes` at `address`. Every page is made ready first, in order:
    /// an absent page gets a frame, a read-only page whose frame is shared gets a copy, a
    /// read-only page whose frame is no longer shared becomes writable. When the allocator
    /// fails, the pages made ready so far stay so and no byte is written.
    mutating func write(_ id: Int, _ bytes: [UInt8], at address: UInt64, allocationsAllowed: Int?) -> KernelError? {
        guard accessOK(id, address, bytes.count, write: true) else { return .badAddress }
        var budget = allocationsAllowed ?? .max
        let counts = shareCounts()
        for page in pages(of: address, bytes.count) {
            let current = processes[id]!.pages[page]!
            if current.writable && current.frame != nil { continue }
            let needsFrame = current.frame == nil || counts[current.frame!]! > 1
            if needsFrame {
                let cost = current.frame == nil ? 1 + newTables(id, page) : 1
                guard budget >= cost else { return .noMemory }
                budget -= cost
                processes[id]!.pages[page]!.frame = newFrame()
            }
            processes[id]!.pages[page]!.writable = true
        }
        var done = 0
        while done < bytes.count {
            let target = address + UInt64(done)
            let offset = Int(target % Self.pageSize)
            let chunk = min(bytes.count - done, Int(Self.pageSize) - offset)
            processes[id]!.pages[target - UInt64(offset)]!.bytes[offset..<offset + chunk] = bytes[done..<done + chunk]
            done += chunk
        }
        return nil
    }

    // MARK: Tables

    /// The tables below the root that `pages` need: one PDPT per 512 GiB, one PD per 1 GiB,
    /// one PT per 2 MiB.
    static func tablesNeeded(for pages: [UInt64]) -> Int {
        Set(pages.map { $0 >> 39 }).count + Set(pages.map { $0 >> 30 }).count + Set(pages.map { $0 >> 21 }).count
    }

    private func newTables(_ id: Int, _ page: UInt64) -> Int {
        let resident = processes[id]!.residentPages
        return Self.tablesNeeded(for: resident + [page]) - Self.tablesNeeded(for: resident)
    }
}
