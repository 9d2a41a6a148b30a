/// A region: one mapping of a process, as `mmap` created it or the loader registered it.
///
/// A region is a page-aligned range of the user half with one permission and one
/// *backing*, the thing its pages are filled from. Regions of a process never overlap, and
/// every present user page belongs to exactly one region, so the region, not the page
/// table, is the truth about what a program may touch: `accessOK` asks the regions, and a
/// lazy pager can fill a page only because a region says what belongs there.
public struct Region {
    /// The pages of the region.
    public var range: VirtualRange
    /// What the pages allow; always includes READ and USER.
    public var permission: Permission
    /// Where the bytes of the pages come from.
    public var backing: Backing

    public init(range: VirtualRange, permission: Permission, backing: Backing) {
        self.range = range
        self.permission = permission
        self.backing = backing
    }

    /// The frame page `page` (inside the region) starts with, and the permission to map it
    /// with: a new zeroed frame for anonymous memory; for a file, the file's cached page
    /// itself, shared and mapped without WRITE (the first write copies it, as after `fork`),
    /// when the page lies wholly inside the backing and the file shares its pages; otherwise
    /// a new frame holding the file's bytes, zeros after them. So a page read once is read
    /// from the disk once, however many processes map it, while a page that must show zeros
    /// where the file has bytes (the end of a program segment, past `p_filesz`) is never
    /// shared. ``KernelError/noMemory`` when no frame is left, ``KernelError/ioError`` when the
    /// file cannot be read; no frame is taken then.
    public func firstFrame<RAM>(for page: VirtualAddress, frames: FrameAllocator<RAM>) throws(KernelError) -> (frame: PhysicalAddress, permission: Permission) {
        let regionOffset = page.raw - range.start.raw
        if case .file(let backing) = backing, let index = backing.sharedPageIndex(at: regionOffset),
           let frame = try backing.file.sharedPage(at: index) {
            return (frame, permission.subtracting(.write))
        }
        guard let frame = frames.allocate() else { throw .noMemory }
        do {
            try fill(page: page, into: frames.memory.page(at: frame))
        } catch {
            frames.free(frame)
            throw error
        }
        return (frame, permission)
    }

    /// The page at `page` (inside the region) lies past the end of the file a Linux
    /// `mmap` mapped (``FileBacking/isPastEnd(at:)``): it has no contents, and an access there
    /// is a bus error. False for every other region.
    public func isPastFileEnd(_ page: VirtualAddress) throws(KernelError) -> Bool {
        guard case .file(let file) = backing else { return false }
        return try file.isPastEnd(at: page.raw - range.start.raw)
    }

    /// Writes the initial contents of the page at `page` (inside the region) into `frame`,
    /// which must be zeroed: nothing for anonymous memory, the file's bytes for a file.
    public func fill(page: VirtualAddress, into frame: UnsafeMutableRawBufferPointer) throws(KernelError) {
        guard case .file(let file) = backing else { return }
        try file.fill(bytesAt: page.raw - range.start.raw, into: frame)
    }
}

/// What a region's pages hold when they are first touched.
public enum Backing {
    /// Zero-filled memory.
    case anonymous
    /// Bytes of a file, private to the process: writes never reach the file.
    case file(FileBacking)
}

/// The file bytes behind a region: region byte `p` holds file byte `offset + p` while
/// `p < length` and the file has such a byte, and zero after. `length` is how the loader
/// keeps the bytes past a segment's `p_filesz` invisible; `mmap` uses the whole file.
///
/// With `faultsPastEnd` (a Linux program's `mmap` of a file), a page that lies wholly past the
/// end of the file is no page at all: an access there is a bus error, as on Linux, where
/// without it (KeOS's `mmap`, ABI.md §4) such a page reads as zeros.
public struct FileBacking {
    public let file: any MappableFile
    public let offset: UInt64
    public let length: UInt64
    public let faultsPastEnd: Bool

    public init(file: any MappableFile, offset: UInt64, length: UInt64 = .max, faultsPastEnd: Bool = false) {
        self.file = file
        self.offset = offset
        self.length = length
        self.faultsPastEnd = faultsPastEnd
    }

    /// True when the region's page at `regionOffset` has no page of the file to show and the
    /// backing says that is a fault (`faultsPastEnd`): the file's page there would start at or
    /// past the end of the file. The size is asked afresh: a file that grew serves more pages.
    public func isPastEnd(at regionOffset: UInt64) throws(KernelError) -> Bool {
        guard faultsPastEnd else { return false }
        let (position, overflow) = offset.addingReportingOverflow(regionOffset & ~PageGeometry.offsetMask)
        guard !overflow else { return true }
        let size = try file.size()
        return position >= PageGeometry.roundUp(size) ?? .max
    }

    /// Copies the file bytes of region offset `regionOffset` onward into `buffer`, leaving
    /// the rest of it as it is (zero).
    public func fill(bytesAt regionOffset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(KernelError) {
        guard regionOffset < length else { return }
        let (position, overflow) = offset.addingReportingOverflow(regionOffset)
        guard !overflow else { return }
        let size = try file.size()
        guard position < size else { return }
        let count = min(UInt64(buffer.count), length - regionOffset, size - position)
        _ = try file.read(at: position, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<Int(count)]))
    }

    /// The index of the file page that the region's page at `regionOffset` can share: when
    /// the file offset is page-aligned and the whole page lies inside ``length``; `nil`
    /// otherwise (the page is filled by copying).
    func sharedPageIndex(at regionOffset: UInt64) -> UInt64? {
        let (position, overflow) = offset.addingReportingOverflow(regionOffset)
        guard !overflow, position & PageGeometry.offsetMask == 0,
              regionOffset < length, length - regionOffset >= PageGeometry.pageSize else { return nil }
        return position >> PageGeometry.pageShift
    }
}

/// A file whose bytes can back a mapping: the small interface `mmap` and the ELF loader
/// need from the file system. The file system's ``InodeHandle`` implements it. Reading may
/// wait for the disk and fail with ``KernelError/ioError``.
public protocol MappableFile: AnyObject {
    /// The file's size in bytes.
    func size() throws(KernelError) -> UInt64
    /// Copies up to `buffer.count` bytes from `offset` into `buffer` and returns how many it
    /// copied (fewer only at the end of the file).
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(KernelError) -> Int
    /// The frame that holds page `index` of the file (its bytes from `index` · 4096, zeros past
    /// the end), with a share of it taken for the caller, which maps it read-only; `nil` when
    /// the page lies wholly past the end of the file or the file keeps no pages to share.
    func sharedPage(at index: UInt64) throws(KernelError) -> PhysicalAddress?
    /// The file's inode number on its disk, which names it in reports; `nil` for a file that
    /// has none.
    var inodeNumber: UInt32? { get }
}
