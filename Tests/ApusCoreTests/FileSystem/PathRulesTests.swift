import ApusCore
import Testing

/// ABI.md §6's path rules, one test each, through `stat` (which only walks) and the calls
/// that change the tree.
@Suite("Path rules")
struct PathRulesTests {
    /// A tree: /a (directory), /a/f (file), /a/b (directory), /g (file).
    static func tree() throws -> (DiskMachine, FileSystem<HostMemory>) {
        let disk = try DiskMachine(tree: [.directory(path: path("/a/b")), .file(path: path("/a/f"), contents: [1, 2, 3]), .file(path: path("/g"), contents: [])])
        return (disk, try disk.mount())
    }

    /// Runs `body` on ``tree()``, then unmounts and checks the disk.
    static func withTree(sourceLocation: SourceLocation = #_sourceLocation, _ body: (FileSystem<HostMemory>) throws -> Void) throws {
        let (disk, fs) = try tree()
        try body(fs)
        try fs.unmount()
        expectEqual(disk.problems, [], sourceLocation: sourceLocation)
    }

    static func inode(_ fileSystem: FileSystem<HostMemory>, _ text: String, from directory: UInt32 = 1) throws -> UInt64 {
        try fileSystem.stat(text, in: directory).inode
    }

    @Test func absoluteAndRelativePathsNameTheSameFile() throws {
        try Self.withTree { (fs: FileSystem<HostMemory>) throws in
            let a = try fs.directory(path("/a"), from: 1)
            #expect(try Self.inode(fs, "/a/f") == Self.inode(fs, "f", from: a))
            #expect(try Self.inode(fs, "a/f") == Self.inode(fs, "/a/f"))
        }
    }

    @Test func repeatedAndTrailingSlashesAreAccepted() throws {
        try Self.withTree { (fs: FileSystem<HostMemory>) throws in
            #expect(try Self.inode(fs, "//a///f") == Self.inode(fs, "/a/f"))
            #expect(try Self.inode(fs, "/a/b/") == Self.inode(fs, "/a/b"))
            #expect(try Self.inode(fs, "/a/b//") == Self.inode(fs, "/a/b"))
            expectEqual(try Self.inode(fs, "///"), 1)
        }
    }

    @Test func dotAndDotDotResolve() throws {
        try Self.withTree { (fs: FileSystem<HostMemory>) throws in
            let b = try fs.directory(path("/a/b"), from: 1)
            #expect(try Self.inode(fs, "./../f", from: b) == Self.inode(fs, "/a/f"))
            #expect(try Self.inode(fs, "..", from: b) == Self.inode(fs, "/a"))
            expectEqual(try Self.inode(fs, ".", from: b), UInt64(b))
            #expect(try Self.inode(fs, "/a/./b/../f") == Self.inode(fs, "/a/f"))
        }
    }

    @Test func dotDotOfTheRootIsTheRoot() throws {
        try Self.withTree { (fs: FileSystem<HostMemory>) throws in
            expectEqual(try Self.inode(fs, "/.."), 1)
            expectEqual(try Self.inode(fs, "/../../a/.."), 1)
            expectEqual(try Self.inode(fs, "..", from: 1), 1)
        }
    }

    @Test func aComponentOf251BytesIsAcceptedAnd252IsNameTooLong() throws {
        try Self.withTree { (fs: FileSystem<HostMemory>) throws in
            let longest = String(repeating: "n", count: 251)
            try fs.create("/a/" + longest)
            #expect(try fs.names("/a").contains(longest))
            expectError(.nameTooLong) { () throws(KernelError) in try fs.create("/a/" + longest + "n") }
            expectError(.nameTooLong) { () throws(KernelError) in try fs.stat(longest + "n" + "/x") }
        }
    }

    @Test func aComponentThatIsNotUTF8IsInvalidArgument() throws {
        try Self.withTree { (fs: FileSystem<HostMemory>) throws in
            expectError(.invalidArgument) { () throws(KernelError) in try fs.create(path("/a/") + [0xFF, 0x41], from: 1) }
            expectError(.invalidArgument) { () throws(KernelError) in try fs.status([0xC3], from: 1) }
            try fs.create(path("/a/é"), from: 1)
        }
    }

    @Test func anEmptyPathIsNoSuchEntry() throws {
        try Self.withTree { (fs: FileSystem<HostMemory>) throws in
            expectError(.noSuchEntry) { () throws(KernelError) in try fs.create([], from: 1) }
            expectError(.noSuchEntry) { () throws(KernelError) in try fs.status([], from: 1) }
            expectError(.noSuchEntry) { () throws(KernelError) in try fs.unlink([], from: 1) }
            expectError(.noSuchEntry) { () throws(KernelError) in try fs.makeDirectory([], from: 1) }
            expectError(.noSuchEntry) { () throws(KernelError) in try fs.directory([], from: 1) }
        }
    }

    @Test func aRegularFileWhereADirectoryIsNeededIsNotDirectory() throws {
        try Self.withTree { (fs: FileSystem<HostMemory>) throws in
            expectError(.notDirectory) { () throws(KernelError) in try fs.stat("/g/x") }
            expectError(.notDirectory) { () throws(KernelError) in try fs.create("/a/f/x") }
            expectError(.notDirectory) { () throws(KernelError) in try fs.directory(path("/g"), from: 1) }
        }
    }

    @Test func aTrailingSlashAfterARegularFileIsNotDirectory() throws {
        try Self.withTree { (fs: FileSystem<HostMemory>) throws in
            expectError(.notDirectory) { () throws(KernelError) in try fs.stat("/g/") }
            expectError(.notDirectory) { () throws(KernelError) in try fs.unlink("/a/f/") }
            expectError(.notDirectory) { () throws(KernelError) in try fs.open("/g/") }
            expectEqual(try fs.stat("/a/f").type, .regular)
        }
    }

    @Test func aMissingComponentIsNoSuchEntry() throws {
        try Self.withTree { (fs: FileSystem<HostMemory>) throws in
            expectError(.noSuchEntry) { () throws(KernelError) in try fs.stat("/nothing") }
            expectError(.noSuchEntry) { () throws(KernelError) in try fs.stat("/nothing/f") }
            expectError(.noSuchEntry) { () throws(KernelError) in try fs.create("/nothing/f") }
        }
    }

    @Test func pathErrorsChangeNothing() throws {
        let (disk, fs) = try Self.tree()
        let before = try TreeModel.read(fs)
        let free = try fs.freeBlockCount()
        expectError(.nameTooLong) { () throws(KernelError) in try fs.mkdir("/a/" + String(repeating: "x", count: 300)) }
        expectError(.invalidArgument) { () throws(KernelError) in try fs.makeDirectory([0x2F, 0x80], from: 1) }
        expectError(.notDirectory) { () throws(KernelError) in try fs.mkdir("/g/d") }
        expectEqual(try TreeModel.read(fs), before)
        expectEqual(try fs.freeBlockCount(), free)
        try fs.unmount()
        expectEqual(disk.problems, [])
    }
}
