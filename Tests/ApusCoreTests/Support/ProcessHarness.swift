import ApusCore
import Testing

/// A process on a test machine, with a disk: a small file system (``smallGeometry``) holding
/// "hello.txt" ("Hello, file!\n") and an empty file "empty" in its root, a read-write buffer
/// at 0x1000_0000 (two pages) and a read-only page at 0x2000_0000 holding "hello.txt\0". Its
/// memory is filled by a pager of type `P`: eager by default, or the ``LazyPager``, which
/// faults pages in and can run out of frames half way. When the harness goes, the file system
/// is unmounted and the checker must find nothing wrong with the disk.
final class ProcessHarness<P: Pager> {
    let console: TestConsole
    let disk: MemoryBlockDevice
    let fileSystem: FileSystem<HostMemory>
    var process: UserProcess<HostMemory, P>
    private let sourceLocation: SourceLocation

    init(_ machine: TestMachine, input: String = "", pager: P, budget: ResourceBudget = ResourceBudget(),
         geometry: FileSystemGeometry = smallGeometry, tree: [FileSystemImage.Item] = ProcessHarnessLayout.tree,
         sourceLocation: SourceLocation = #_sourceLocation) throws {
        disk = MemoryBlockDevice(blockCount: geometry.blockCount)
        try FileSystemImage.make(on: disk, geometry: geometry, tree: tree, frames: machine.frames)
        var options = FileSystem<HostMemory>.Options()
        options.pageCacheCapacity = 64
        fileSystem = try FileSystem.mount(disk, frames: machine.frames, options: options)
        console = TestConsole(input: input)
        self.sourceLocation = sourceLocation
        var memory = try MmStruct(frames: machine.frames, pager: pager, budget: budget)
        try memory.addRegion(VirtualRange(Self.buffer, pages: 2), permission: [.read, .write], backing: .anonymous)
        let name = TestFile(Array("hello.txt\0".utf8))
        try memory.addRegion(VirtualRange(Self.readOnly, pages: 1), permission: .read, backing: .file(FileBacking(file: name, offset: 0)))
        process = UserProcess(mm: memory, fileSystem: fileSystem, console: console)
    }

    deinit {
        process.closeAllFiles()
        fileSystem.settleReleases()
        do {
            try fileSystem.unmount()
        } catch {
            Issue.record("unmount: \(error)", sourceLocation: sourceLocation)
        }
        expectEqual(FileSystemCheck.check(disk), [], sourceLocation: sourceLocation)
    }

    static var buffer: UInt64 { ProcessHarnessLayout.buffer }
    static var readOnly: UInt64 { ProcessHarnessLayout.readOnly }

    /// Makes system call `number`; returns what it returns.
    func call(_ number: KeOSSyscallNumber, _ a: UInt64 = 0, _ b: UInt64 = 0, _ c: UInt64 = 0) -> Int64 {
        guard case .returns(let value) = process.dispatch(number.rawValue, SyscallArguments(a, b, c)) else {
            Issue.record("\(number) did not return")
            return .min
        }
        return value
    }

    func open(_ path: String = "hello.txt", mode: UInt64 = 0) throws -> Int64 {
        try process.mm.copyOut(Array(path.utf8) + [0], to: VirtualAddress(Self.buffer + 0x1800))
        return call(.open, Self.buffer + 0x1800, mode)
    }

    func read(_ fd: Int64, count: UInt64, to address: UInt64 = buffer) -> Int64 { call(.read, UInt64(bitPattern: fd), address, count) }
    func write(_ fd: Int64, _ text: String) throws -> Int64 {
        try process.mm.copyOut(Array(text.utf8), to: VirtualAddress(Self.buffer + 0x1000))
        return call(.write, UInt64(bitPattern: fd), Self.buffer + 0x1000, UInt64(text.utf8.count))
    }
    func bytes(count: Int, at address: UInt64 = buffer) throws -> String {
        var bytes = [UInt8](repeating: 0, count: count)
        try bytes.withUnsafeMutableBytes { try process.mm.copyIn(from: VirtualAddress(address), into: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Where a ``ProcessHarness`` maps its buffers, and what its disk holds.
enum ProcessHarnessLayout {
    static let buffer: UInt64 = 0x1000_0000
    static let readOnly: UInt64 = 0x2000_0000
    static let tree: [FileSystemImage.Item] = [
        .file(path: Array("hello.txt".utf8), contents: Array("Hello, file!\n".utf8)),
        .file(path: Array("empty".utf8), contents: []),
    ]
}

extension ProcessHarness where P == EagerPager {
    convenience init(_ machine: TestMachine, input: String = "") throws {
        try self.init(machine, input: input, pager: EagerPager())
    }
}

