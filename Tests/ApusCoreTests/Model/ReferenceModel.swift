import ApusCore

/// The process memory of ABI.md §4 written as plainly as possible: a list of regions and a
/// dictionary of page contents, with every rule spelled out again independently of the
/// implementation. The model-based test runs the real `MmStruct` beside it.
struct ReferenceModel {
    struct Region: Equatable, CustomStringConvertible {
        var start: UInt64
        var end: UInt64
        var permission: Permission
        var description: String { "[\(hexadecimal(start)), \(hexadecimal(end))) \(permission)" }
    }

    static let pageSize: UInt64 = 4096
    static let userEnd: UInt64 = 1 << 47
    static let heapWindow: ClosedRange<UInt64> = 0x5000_0000_0000...0x507F_FFFF_FFFF

    /// The regions, sorted by start.
    private(set) var regions: [Region] = []
    /// The bytes of every mapped page.
    private(set) var pages: [UInt64: [UInt8]] = [:]

    /// The files behind descriptors: a regular file's bytes, or `nil` for stdio and pipes.
    let files: [Int32: [UInt8]?]

    init(files: [Int32: [UInt8]?]) { self.files = files }

    // MARK: mmap

    /// What `mmap(addr, len, prot, fd, off)` returns, and the new state when it succeeds.
    /// `allocationsAllowed` is how many frames the allocator will give before failing.
    mutating func mmap(_ a: UInt64, _ length: UInt64, _ prot: UInt64, _ fd: UInt64, _ off: UInt64, allocationsAllowed: Int?) -> Int64 {
        let invalid: Int64 = -22
        if prot & ~7 != 0 || prot & 1 == 0 { return invalid }
        if Int64(bitPattern: off) < 0 || off % Self.pageSize != 0 { return invalid }
        let descriptor = Int32(truncatingIfNeeded: fd)
        var contents: [UInt8]? = nil
        if descriptor != -1 {
            guard let entry = files[descriptor] else { return -9 }
            guard let bytes = entry, !bytes.isEmpty else { return invalid }
            contents = bytes
        }
        if a == 0 || a % Self.pageSize != 0 || length == 0 { return invalid }
        let canonical = a < Self.userEnd || a >= 0xFFFF_8000_0000_0000
        if !canonical { return invalid }
        let pageCount = length / Self.pageSize + (length % Self.pageSize == 0 ? 0 : 1)
        let (size, overflow1) = pageCount.multipliedReportingOverflow(by: Self.pageSize)
        let (end, overflow2) = a.addingReportingOverflow(size)
        if overflow1 || overflow2 || end > Self.userEnd { return invalid }
        if a <= Self.heapWindow.upperBound && end > Self.heapWindow.lowerBound { return invalid }
        for region in regions where a < region.end && region.start < end { return invalid }

        var newPages: [UInt64] = []
        var page = a
        while page < end { newPages.append(page); page += Self.pageSize }
        if let allowed = allocationsAllowed {
            let needed = newPages.count + tablesNeeded(for: Array(pages.keys) + newPages) - tableCount
            if allowed < needed { return -12 }
        }
        for page in newPages {
            var bytes = [UInt8](repeating: 0, count: Int(Self.pageSize))
            if let contents {
                for index in 0..<Int(Self.pageSize) {
                    let position = off + (page - a) + UInt64(index)
                    if position < UInt64(contents.count) { bytes[index] = contents[Int(position)] }
                }
            }
            pages[page] = bytes
        }
        regions.append(Region(start: a, end: end, permission: Permission(rawValue: prot).union(.user)))
        regions.sort { $0.start < $1.start }
        return Int64(bitPattern: a)
    }

    // MARK: munmap

    mutating func munmap(_ a: UInt64) -> Int64 {
        guard let index = regions.firstIndex(where: { $0.start == a }) else { return -22 }
        let region = regions.remove(at: index)
        var page = region.start
        while page < region.end { pages[page] = nil; page += Self.pageSize }
        return 0
    }

    // MARK: accessOK and copies

    func region(containing address: UInt64) -> Region? {
        regions.first { $0.start <= address && address < $0.end }
    }

    func accessOK(_ a: UInt64, _ length: UInt64, write: Bool) -> Bool {
        let (last, overflow) = a.addingReportingOverflow(length == 0 ? 0 : length - 1)
        if overflow { return false }
        let firstPage = a / Self.pageSize
        let lastPage = last / Self.pageSize
        // More pages than are mapped cannot all be mapped.
        if lastPage - firstPage >= UInt64(pages.count) { return false }
        for page in firstPage...lastPage {
            guard let region = region(containing: page * Self.pageSize) else { return false }
            if write && !region.permission.contains(.write) { return false }
        }
        return true
    }

    /// `count` bytes from `a` on, page by page (every page must be mapped).
    func read(_ a: UInt64, _ count: Int) -> [UInt8] {
        bytesAcrossPages(a, count, pageSize: Self.pageSize) { pages[$0]! }
    }

    /// Writes `bytes` from `a` on, page by page (every page must be mapped).
    mutating func write(_ bytes: [UInt8], at a: UInt64) {
        var done = 0
        while done < bytes.count {
            let address = a + UInt64(done)
            let offset = Int(address % Self.pageSize)
            let chunk = min(bytes.count - done, Int(Self.pageSize) - offset)
            pages[address - UInt64(offset)]![offset..<offset + chunk] = bytes[done..<done + chunk]
            done += chunk
        }
    }

    // MARK: Frames

    /// Page tables below the root that the mapped pages need: one PDPT per 512 GiB slot,
    /// one PD per 1 GiB, one PT per 2 MiB that holds a mapped page.
    var tableCount: Int { tablesNeeded(for: Array(pages.keys)) }

    private func tablesNeeded(for pages: [UInt64]) -> Int {
        Set(pages.map { $0 >> 39 }).count + Set(pages.map { $0 >> 30 }).count + Set(pages.map { $0 >> 21 }).count
    }

    /// Frames in use: the root, the tables, the pages.
    var framesInUse: Int { 1 + tableCount + pages.count }
}
