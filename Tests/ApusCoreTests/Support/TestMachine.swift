import ApusCore
import Testing

/// RAM for one test: a host arena, a frame allocator over it, and the leak check every test
/// ends with.
final class TestMachine {
    let memory: HostMemory
    let frames: FrameAllocator<HostMemory>
    /// Free frames before the test made anything.
    let baseline: Int

    init(megabytes: Int = 4) {
        memory = HostMemory(byteCount: megabytes << 20)
        frames = FrameAllocator(memory: memory, range: memory.range)
        baseline = frames.freeCount
    }

    /// A fresh eager address space on this machine.
    func addressSpace() throws -> MmStruct<HostMemory, EagerPager> {
        try MmStruct(frames: frames, pager: EagerPager())
    }

    /// A fresh page table on this machine.
    func pageTable() throws -> PageTable<HostMemory> {
        try PageTable(frames: frames)
    }

    /// The bytes of the user page holding `address`, read through the page table (not
    /// through the user copies under test).
    func bytes(at address: UInt64, count: Int, in table: borrowing PageTable<HostMemory>) throws -> [UInt8] {
        let entry = try table.walk(VirtualAddress(address))
        let start = memory.pointer(to: entry.frame) + Int(address & PageGeometry.offsetMask)
        return Array(UnsafeRawBufferPointer(start: start, count: count))
    }
}

/// Runs `body` on a fresh machine and then checks that every frame is back in the allocator:
/// the leak check of every test.
func withMachine(megabytes: Int = 4, sourceLocation: SourceLocation = #_sourceLocation, _ body: (TestMachine) throws -> Void) rethrows {
    let machine = TestMachine(megabytes: megabytes)
    try body(machine)
    expectEqual(machine.frames.freeCount, machine.baseline, "frames leaked", sourceLocation: sourceLocation)
}

/// A regular file in memory, as the file table will provide.
final class TestFile: MappableFile {
    var bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// A file of `count` bytes whose byte `i` is `(i * 7 + salt) & 0xFF`, never all zero.
    convenience init(patternedCount count: Int, salt: Int = 1) {
        self.init((0..<count).map { UInt8(truncatingIfNeeded: $0 * 7 + salt) | 1 })
    }

    func size() -> UInt64 { UInt64(bytes.count) }
    func sharedPage(at index: UInt64) -> PhysicalAddress? { nil }
    var inodeNumber: UInt32? { nil }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard offset < size() else { return 0 }
        let count = min(buffer.count, bytes.count - Int(offset))
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + Int(offset), byteCount: count)
        }
        return count
    }
}

/// A file table for `mmap`: descriptors 0–2 are stdio and 5 a pipe (not mappable),
/// `files` maps descriptors to regular files, everything else is closed.
struct TestFileTable: MappableFileSource {
    var files: [Int32: TestFile] = [:]
    func mappableFile(_ descriptor: Int32) throws(KernelError) -> any MappableFile {
        if let file = files[descriptor] { return file }
        if (0...2).contains(descriptor) || descriptor == 5 { throw .invalidArgument }
        throw .badFileDescriptor
    }
}

extension VirtualRange {
    /// `[start, start + pages * 4 KiB)` for literals in tests.
    init(_ start: UInt64, pages: UInt64) {
        self.init(start: VirtualAddress(start), end: VirtualAddress(start + pages * PageGeometry.pageSize))
    }
}

/// Reads `count` bytes of user memory through `mm.copyIn`.
func userBytes<P: Pager>(_ mm: inout MmStruct<HostMemory, P>, at address: UInt64, count: Int) throws -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    try bytes.withUnsafeMutableBytes { buffer in
        try mm.copyIn(from: VirtualAddress(address), into: buffer)
    }
    return bytes
}

/// Writes `bytes` to user memory through `mm.copyOut`.
func writeUser<P: Pager>(_ mm: inout MmStruct<HostMemory, P>, _ bytes: [UInt8], at address: UInt64) throws {
    try bytes.withUnsafeBytes { buffer in
        try mm.copyOut(buffer, to: VirtualAddress(address))
    }
}
