import ApusCore
import Testing

/// The file system calls at the system call level (ABI.md §6): each rule and each error of
/// `create`, `mkdir`, `unlink`, `chdir`, `readdir`, `stat`, `fsync`, `open` of directories and
/// writes that grow files, made through the KeOS decoding layer on a process whose root is a
/// disk (``ProcessHarness``, which unmounts the disk and checks it at the end of each test).
@Suite("File system calls (ABI.md §6)")
struct FileSystemSyscallTests {
    static let noSuchEntry: Int64 = -2, badFD: Int64 = -9, badAddress: Int64 = -14, busy: Int64 = -16
    static let fileExist: Int64 = -17, notDirectory: Int64 = -20, isDirectory: Int64 = -21, invalid: Int64 = -22
    static let noSpace: Int64 = -28, nameTooLong: Int64 = -36, notEmpty: Int64 = -39
    /// Where the tests put the paths they pass.
    static let pathArea = ProcessHarnessLayout.buffer + 0x1C00
    static let recordArea = ProcessHarnessLayout.buffer + 0x400

    @Test func createMakesAnEmptyFileWithoutOpeningIt() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            expectEqual(try harness.pathCall(.create, "new"), 0)
            expectEqual(try harness.statRecord("new"), .init(type: 0, size: 0))
            expectEqual(try harness.open("new"), 3, "create opened nothing")
            expectEqual(try harness.pathCall(.create, "new"), Self.fileExist)
            expectEqual(try harness.pathCall(.create, "/"), Self.fileExist)
            expectEqual(try harness.pathCall(.create, "."), Self.fileExist)
            expectEqual(try harness.pathCall(.create, "missing/new"), Self.noSuchEntry)
            expectEqual(try harness.pathCall(.create, "hello.txt/new"), Self.notDirectory)
            expectEqual(try harness.pathCall(.create, ""), Self.noSuchEntry)
        }
    }

    @Test func everyPathIsAUserStringCheckedAsOpensIs() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            for call: KeOSSyscallNumber in [.create, .mkdir, .unlink, .chdir] {
                expectEqual(harness.call(call, 0), Self.badAddress)
                expectEqual(harness.call(call, 0xFFFF_8000_0000_0000), Self.badAddress)
                try harness.process.mm.copyOut([0x62, 0xFF, 0], to: VirtualAddress(Self.pathArea))
                expectEqual(harness.call(call, Self.pathArea), Self.invalid, "not UTF-8")
                expectEqual(try harness.pathCall(call, String(repeating: "n", count: 252)), Self.nameTooLong)
            }
            expectEqual(harness.call(.stat, 0, Self.recordArea), Self.badAddress)
            // A path running into an unmapped page.
            try harness.process.mm.copyOut([UInt8](repeating: 65, count: 16), to: VirtualAddress(ProcessHarnessLayout.buffer + 0x2000 - 16))
            expectEqual(harness.call(.mkdir, ProcessHarnessLayout.buffer + 0x2000 - 16), Self.badAddress)
            expectEqual(try harness.pathCall(.create, String(repeating: "n", count: 251)), 0, "251 bytes is a name")
        }
    }

    @Test func mkdirMakesADirectoryHoldingDotAndDotDot() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            expectEqual(try harness.pathCall(.mkdir, "d"), 0)
            expectEqual(try harness.statRecord("d"), .init(type: 1, size: 4096))
            expectEqual(try harness.pathCall(.mkdir, "d"), Self.fileExist)
            expectEqual(try harness.pathCall(.mkdir, "hello.txt"), Self.fileExist)
            expectEqual(try harness.pathCall(.mkdir, "missing/d"), Self.noSuchEntry)
            expectEqual(try harness.pathCall(.mkdir, "d/e/"), 0, "a trailing slash")
            let fd = try harness.open("d")
            expectEqual(try harness.readdir(fd, count: 8).map(\.name), [".", "..", "e"])
            let entries = try harness.readdir(try harness.open("d"), count: 2)
            #expect(entries[0].inode == (try harness.statRecord("d")?.inode) && entries[1].inode == 1)
        }
    }

    @Test func unlinkRemovesFilesAndEmptyDirectoriesOnly() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            expectEqual(try harness.pathCall(.mkdir, "d"), 0)
            expectEqual(try harness.pathCall(.create, "d/f"), 0)
            expectEqual(try harness.pathCall(.unlink, "d"), Self.notEmpty)
            expectEqual(try harness.pathCall(.unlink, "d/."), Self.busy)
            expectEqual(try harness.pathCall(.unlink, "d/.."), Self.busy)
            expectEqual(try harness.pathCall(.unlink, "."), Self.busy)
            expectEqual(try harness.pathCall(.unlink, "/"), Self.busy)
            expectEqual(try harness.pathCall(.unlink, "d/missing"), Self.noSuchEntry)
            expectEqual(try harness.pathCall(.unlink, "hello.txt/"), Self.notDirectory)
            expectEqual(try harness.pathCall(.unlink, "d/f"), 0)
            expectEqual(try harness.pathCall(.unlink, "d/f"), Self.noSuchEntry)
            expectEqual(try harness.pathCall(.unlink, "d"), 0)
            expectEqual(try harness.statRecord("d"), nil)
        }
    }

    @Test func aFileUnlinkedWhileOpenLivesUntilItsLastDescriptorCloses() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let free = try harness.fileSystem.freeBlockCount()
            let fd = try harness.open("hello.txt", mode: 2)
            let twin = try harness.open("hello.txt")
            expectEqual(try harness.pathCall(.unlink, "hello.txt"), 0)
            expectEqual(try harness.statRecord("hello.txt"), nil)
            expectEqual(harness.read(fd, count: 5), 5)
            expectEqual(try harness.bytes(count: 5), "Hello")
            expectEqual(try harness.write(fd, " and more"), 9, "it is still writable")
            expectEqual(harness.call(.close, UInt64(fd)), 0)
            expectEqual(try harness.fileSystem.freeBlockCount(), free, "one descriptor is still open")
            expectEqual(harness.read(twin, count: 100), 14)
            expectEqual(try harness.bytes(count: 14), "Hello and more")
            expectEqual(harness.call(.close, UInt64(twin)), 0)
            #expect(try harness.fileSystem.freeBlockCount() == free + 1, "the last close freed its block")
            expectEqual(try harness.pathCall(.create, "hello.txt"), 0, "the name can be used again")
        }
    }

    @Test func chdirMovesWherePathsStartAndForkCopiesIt() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            expectEqual(try harness.pathCall(.mkdir, "d"), 0)
            expectEqual(try harness.pathCall(.create, "d/f"), 0)
            expectEqual(try harness.pathCall(.chdir, "missing"), Self.noSuchEntry)
            expectEqual(try harness.pathCall(.chdir, "hello.txt"), Self.notDirectory)
            expectEqual(try harness.pathCall(.chdir, "d"), 0)
            #expect(try harness.statRecord("f") != nil, "relative to d")
            #expect(try harness.statRecord("/hello.txt") != nil, "absolute paths start at /")
            var child = try harness.process.fork(mainThread: 2)
            expectEqual(child.currentDirectory.inode, harness.process.currentDirectory.inode)
            let up = Array("..".utf8) + [0]
            try child.mm.copyOut(up, to: VirtualAddress(Self.pathArea))
            expectEqual(child.dispatch(KeOSSyscallNumber.chdir.rawValue, SyscallArguments(Self.pathArea)), .returns(0))
            expectEqual(child.currentDirectory.inode, FileSystem<HostMemory>.rootInode)
            #expect(try harness.statRecord("f") != nil, "the parent stays in d")
            child.closeAllFiles()
            // A directory that is some process's current one lives on after unlink.
            expectEqual(try harness.pathCall(.unlink, "f"), 0)
            expectEqual(try harness.pathCall(.unlink, "/d"), 0)
            #expect(try harness.statRecord(".") != nil)
            expectEqual(try harness.pathCall(.create, "g"), Self.noSuchEntry, "nothing is made in a removed directory")
            expectEqual(try harness.pathCall(.chdir, "/"), 0)
        }
    }

    @Test func threadsShareTheCurrentDirectory() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            expectEqual(try harness.pathCall(.mkdir, "d"), 0)
            try harness.process.mm.copyOut(Array("d".utf8) + [0], to: VirtualAddress(Self.pathArea))
            expectEqual(harness.process.dispatch(KeOSSyscallNumber.chdir.rawValue, SyscallArguments(Self.pathArea), by: 7), .returns(0))
            try harness.process.mm.copyOut(Array("..".utf8) + [0], to: VirtualAddress(Self.pathArea))
            #expect(try harness.statRecord("../hello.txt") != nil, "the main thread is in d too")
        }
    }

    @Test func directoriesOpenInAnyModeAndRefuseReadWriteSeekAndTell() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            for mode: UInt64 in 0...2 {
                let fd = try harness.open("/", mode: mode)
                #expect(fd >= 3)
                expectEqual(harness.read(fd, count: 1), Self.isDirectory)
                expectEqual(try harness.write(fd, "x"), Self.isDirectory)
                expectEqual(harness.call(.seek, UInt64(fd), 0, 0), Self.invalid)
                expectEqual(harness.call(.tell, UInt64(fd)), Self.invalid)
                expectEqual(harness.call(.close, UInt64(fd)), 0)
            }
            expectEqual(try harness.open("hello.txt/"), Self.notDirectory)
        }
    }

    @Test func readdirFillsEntriesFromAPerDescriptorCursor() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            for index in 0..<20 { expectEqual(try harness.pathCall(.create, "e\(index)"), 0) }
            let fd = try harness.open("/")
            let other = try harness.open("/")
            expectEqual(try harness.readdir(fd, count: 3).map(\.name), [".", "..", "hello.txt"])
            expectEqual(try harness.readdir(other, count: 1).map(\.name), ["."], "each descriptor has its own cursor")
            expectEqual(harness.call(.readdir, UInt64(fd), Self.recordArea, 0), 0)
            let rest = try harness.readdir(fd, count: 24)
            #expect(rest.map(\.name) == ["empty"] + (0..<20).map { "e\($0)" })
            #expect(try harness.readdir(fd, count: 24).isEmpty)
            #expect(Set(rest.map(\.inode)).count == 21 && !rest.contains { $0.inode == 0 })
        }
    }

    @Test func readdirChecksItsBufferLikeReadAndConsumesNothingWhenItFails() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let fd = try harness.open("/")
            expectEqual(harness.call(.readdir, UInt64(fd), 0, 0), Self.badAddress, "even for a count of 0")
            expectEqual(harness.call(.readdir, UInt64(fd), 0, 4), Self.badAddress)
            expectEqual(harness.call(.readdir, UInt64(fd), ProcessHarnessLayout.readOnly, 1), Self.badAddress)
            expectEqual(harness.call(.readdir, UInt64(fd), ProcessHarnessLayout.buffer + 0x2000 - 264, 2), Self.badAddress)
            expectEqual(harness.call(.readdir, UInt64(fd), Self.recordArea, UInt64.max / 264 + 1), Self.badAddress, "a size past 2^64")
            expectEqual(try harness.readdir(fd, count: 1).map(\.name), ["."], "nothing was consumed")
            expectEqual(harness.call(.readdir, 99, Self.recordArea, 1), Self.badFD)
            expectEqual(harness.call(.readdir, UInt64(bitPattern: -1), Self.recordArea, 1), Self.badFD)
            expectEqual(harness.call(.readdir, 1, Self.recordArea, 1), Self.notDirectory)
            expectEqual(harness.call(.readdir, UInt64(try harness.open()), Self.recordArea, 1), Self.notDirectory)
        }
    }

    @Test func aRemovedDirectoryStillOpenListsNothing() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            expectEqual(try harness.pathCall(.mkdir, "d"), 0)
            let fd = try harness.open("d")
            expectEqual(try harness.pathCall(.unlink, "d"), 0)
            #expect(try harness.readdir(fd, count: 4).isEmpty)
        }
    }

    @Test func statWritesExactly32BytesInKeOSLayout() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            try harness.process.mm.copyOut([UInt8](repeating: 0xAA, count: 40), to: VirtualAddress(Self.recordArea))
            try harness.process.mm.copyOut(Array("hello.txt".utf8) + [0], to: VirtualAddress(Self.pathArea))
            expectEqual(harness.call(.stat, Self.pathArea, Self.recordArea), 0)
            let record = try harness.userBytes(40, at: Self.recordArea)
            expectEqual(UInt64(littleEndianBytes: record, at: 0), 2, "the first file mkfs made")
            #expect(Array(record[8..<12]) == [0, 0, 0, 0] && UInt64(littleEndianBytes: record, at: 16) == 13)
            expectEqual(Array(record[24..<28]), [0, 0, 0, 0])
            expectEqual(Array(record[32..<40]), [UInt8](repeating: 0xAA, count: 8), "nothing past 32 bytes")
            expectEqual(try harness.statRecord("/"), .init(type: 1, size: 4096))
            expectEqual(harness.call(.stat, Self.pathArea, 0), Self.badAddress)
            expectEqual(harness.call(.stat, Self.pathArea, ProcessHarnessLayout.readOnly), Self.badAddress)
            expectEqual(harness.call(.stat, Self.pathArea, ProcessHarnessLayout.buffer + 0x2000 - 16), Self.badAddress)
            expectEqual(try harness.userBytes(16, at: ProcessHarnessLayout.buffer + 0x2000 - 16), [UInt8](repeating: 0, count: 16), "untouched")
            try harness.process.mm.copyOut(Array("missing".utf8) + [0], to: VirtualAddress(Self.pathArea))
            expectEqual(harness.call(.stat, Self.pathArea, Self.recordArea), Self.noSuchEntry)
        }
    }

    @Test func aWriteGrowsTheFileAndAHoleReadsAsZeros() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let fd = try harness.open("empty", mode: 2)
            expectEqual(try harness.write(fd, "0123456789"), 10)
            expectEqual(harness.call(.seek, UInt64(fd), 8192, 0), 8192)
            expectEqual(try harness.write(fd, "z"), 1)
            expectEqual(try harness.statRecord("empty"), .init(type: 0, size: 8193))
            expectEqual(harness.call(.seek, UInt64(fd), 10, 0), 10)
            expectEqual(harness.read(fd, count: 0x1000), 0x1000)
            expectEqual(try harness.userBytes(0x1000, at: ProcessHarnessLayout.buffer), [UInt8](repeating: 0, count: 0x1000))
            expectEqual(harness.call(.seek, UInt64(fd), 0, 2), 8193)
        }
    }

    @Test func fsyncTakesFilesAndDirectoriesOnly() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let file = try harness.open("hello.txt", mode: 1)
            expectEqual(try harness.write(file, "J"), 1)
            let writes = harness.disk.writeCount
            expectEqual(harness.call(.fsync, UInt64(file)), 0)
            #expect(harness.disk.writeCount > writes && harness.disk.flushCount > 0, "the page and the metadata went to the disk")
            expectEqual(harness.call(.fsync, UInt64(try harness.open("/"))), 0)
            expectEqual(harness.call(.fsync, 99), Self.badFD)
            expectEqual(harness.call(.fsync, 1), Self.invalid)
            expectEqual(harness.call(.pipe, Self.recordArea), 0)
            expectEqual(harness.call(.fsync, UInt64(file) + 2), Self.invalid, "a pipe")
            expectEqual(harness.call(.close, UInt64(file)), 0)
            expectEqual(harness.call(.fsync, UInt64(file)), Self.badFD)
        }
    }

    @Test func aFullDiskWritesWhatFitsThenNothing() throws {
        try withMachine(megabytes: 16) { machine in
            let tiny = FileSystemGeometry(blockCount: 4_200, inodeCount: 64, hasJournal: true)
            let harness = try ProcessHarness(machine, pager: EagerPager(), geometry: tiny)
            let fd = try harness.open("empty", mode: 1)
            var written: Int64 = 0
            var last: Int64 = 0
            repeat {
                last = harness.call(.write, UInt64(fd), ProcessHarnessLayout.buffer, 0x2000)
                if last > 0 { written += last }
            } while last == 0x2000
            #expect(last == Self.noSpace || (last >= 0 && last < 0x2000), "the write that did not fit wrote what fitted, or nothing")
            expectEqual(harness.call(.write, UInt64(fd), ProcessHarnessLayout.buffer, 0x2000), Self.noSpace)
            expectEqual(try harness.statRecord("empty")?.size, UInt64(written), "nothing half-written is visible")
            expectEqual(harness.call(.close, UInt64(fd)), 0)
            expectEqual(try harness.pathCall(.unlink, "empty"), 0)
            let again = try harness.open("hello.txt", mode: 1)
            expectEqual(harness.call(.write, UInt64(again), ProcessHarnessLayout.buffer, 0x2000), 0x2000, "the space is there again")
        }
    }
}

/// What `stat` says of a path, decoded.
struct StatRecord: Equatable {
    var inode: UInt64 = 0
    var type: UInt32
    var size: UInt64

    init(type: UInt32, size: UInt64) {
        self.type = type
        self.size = size
    }

    static func == (a: StatRecord, b: StatRecord) -> Bool { a.type == b.type && a.size == b.size }
}

extension ProcessHarness {
    /// Makes the path call `number` with `path` (placed in the process's buffer).
    func pathCall(_ number: KeOSSyscallNumber, _ path: String) throws -> Int64 {
        try process.mm.copyOut(Array(path.utf8) + [0], to: VirtualAddress(FileSystemSyscallTests.pathArea))
        return call(number, FileSystemSyscallTests.pathArea)
    }

    /// `stat(path)` decoded, or `nil` when it fails.
    func statRecord(_ path: String) throws -> StatRecord? {
        try process.mm.copyOut(Array(path.utf8) + [0], to: VirtualAddress(FileSystemSyscallTests.pathArea))
        guard call(.stat, FileSystemSyscallTests.pathArea, FileSystemSyscallTests.recordArea) == 0 else { return nil }
        let bytes = try userBytes(32, at: FileSystemSyscallTests.recordArea)
        var record = StatRecord(type: UInt32(littleEndianBytes: bytes, at: 8), size: UInt64(littleEndianBytes: bytes, at: 16))
        record.inode = UInt64(littleEndianBytes: bytes, at: 0)
        return record
    }

    /// Up to `count` entries `readdir` gives for `fd`, decoded.
    func readdir(_ fd: Int64, count: Int) throws -> [(inode: UInt64, name: String)] {
        let filled = call(.readdir, UInt64(bitPattern: fd), FileSystemSyscallTests.recordArea, UInt64(count))
        guard filled >= 0 else { throw KernelError(syscallReturnValue: filled) ?? .ioError }
        let bytes = try userBytes(Int(filled) * DirectoryEntryRecord.size, at: FileSystemSyscallTests.recordArea)
        return (0..<Int(filled)).map { index in
            let base = index * DirectoryEntryRecord.size
            let name = bytes[(base + 8)..<(base + DirectoryEntryRecord.size)].prefix { $0 != 0 }
            return (UInt64(littleEndianBytes: bytes, at: base), String(decoding: name, as: UTF8.self))
        }
    }

    /// `count` bytes of the process's memory at `address`.
    func userBytes(_ count: Int, at address: UInt64) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        try bytes.withUnsafeMutableBytes { try process.mm.copyIn(from: VirtualAddress(address), into: $0) }
        return bytes
    }
}
