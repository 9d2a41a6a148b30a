import ApusCore
import Testing

/// A small geometry for tests: 8,192 blocks (32 MiB), 512 inodes, a journal. Its metadata
/// ends at block 4,133, so about 4,000 data blocks are left.
let smallGeometry = FileSystemGeometry(blockCount: 8_192, inodeCount: 512, hasJournal: true)

/// The bytes of `text`, as system calls receive paths.
func path(_ text: String) -> [UInt8] { Array(text.utf8) }

/// `count` bytes that differ from block to block and from file to file.
func pattern(_ count: Int, salt: Int = 1) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    bytes.withUnsafeMutableBufferPointer { buffer in
        for index in 0..<count { buffer[index] = UInt8(truncatingIfNeeded: index &* 31 &+ index >> 12 &+ salt) | 1 }
    }
    return bytes
}

/// A machine (frames) and a disk for one test, and the file system mounted on it.
final class DiskMachine {
    let machine: TestMachine
    var device: MemoryBlockDevice
    var options = FileSystem<HostMemory>.Options()

    init(geometry: FileSystemGeometry = smallGeometry, tree: [FileSystemImage.Item] = [], megabytes: Int = 48, pageCacheCapacity: Int = 256) throws {
        machine = TestMachine(megabytes: megabytes)
        device = MemoryBlockDevice(blockCount: geometry.blockCount)
        options.pageCacheCapacity = pageCacheCapacity
        try FileSystemImage.make(on: device, geometry: geometry, tree: tree, frames: machine.frames)
    }

    /// Mounts the disk; a refusal fails the test.
    func mount() throws -> FileSystem<HostMemory> {
        do { return try FileSystem.mount(device, frames: machine.frames, options: options) } catch {
            Issue.record("mount refused: \(error.reason)")
            throw error
        }
    }

    /// The checker's problems with the disk as it stands.
    var problems: [String] { FileSystemCheck.check(device) }

    /// Whether every frame is back with the allocator.
    var framesAreBack: Bool { machine.frames.freeCount == machine.baseline }
}

extension FileSystem where Memory == HostMemory {
    var root: UInt32 { Self.rootInode }

    func create(_ text: String, in directory: UInt32 = 1) throws(KernelError) { try create(path(text), from: directory) }
    func mkdir(_ text: String, in directory: UInt32 = 1) throws(KernelError) { try makeDirectory(path(text), from: directory) }
    func unlink(_ text: String, in directory: UInt32 = 1) throws(KernelError) { try unlink(path(text), from: directory) }
    func stat(_ text: String, in directory: UInt32 = 1) throws(KernelError) -> FileStatus { try status(path(text), from: directory) }
    func open(_ text: String, in directory: UInt32 = 1) throws(KernelError) -> OpenedFile { try open(path(text), from: directory) }

    /// Writes `bytes` at `offset` of `inode`; returns the count written.
    func write(_ inode: UInt32, at offset: UInt64, _ bytes: [UInt8]) throws(KernelError) -> Int {
        var result: Result<Int, KernelError> = .success(0)
        bytes.withUnsafeBytes { buffer in
            do throws(KernelError) { result = .success(try write(inode, at: offset, from: buffer)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    /// Reads up to `count` bytes at `offset` of `inode`.
    func read(_ inode: UInt32, at offset: UInt64, count: Int) throws(KernelError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0xEE, count: count)
        var result: Result<Int, KernelError> = .success(0)
        bytes.withUnsafeMutableBytes { buffer in
            do throws(KernelError) { result = .success(try read(inode, at: offset, into: buffer)) } catch { result = .failure(error) }
        }
        return Array(bytes.prefix(try result.get()))
    }

    /// The names in directory `text`, in `readdir` order.
    func names(_ text: String) throws(KernelError) -> [String] {
        try list(path(text)).map { String(decoding: $0.entry.name, as: UTF8.self) }
    }

    /// Makes the file `text` holding `bytes`; returns its inode.
    @discardableResult
    func file(_ text: String, _ bytes: [UInt8], in directory: UInt32 = 1) throws(KernelError) -> UInt32 {
        try create(text, in: directory)
        let inode = try existingInode(path(text), from: directory).number
        _ = try write(inode, at: 0, bytes)
        return inode
    }
}

/// A fresh disk of ``smallGeometry`` and the file system mounted on it.
func freshFileSystem(pageCacheCapacity: Int = 256) throws -> (DiskMachine, FileSystem<HostMemory>) {
    let disk = try DiskMachine(pageCacheCapacity: pageCacheCapacity)
    return (disk, try disk.mount())
}

/// Unmounts `fileSystem` and expects the checker to find nothing on its disk: how every test
/// of the file system ends.
func unmountAndCheck(_ disk: DiskMachine, _ fileSystem: FileSystem<HostMemory>, sourceLocation: SourceLocation = #_sourceLocation) throws {
    try fileSystem.unmount()
    expectEqual(disk.problems, [], sourceLocation: sourceLocation)
}

/// Expects `body` to throw exactly `expected`.
func expectError<T>(_ expected: KernelError, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws(KernelError) -> T) {
    do {
        let value = try body()
        Issue.record("expected \(expected), got \(value)", sourceLocation: sourceLocation)
    } catch {
        expectEqual(error, expected, sourceLocation: sourceLocation)
    }
}
