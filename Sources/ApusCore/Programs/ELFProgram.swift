/// A program as the loader sees it: the entry point and the `PT_LOAD` segments of a static
/// ELF64 executable (System V ABI, "Program Loading"), checked so that no file can make the
/// loader misbehave.
///
/// What Apus accepts (ABI.md §3): ELF64, little-endian, x86-64, `ET_EXEC`. Every `PT_LOAD`
/// segment must have `p_filesz <= p_memsz`, its file bytes inside the file, and its pages
/// inside the part of the user half programs may use, not overlapping another segment's pages.
/// Anything else is ``KernelError/invalidArgument``, never a crash; a file the disk fails to
/// read is ``KernelError/ioError``.
public struct ELFProgram: Equatable {
    /// One `PT_LOAD` segment.
    public struct Segment: Equatable {
        public var virtualAddress: UInt64
        public var memorySize: UInt64
        public var fileOffset: UInt64
        public var fileSize: UInt64
        /// READ plus WRITE and EXECUTABLE from `p_flags` (x86-64 cannot map unreadable pages).
        public var permission: Permission

        /// The whole pages the segment occupies.
        public var pages: VirtualRange {
            VirtualRange(start: VirtualAddress(virtualAddress).pageBase,
                         end: VirtualAddress(PageGeometry.roundUp(virtualAddress + memorySize)!))
        }
    }

    public var entry: VirtualAddress
    public var segments: [Segment]
    /// The header's OS/ABI byte (`e_ident[EI_OSABI]`): ``osABILinux`` marks a Linux program.
    public var osABI: UInt8
    /// Where the program header table lies in the file (`e_phoff`), and its entries.
    public var programHeaderOffset: UInt64
    public var programHeaderCount: Int

    /// The OS/ABI byte of GNU/Linux programs.
    public static let osABILinux: UInt8 = 3
    /// The size of one program header entry (`e_phentsize`, checked).
    public static var programHeaderEntrySize: Int { programHeaderSize }

    /// The address at which the program header table is visible in memory once loaded (a
    /// segment that loads its file bytes holds it), for Linux's auxiliary vector; `nil` when
    /// no segment loads it.
    public var programHeaderAddress: UInt64? {
        let length = UInt64(programHeaderCount * Self.programHeaderSize)
        for segment in segments where segment.fileOffset <= programHeaderOffset
            && programHeaderOffset + length <= segment.fileOffset + segment.fileSize {
            return segment.virtualAddress + (programHeaderOffset - segment.fileOffset)
        }
        return nil
    }

    /// The first page past every segment: where a Linux program's break starts.
    public var end: VirtualAddress {
        segments.reduce(VirtualAddress(0)) { max($0, $1.pages.end) }
    }

    static let headerSize = 64
    static let programHeaderSize = 56
    static let maximumProgramHeaders = 128
    static let typeExecutable: UInt16 = 2
    static let machineX86_64: UInt16 = 62
    static let segmentLoad: UInt32 = 1
    static let flagExecute: UInt32 = 1, flagWrite: UInt32 = 2

    /// Parses and checks the program in `file`.
    public init(file: any MappableFile) throws(KernelError) {
        var header = [UInt8](repeating: 0, count: Self.headerSize)
        let fileSize = try file.size()
        guard fileSize >= UInt64(Self.headerSize), try Self.read(file, at: 0, into: &header) else { throw .invalidArgument }
        guard header[0] == 0x7F, header[1] == UInt8(ascii: "E"), header[2] == UInt8(ascii: "L"), header[3] == UInt8(ascii: "F"),
              header[4] == 2, // ELFCLASS64
              header[5] == 1, // little-endian
              header[6] == 1, // EV_CURRENT
              UInt16(littleEndianBytes: header, at: 16) == Self.typeExecutable,
              UInt16(littleEndianBytes: header, at: 18) == Self.machineX86_64
        else { throw .invalidArgument }
        entry = VirtualAddress(UInt64(littleEndianBytes: header, at: 24))
        osABI = header[7]
        let tableOffset = UInt64(littleEndianBytes: header, at: 32)
        let entrySize = Int(UInt16(littleEndianBytes: header, at: 54))
        let count = Int(UInt16(littleEndianBytes: header, at: 56))
        guard entrySize == Self.programHeaderSize, count <= Self.maximumProgramHeaders,
              case let (tableEnd, overflow) = tableOffset.addingReportingOverflow(UInt64(count * entrySize)),
              !overflow, tableEnd <= fileSize
        else { throw .invalidArgument }
        programHeaderOffset = tableOffset
        programHeaderCount = count

        var table = [UInt8](repeating: 0, count: count * entrySize)
        guard try Self.read(file, at: tableOffset, into: &table) else { throw .invalidArgument }
        segments = []
        for index in 0..<count {
            let base = index * entrySize
            guard UInt32(littleEndianBytes: table, at: base) == Self.segmentLoad else { continue }
            let flags = UInt32(littleEndianBytes: table, at: base + 4)
            var segment = Segment(
                virtualAddress: UInt64(littleEndianBytes: table, at: base + 16),
                memorySize: UInt64(littleEndianBytes: table, at: base + 40),
                fileOffset: UInt64(littleEndianBytes: table, at: base + 8),
                fileSize: UInt64(littleEndianBytes: table, at: base + 32),
                permission: .read)
            if flags & Self.flagWrite != 0 { segment.permission.insert(.write) }
            if flags & Self.flagExecute != 0 { segment.permission.insert(.executable) }
            guard segment.memorySize > 0 else { continue }
            let (fileEnd, fileOverflow) = segment.fileOffset.addingReportingOverflow(segment.fileSize)
            let (memoryEnd, memoryOverflow) = segment.virtualAddress.addingReportingOverflow(segment.memorySize)
            guard segment.fileSize <= segment.memorySize, !fileOverflow, fileEnd <= fileSize,
                  !memoryOverflow, let end = PageGeometry.roundUp(memoryEnd),
                  segment.fileOffset >= segment.virtualAddress & PageGeometry.offsetMask,
                  case let pages = VirtualRange(start: VirtualAddress(segment.virtualAddress).pageBase, end: VirtualAddress(end)),
                  AddressSpaceLayout.isAvailableToPrograms(pages),
                  !segments.contains(where: { $0.pages.overlaps(pages) })
            else { throw .invalidArgument }
            segments.append(segment)
        }
        guard !segments.isEmpty else { throw .invalidArgument }
    }

    /// Registers every segment as a region of `memory`, filled from `file`: the page-aligned
    /// pages of the segment, holding the file bytes from the same distance before
    /// `p_offset` up to `p_filesz`, and zeros after (so nothing past `p_filesz` is visible).
    /// On failure, nothing of the program stays mapped.
    public func load<RAM, P: Pager>(from file: any MappableFile, into memory: inout MmStruct<RAM, P>) throws(KernelError) {
        var loaded: [VirtualAddress] = []
        for segment in segments {
            let shift = segment.virtualAddress & PageGeometry.offsetMask
            let backing = FileBacking(file: file, offset: segment.fileOffset - shift, length: shift + segment.fileSize)
            do {
                try memory.addRegion(segment.pages, permission: segment.permission, backing: .file(backing))
            } catch {
                for start in loaded { try? memory.removeRegion(startingAt: start) }
                throw error
            }
            loaded.append(segment.pages.start)
        }
    }

    /// Whether `bytes.count` bytes at `offset` were read into `bytes` (false at the end of the
    /// file). ``KernelError/ioError`` when the disk fails.
    private static func read(_ file: any MappableFile, at offset: UInt64, into bytes: inout [UInt8]) throws(KernelError) -> Bool {
        let count = bytes.count
        let outcome = bytes.withUnsafeMutableBytes { buffer in Result { () throws(KernelError) in try file.read(at: offset, into: buffer) } }
        return try outcome.get() == count
    }
}
