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

    /// Writes the initial contents of the page at `page` (inside the region) into `frame`,
    /// which must be zeroed: nothing for anonymous memory, the file's bytes for a file.
    public func fill(page: VirtualAddress, into frame: UnsafeMutableRawBufferPointer) {
        guard case .file(let file) = backing else { return }
        file.fill(bytesAt: page.raw - range.start.raw, into: frame)
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
public struct FileBacking {
    public let file: any MappableFile
    public let offset: UInt64
    public let length: UInt64

    public init(file: any MappableFile, offset: UInt64, length: UInt64 = .max) {
        self.file = file
        self.offset = offset
        self.length = length
    }

    /// Copies the file bytes of region offset `regionOffset` onward into `buffer`, leaving
    /// the rest of it as it is (zero).
    public func fill(bytesAt regionOffset: UInt64, into buffer: UnsafeMutableRawBufferPointer) {
        guard regionOffset < length else { return }
        let (position, overflow) = offset.addingReportingOverflow(regionOffset)
        guard !overflow, position < file.size else { return }
        let count = min(UInt64(buffer.count), length - regionOffset, file.size - position)
        _ = file.read(at: position, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<Int(count)]))
    }
}

/// A file whose bytes can back a mapping: the small interface `mmap` and the ELF loader
/// need from the file system. The file table's regular files implement it.
public protocol MappableFile: AnyObject {
    /// The file's size in bytes.
    var size: UInt64 { get }
    /// Copies up to `buffer.count` bytes from `offset` into `buffer` and returns how many it
    /// copied (fewer only at the end of the file).
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) -> Int
}
