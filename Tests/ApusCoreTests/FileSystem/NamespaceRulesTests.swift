import ApusCore
import Testing

/// ABI.md §6's rules for `create`, `mkdir`, `unlink`, `chdir`, `readdir` and `stat`, each
/// with its error; every test ends with a clean check of the disk.
@Suite("Namespace rules")
struct NamespaceRulesTests {
    @Test func createMakesAnEmptyRegularFile() throws {
        let (disk, fs) = try freshFileSystem()
        try fs.create("/f")
        let status = try fs.stat("/f")
        #expect(status.type == .regular && status.size == 0)
        expectEqual(try fs.inode(UInt32(status.inode)).linkCount, 1)
        try unmountAndCheck(disk, fs)
    }

    @Test func createOfAnExistingNameIsFileExist() throws {
        let (disk, fs) = try freshFileSystem()
        try fs.create("/f")
        try fs.mkdir("/d")
        for name in ["/f", "/d", "/", ".", "..", "/d/."] {
            expectError(.fileExist) { () throws(KernelError) in try fs.create(name) }
        }
        try unmountAndCheck(disk, fs)
    }

    @Test func createInAMissingDirectoryIsNoSuchEntry() throws {
        let (disk, fs) = try freshFileSystem()
        expectError(.noSuchEntry) { () throws(KernelError) in try fs.create("/missing/f") }
        try unmountAndCheck(disk, fs)
    }

    @Test func createOfANameEndingInSlashIsIsDirectory() throws {
        let (disk, fs) = try freshFileSystem()
        expectError(.isDirectory) { () throws(KernelError) in try fs.create("/f/") }
        expectError(.noSuchEntry) { () throws(KernelError) in try fs.stat("/f") }
        try unmountAndCheck(disk, fs)
    }

    @Test func mkdirMakesADirectoryHoldingDotAndDotDot() throws {
        let (disk, fs) = try freshFileSystem()
        try fs.mkdir("/d")
        let d = try fs.stat("/d")
        #expect(d.type == .directory && d.size == 4096)
        let entries = try fs.list(path("/d"))
        expectEqual(entries.map(\.entry.name), [DirectoryBlock.dot, DirectoryBlock.dotDot])
        expectEqual(entries.map(\.entry.inode), [UInt32(d.inode), 1])
        expectEqual(try fs.inode(UInt32(d.inode)).linkCount, 2)
        expectEqual(try fs.inode(1).linkCount, 3)
        try unmountAndCheck(disk, fs)
    }

    @Test func mkdirOfAnExistingNameIsFileExistAndOfAMissingParentNoSuchEntry() throws {
        let (disk, fs) = try freshFileSystem()
        try fs.mkdir("/d")
        try fs.create("/f")
        expectError(.fileExist) { () throws(KernelError) in try fs.mkdir("/d") }
        expectError(.fileExist) { () throws(KernelError) in try fs.mkdir("/f") }
        expectError(.noSuchEntry) { () throws(KernelError) in try fs.mkdir("/x/y") }
        try unmountAndCheck(disk, fs)
    }

    @Test func theRootHasLinkCountTwoUntilItHasASubdirectory() throws {
        let (disk, fs) = try freshFileSystem()
        expectEqual(try fs.inode(1).linkCount, 2)
        try fs.create("/f")
        expectEqual(try fs.inode(1).linkCount, 2)
        try fs.mkdir("/d")
        try fs.mkdir("/d/e")
        expectEqual(try fs.inode(1).linkCount, 3)
        expectEqual(try fs.inode(UInt32(fs.stat("/d").inode)).linkCount, 3)
        try fs.unlink("/d/e")
        expectEqual(try fs.inode(UInt32(fs.stat("/d").inode)).linkCount, 2)
        try unmountAndCheck(disk, fs)
    }

    @Test func unlinkRemovesAFileAndFreesItsBlocksAndInode() throws {
        let (disk, fs) = try freshFileSystem()
        let freeBlocks = try fs.freeBlockCount()
        let freeInodes = try fs.freeInodeCount()
        try fs.file("/f", pattern(100_000))
        // 25 data blocks and the indirect block past the 12 direct ones.
        #expect(try fs.freeBlockCount() == freeBlocks - 26)
        try fs.unlink("/f")
        expectError(.noSuchEntry) { () throws(KernelError) in try fs.stat("/f") }
        expectEqual(try fs.freeBlockCount(), freeBlocks)
        expectEqual(try fs.freeInodeCount(), freeInodes)
        try unmountAndCheck(disk, fs)
    }

    @Test func unlinkOfDotOrDotDotOrTheRootIsBusy() throws {
        let (disk, fs) = try freshFileSystem()
        try fs.mkdir("/d")
        for name in ["/d/.", "/d/..", ".", "..", "/", "/d/../."] {
            expectError(.busy) { () throws(KernelError) in try fs.unlink(name) }
        }
        expectEqual(try fs.stat("/d").type, .directory)
        try unmountAndCheck(disk, fs)
    }

    @Test func unlinkOfADirectoryWithEntriesIsDirectoryNotEmpty() throws {
        let (disk, fs) = try freshFileSystem()
        try fs.mkdir("/d")
        try fs.create("/d/f")
        expectError(.directoryNotEmpty) { () throws(KernelError) in try fs.unlink("/d") }
        try fs.unlink("/d/f")
        try fs.unlink("/d")
        expectError(.noSuchEntry) { () throws(KernelError) in try fs.stat("/d") }
        expectEqual(try fs.inode(1).linkCount, 2)
        try unmountAndCheck(disk, fs)
    }

    @Test func unlinkOfAMissingNameIsNoSuchEntry() throws {
        let (disk, fs) = try freshFileSystem()
        expectError(.noSuchEntry) { () throws(KernelError) in try fs.unlink("/nothing") }
        try unmountAndCheck(disk, fs)
    }

    @Test func chdirTargetsMustBeExistingDirectories() throws {
        let (disk, fs) = try freshFileSystem()
        try fs.mkdir("/d")
        try fs.create("/f")
        let d = try fs.directory(path("/d"), from: 1)
        expectEqual(UInt64(d), (try fs.stat("/d").inode))
        expectError(.noSuchEntry) { () throws(KernelError) in try fs.directory(path("/nothing"), from: 1) }
        expectError(.notDirectory) { () throws(KernelError) in try fs.directory(path("/f"), from: 1) }
        // Relative paths then start there.
        try fs.create("g", in: d)
        expectEqual(try fs.stat("/d/g").type, .regular)
        try unmountAndCheck(disk, fs)
    }

    @Test func readdirListsDotAndDotDotFirstThenEntriesInCreationOrder() throws {
        let (disk, fs) = try freshFileSystem()
        for name in ["zeta", "alpha", "mid"] { try fs.create("/" + name) }
        try fs.mkdir("/beta")
        expectEqual(try fs.names("/"), [".", "..", "zeta", "alpha", "mid", "beta"])
        try unmountAndCheck(disk, fs)
    }

    @Test func readdirContinuesFromItsCursor() throws {
        let (disk, fs) = try freshFileSystem()
        for index in 0..<40 { try fs.create("/f\(index)") }
        let root = try fs.inode(1)
        var cursor: UInt64 = 0
        var names: [String] = []
        while true {
            let batch = try fs.entries(of: root, from: cursor, count: 7)
            #expect(batch.entries.count <= 7)
            if batch.entries.isEmpty { break }
            names += batch.entries.map { String(decoding: $0.name, as: UTF8.self) }
            cursor = batch.next
        }
        #expect(names == [".", ".."] + (0..<40).map { "f\($0)" })
        #expect(try fs.entries(of: root, from: cursor, count: 7).entries.isEmpty)
        try unmountAndCheck(disk, fs)
    }

    @Test func readdirOfARegularFileIsNotDirectory() throws {
        let (disk, fs) = try freshFileSystem()
        try fs.create("/f")
        let file = try fs.open("/f")
        expectError(.notDirectory) { () throws(KernelError) in try fs.readDirectory(file.inode, from: 0, count: 4) }
        fs.release(file.inode)
        try unmountAndCheck(disk, fs)
    }

    @Test func aFreedDirectorySlotIsReusedByTheNextEntry() throws {
        let (disk, fs) = try freshFileSystem()
        for name in ["a", "b", "c"] { try fs.create("/" + name) }
        try fs.unlink("/b")
        try fs.create("/d")
        expectEqual(try fs.names("/"), [".", "..", "a", "d", "c"])
        try unmountAndCheck(disk, fs)
    }

    @Test func aDirectoryGrowsByABlockEverySixteenEntriesAndStatSaysSo() throws {
        let (disk, fs) = try freshFileSystem()
        try fs.mkdir("/d")
        for index in 0..<14 { try fs.create("/d/f\(index)") }
        expectEqual(try fs.stat("/d").size, 4096)
        try fs.create("/d/f14")
        expectEqual(try fs.stat("/d").size, 8192)
        for index in 15..<(14 + 16 * 20) { try fs.create("/d/f\(index)") }
        #expect(try fs.stat("/d").size == 4096 * 21)
        #expect(try fs.names("/d").count == 2 + 14 + 16 * 20)
        try unmountAndCheck(disk, fs)
    }

    @Test func statWritesTheThirtyTwoByteRecord() throws {
        let (disk, fs) = try freshFileSystem()
        try fs.file("/f", pattern(5000))
        let status = try fs.stat("/f")
        let record = status.record
        expectEqual(record.count, 32)
        expectEqual(UInt64(littleEndianBytes: record, at: 0), status.inode)
        expectEqual(UInt32(littleEndianBytes: record, at: 8), 0)
        expectEqual(UInt64(littleEndianBytes: record, at: 16), 5000)
        #expect(record[12..<16].allSatisfy { $0 == 0 } && record[24..<32].allSatisfy { $0 == 0 })
        expectEqual(UInt32(littleEndianBytes: FileStatus(inode: 1, type: .directory, size: 4096).record, at: 8), 1)
        try unmountAndCheck(disk, fs)
    }

    @Test func aDirectoryRemovedWhileItIsTheCurrentDirectoryTakesNoNewEntries() throws {
        let (disk, fs) = try freshFileSystem()
        try fs.mkdir("/d")
        let d = try fs.directory(path("/d"), from: 1)
        fs.retain(d)
        try fs.unlink("/d")
        expectError(.noSuchEntry) { () throws(KernelError) in try fs.create("x", in: d) }
        expectError(.noSuchEntry) { () throws(KernelError) in try fs.mkdir("y", in: d) }
        fs.release(d)
        try unmountAndCheck(disk, fs)
    }

    @Test func namespaceErrorsChangeNothing() throws {
        let (disk, fs) = try freshFileSystem()
        try fs.mkdir("/d")
        try fs.create("/d/f")
        let before = try TreeModel.read(fs)
        let blocks = try fs.freeBlockCount()
        let inodes = try fs.freeInodeCount()
        expectError(.fileExist) { () throws(KernelError) in try fs.create("/d/f") }
        expectError(.directoryNotEmpty) { () throws(KernelError) in try fs.unlink("/d") }
        expectError(.busy) { () throws(KernelError) in try fs.unlink("/d/..") }
        expectError(.fileExist) { () throws(KernelError) in try fs.mkdir("/d") }
        expectEqual(try TreeModel.read(fs), before)
        #expect(try fs.freeBlockCount() == blocks && fs.freeInodeCount() == inodes)
        try unmountAndCheck(disk, fs)
    }
}
