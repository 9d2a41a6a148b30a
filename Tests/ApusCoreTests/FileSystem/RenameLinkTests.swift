import ApusCore
import Testing

/// `rename` and `link` with Linux's rules: what each moves or adds, the link counts after,
/// every error with the tree left as it was, and a clean check of the disk at the end.
@Suite("rename and link")
struct RenameLinkTests {
    /// A tree for the rules: `/a/b` (empty directory), `/a/f` (5 bytes), `/e/g` (a directory
    /// holding `/e/g/h`), `/x` (a file of 3 bytes).
    static func tree() throws -> (DiskMachine, FileSystem<HostMemory>) {
        let (disk, fs) = try freshFileSystem()
        for directory in ["/a", "/a/b", "/e", "/e/g"] { try fs.mkdir(directory) }
        for (file, size) in [("/a/f", 5), ("/x", 3), ("/e/g/h", 1)] {
            try fs.create(file)
            _ = try fs.write(fs.stat(file).inode32, at: 0, pattern(size))
        }
        return (disk, fs)
    }

    /// Expects `body` to fail with `expected` and leave the tree as it was.
    static func expectRefused(_ expected: KernelError, _ fs: FileSystem<HostMemory>, sourceLocation: SourceLocation = #_sourceLocation,
                              _ body: () throws(KernelError) -> Void) throws {
        let before = try TreeModel.read(fs)
        expectError(expected, sourceLocation: sourceLocation, body)
        expectEqual(try TreeModel.read(fs), before, "the tree changed", sourceLocation: sourceLocation)
    }

    func links(_ fs: FileSystem<HostMemory>, _ name: String) throws -> UInt64 { try fs.stat(name).linkCount }

    @Test func renameMovesAFileAndKeepsItsInodeAndBytes() throws {
        let (disk, fs) = try Self.tree()
        let before = try fs.stat("/a/f")
        try fs.rename(path("/a/f"), to: path("/e/moved"), from: 1)
        expectEqual(try fs.stat("/e/moved"), before)
        expectError(.noSuchEntry) { () throws(KernelError) in try fs.stat("/a/f") }
        expectEqual(try fs.contents(of: path("/e/moved")), pattern(5))
        // Relative paths, within one directory.
        let e = try fs.stat("/e").inode32
        try fs.rename(path("moved"), to: path("again"), from: e)
        expectEqual(try fs.names("/e"), [".", "..", "g", "again"])
        try unmountAndCheck(disk, fs)
    }

    @Test func renameOntoAFileReplacesItAndFreesTheOldOne() throws {
        let (disk, fs) = try Self.tree()
        let moving = try fs.stat("/a/f")
        let replacedInode = try fs.stat("/x").inode32
        let freeBefore = try fs.freeBlockCount()
        try fs.rename(path("/a/f"), to: path("/x"), from: 1)
        expectEqual(try fs.stat("/x"), moving)
        #expect(try fs.freeBlockCount() == freeBefore + 1, "the replaced file's block is free")
        expectError(.ioError) { () throws(KernelError) in _ = try fs.inode(replacedInode) }
        try unmountAndCheck(disk, fs)
    }

    @Test func renameOntoAnOpenFileLeavesItUsableUntilItIsReleased() throws {
        let (disk, fs) = try Self.tree()
        let opened = try fs.open("/x")
        try fs.rename(path("/a/f"), to: path("/x"), from: 1)
        expectEqual(try fs.read(opened.inode, at: 0, count: 3), pattern(3))
        expectEqual(try fs.inode(opened.inode).linkCount, 0)
        fs.release(opened.inode)
        expectError(.ioError) { () throws(KernelError) in _ = try fs.inode(opened.inode) }
        try unmountAndCheck(disk, fs)
    }

    @Test func renameOfADirectoryToAnotherParentChangesItsDotDotAndBothLinkCounts() throws {
        let (disk, fs) = try Self.tree()
        #expect(try (links(fs, "/a"), links(fs, "/e")) == (3, 3))
        try fs.rename(path("/e/g"), to: path("/a/g2"), from: 1)
        #expect(try (links(fs, "/a"), links(fs, "/e"), links(fs, "/a/g2")) == (4, 2, 2))
        #expect(try fs.stat("/a/g2/..").inode == fs.stat("/a").inode)
        expectEqual(try fs.contents(of: path("/a/g2/h")), pattern(1))
        try unmountAndCheck(disk, fs)
    }

    @Test func renameOfADirectoryOntoAnEmptyDirectoryReplacesIt() throws {
        let (disk, fs) = try Self.tree()
        let g = try fs.stat("/e/g")
        try fs.rename(path("/e/g"), to: path("/a/b"), from: 1)
        expectEqual(try fs.stat("/a/b"), g)
        #expect(try (links(fs, "/a"), links(fs, "/e")) == (3, 2), "a lost b and gained g; e lost g")
        // Across parents onto an empty directory, then within one parent.
        try fs.mkdir("/e/empty")
        try fs.mkdir("/a/c")
        try fs.rename(path("/e/empty"), to: path("/a/c"), from: 1)
        #expect(try (links(fs, "/a"), links(fs, "/e")) == (4, 2))
        try fs.mkdir("/a/d")
        try fs.rename(path("/a/d"), to: path("/a/c"), from: 1)
        expectEqual(try links(fs, "/a"), 4)
        expectEqual(try fs.names("/a"), [".", "..", "b", "f", "c"])
        try unmountAndCheck(disk, fs)
    }

    @Test func renameOfANameOntoItselfOrAnotherNameOfTheSameFileChangesNothing() throws {
        let (disk, fs) = try Self.tree()
        try fs.link(path("/x"), to: path("/a/x2"), from: 1)
        let before = try TreeModel.read(fs)
        try fs.rename(path("/x"), to: path("/x"), from: 1)
        try fs.rename(path("/x"), to: path("/a/x2"), from: 1)
        try fs.rename(path("/a"), to: path("/a/"), from: 1)
        expectEqual(try TreeModel.read(fs), before)
        expectEqual(try links(fs, "/x"), 2)
        try unmountAndCheck(disk, fs)
    }

    @Test func renameRefusesWhatLinuxRefusesAndChangesNothing() throws {
        let (disk, fs) = try Self.tree()
        let cases: [(KernelError, String, String)] = [
            (.busy, ".", "/y"), (.busy, "/a/f", "."), (.busy, "/a/..", "/y"), (.busy, "/", "/y"), (.busy, "/a/f", "/a/.."),
            (.noSuchEntry, "/nope", "/y"), (.noSuchEntry, "/a/f", "/nope/y"), (.noSuchEntry, "/nope/f", "/y"),
            (.notDirectory, "/a/f/", "/y"), (.notDirectory, "/a/f", "/y/"), (.notDirectory, "/x/f", "/y"), (.notDirectory, "/a/b", "/x"),
            (.isDirectory, "/a/f", "/a/b"),
            (.directoryNotEmpty, "/a/b", "/e"), (.directoryNotEmpty, "/a/f", "/a"), (.directoryNotEmpty, "/e/g/h", "/e"),
            (.invalidArgument, "/a", "/a/b/c"), (.invalidArgument, "/a", "/a/f"), (.invalidArgument, "/e", "/e/g/new"),
            (.nameTooLong, "/a/f", "/" + String(repeating: "n", count: 252)), (.noSuchEntry, "", "/y"),
        ]
        for (error, from, to) in cases {
            try Self.expectRefused(error, fs) { () throws(KernelError) in try fs.rename(path(from), to: path(to), from: 1) }
        }
        try unmountAndCheck(disk, fs)
    }

    @Test func renameIntoADirectoryRemovedWhileSomeoneIsInItIsNoSuchEntry() throws {
        let (disk, fs) = try Self.tree()
        let b = try fs.open("/a/b")
        try fs.unlink("/a/b")
        try Self.expectRefused(.noSuchEntry, fs) { () throws(KernelError) in try fs.rename(path("/x"), to: path("y"), from: b.inode) }
        try Self.expectRefused(.noSuchEntry, fs) { () throws(KernelError) in try fs.link(path("/x"), to: path("y"), from: b.inode) }
        fs.release(b.inode)
        try unmountAndCheck(disk, fs)
    }

    @Test func linkGivesAFileASecondNameAndOneMoreLink() throws {
        let (disk, fs) = try Self.tree()
        try fs.link(path("/a/f"), to: path("/e/g/f2"), from: 1)
        #expect(try fs.stat("/e/g/f2") == fs.stat("/a/f"))
        expectEqual(try links(fs, "/a/f"), 2)
        let inode = try fs.stat("/a/f").inode32
        _ = try fs.write(inode, at: 0, Array("NEW".utf8))
        expectEqual(try Array(fs.contents(of: path("/e/g/f2")).prefix(3)), Array("NEW".utf8))
        // Each unlink takes one name; the last one frees the file.
        try fs.unlink("/a/f")
        expectEqual(try links(fs, "/e/g/f2"), 1)
        try fs.unlink("/e/g/f2")
        expectError(.ioError) { () throws(KernelError) in _ = try fs.inode(inode) }
        try unmountAndCheck(disk, fs)
    }

    @Test func theCheckerAcceptsSeveralNamesForOneFileAndCountsThem() throws {
        let (disk, fs) = try Self.tree()
        for name in ["/l1", "/a/l2", "/e/g/l3"] { try fs.link(path("/x"), to: path(name), from: 1) }
        try fs.rename(path("/a/l2"), to: path("/e/l2"), from: 1)
        expectEqual(try links(fs, "/x"), 4)
        try unmountAndCheck(disk, fs)
    }

    @Test func linkRefusesWhatLinuxRefusesAndChangesNothing() throws {
        let (disk, fs) = try Self.tree()
        let cases: [(KernelError, String, String)] = [
            (.operationNotPermitted, "/a", "/y"), (.operationNotPermitted, "/a/", "/y"), (.fileExist, "/a", "/x"),
            (.fileExist, "/a/f", "/x"), (.fileExist, "/a/f", "/a/b"), (.fileExist, "/a/f", "."), (.fileExist, "/a/f", "/"),
            (.fileExist, "/a/f", "/a/.."), (.noSuchEntry, "/nope", "/y"), (.noSuchEntry, "/a/f", "/nope/y"),
            (.noSuchEntry, "/a/f", "/y/"), (.notDirectory, "/a/f/", "/y"), (.notDirectory, "/a/f", "/x/y"),
            (.nameTooLong, "/a/f", "/" + String(repeating: "n", count: 252)), (.invalidArgument, "/a/f", "/bad\u{0}name"),
        ]
        for (error, existing, new) in cases {
            try Self.expectRefused(error, fs) { () throws(KernelError) in try fs.link(path(existing), to: path(new), from: 1) }
        }
        try unmountAndCheck(disk, fs)
    }

    @Test func renameAndLinkInALargeDirectoryKeepItsOrderAndItsNames() throws {
        let (disk, fs) = try freshFileSystem()
        try fs.mkdir("/big")
        let names = (0..<300).map { "n\($0)" }
        for name in names { try fs.create("/big/" + name) }
        try fs.rename(path("/big/n5"), to: path("/big/n299"), from: 1)
        try fs.link(path("/big/n7"), to: path("/big/seven"), from: 1)
        try fs.rename(path("/big/n9"), to: path("/moved"), from: 1)
        var expected = names.filter { $0 != "n5" && $0 != "n9" }
        expected.insert("seven", at: 5) // in the first free slot: n5's
        #expect(try fs.names("/big") == [".", ".."] + expected)
        try unmountAndCheck(disk, fs)
    }
}

extension FileStatus {
    var inode32: UInt32 { UInt32(inode) }
}
