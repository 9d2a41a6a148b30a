@testable import ApusCore
import Testing

/// The directory indexes (``DirectoryIndex``): after random creates, unlinks, renames and
/// links they hold exactly what a scan of the disk finds; a create or unlink reads as many
/// blocks in a directory of thousands of names as in one of a hundred; the cache keeps to
/// its bound; and an operation that fails drops the index instead of leaving it wrong.
@Suite("Directory indexes")
struct DirectoryIndexTests {
    /// What a scan of directory `number` finds: its used slots from 2 on with their names'
    /// hashes, and its free slots from 2 on.
    static func scan(_ fs: FileSystem<HostMemory>, directory number: UInt32) throws -> (used: [(hash: UInt64, slot: UInt64)], free: [UInt64]) {
        let directory = try fs.inode(number)
        let slots = directory.size / 4096 * 16
        var used: [(hash: UInt64, slot: UInt64)] = []
        var slot: UInt64 = 2
        while slot < slots {
            let batch = try fs.entries(of: directory, from: slot, count: 1)
            guard let entry = batch.entries.first else { break }
            used.append((DirectoryIndex.hash(entry.name), batch.next - 1))
            slot = batch.next
        }
        let taken = Set(used.map(\.slot))
        return (used, (2..<slots).filter { !taken.contains($0) })
    }

    /// Every index the file system keeps, compared with a scan; a description of the first
    /// difference.
    static func disagreement(_ fs: FileSystem<HostMemory>) throws -> String? {
        for index in fs.directoryIndexContents() {
            let disk = try scan(fs, directory: index.directory)
            if index.used.map(\.slot) != disk.used.map(\.slot) || index.used.map(\.hash) != disk.used.map(\.hash) {
                return "directory \(index.directory): the index holds slots \(index.used.map(\.slot)), the disk \(disk.used.map(\.slot))"
            }
            if index.free != disk.free { return "directory \(index.directory): free slots \(index.free), on the disk \(disk.free)" }
        }
        return nil
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func theIndexAgreesWithAScanAfterRandomCreatesUnlinksRenamesAndLinks(seed: UInt64) throws {
        let (disk, fs) = try freshFileSystem()
        fs.directoryIndexes.policy.minimumBlocks = 2
        var random = SeededRandom(seed: seed)
        let directories = ["/p", "/q"]
        for directory in directories { try fs.mkdir(directory) }
        /// The model: each directory's names, and which names are directories.
        var model: [String: Set<String>] = ["/p": [], "/q": []]
        var subdirectories = Set<String>()
        let steps = TestTier.count(short: 600, long: 3_000)
        for step in 0..<steps {
            let directory = directories.randomElement(using: &random)!
            let name = "n\(Int.random(in: 0..<120, using: &random))"
            let full = directory + "/" + name
            let exists = model[directory]!.contains(name)
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<4:
                if exists { expectError(.fileExist) { () throws(KernelError) in try fs.create(full) } } else {
                    try fs.create(full)
                    model[directory]!.insert(name)
                }
            case 4:
                if exists { expectError(.fileExist) { () throws(KernelError) in try fs.mkdir(full) } } else {
                    try fs.mkdir(full)
                    model[directory]!.insert(name)
                    subdirectories.insert(full)
                }
            case 5..<7:
                if exists {
                    try fs.unlink(full)
                    model[directory]!.remove(name)
                    subdirectories.remove(full)
                } else {
                    expectError(.noSuchEntry) { () throws(KernelError) in try fs.unlink(full) }
                }
            case 7..<9:
                let otherDirectory = directories.randomElement(using: &random)!
                let other = "m\(Int.random(in: 0..<120, using: &random))"
                let to = otherDirectory + "/" + other
                guard exists else {
                    expectError(.noSuchEntry) { () throws(KernelError) in try fs.rename(path(full), to: path(to), from: 1) }
                    break
                }
                let targetExists = model[otherDirectory]!.contains(other)
                if targetExists, try fs.stat(full).inode == fs.stat(to).inode {
                    try fs.rename(path(full), to: path(to), from: 1)
                    break // two names of one file: nothing changes
                }
                let bothDirectories = subdirectories.contains(full) && subdirectories.contains(to)
                let mixed = targetExists && subdirectories.contains(full) != subdirectories.contains(to)
                if mixed {
                    expectError(subdirectories.contains(full) ? .notDirectory : .isDirectory) { () throws(KernelError) in
                        try fs.rename(path(full), to: path(to), from: 1)
                    }
                    break
                }
                try fs.rename(path(full), to: path(to), from: 1)
                if full != to {
                    model[directory]!.remove(name)
                    model[otherDirectory]!.insert(other)
                    if subdirectories.remove(full) != nil || bothDirectories { subdirectories.insert(to) }
                }
            default:
                let to = directories.randomElement(using: &random)! + "/l\(Int.random(in: 0..<60, using: &random))"
                let toDirectory = String(to.prefix(2)), toName = String(to.dropFirst(3))
                if !exists || subdirectories.contains(full) || model[toDirectory]!.contains(toName) {
                    #expect(throws: KernelError.self) { try fs.link(path(full), to: path(to), from: 1) }
                } else {
                    try fs.link(path(full), to: path(to), from: 1)
                    model[toDirectory]!.insert(toName)
                }
            }
            for directory in directories where step % 50 == 0 || step == steps - 1 {
                let names = try fs.names(directory).dropFirst(2)
                expectEqual(Set(names), model[directory]!, "seed \(seed), step \(step): \(directory)")
                expectEqual(names.count, model[directory]!.count, "seed \(seed), step \(step): a name twice in \(directory)")
            }
            if let problem = try Self.disagreement(fs) {
                Issue.record("seed \(seed), step \(step): \(problem)")
                return
            }
        }
        expectEqual(fs.directoryIndexes.count, 2, "both directories grew past the policy's size")
        try unmountAndCheck(disk, fs)
    }

    /// Block reads of `operation` on `fs`'s metadata store.
    static func reads(_ fs: FileSystem<HostMemory>, _ operation: () throws(KernelError) -> Void) throws -> Int {
        let before = fs.store.blockReads
        try operation()
        return fs.store.blockReads - before
    }

    /// Block reads of 100 creates and 100 unlinks of names at the start of a directory of
    /// `count` names (made first) and of 100 of each at its end (made last).
    static func readsPerOperation(indexed: Bool, count: Int) throws -> (createEarly: Int, createLate: Int, unlinkEarly: Int, unlinkLate: Int) {
        let disk = try DiskMachine(geometry: FileSystemGeometry(blockCount: 8_192, inodeCount: 8_192, hasJournal: true))
        let fs = try disk.mount()
        if !indexed { fs.directoryIndexes.policy.minimumBlocks = .max }
        try fs.mkdir("/d")
        var creates: [Int] = []
        for n in 0..<count { creates.append(try reads(fs) { () throws(KernelError) in try fs.create("/d/entry\(n)") }) }
        var unlinks: [Int] = []
        for n in 0..<count { unlinks.append(try reads(fs) { () throws(KernelError) in try fs.unlink("/d/entry\(count - 1 - n)") }) }
        try unmountAndCheck(disk, fs)
        // The unlinks run from the last name to the first: the late ones are the first made.
        return (creates.prefix(100).reduce(0, +), creates.suffix(100).reduce(0, +), unlinks.suffix(100).reduce(0, +), unlinks.prefix(100).reduce(0, +))
    }

    @Test func blockReadsPerCreateAndUnlinkStayFlatAsTheDirectoryGrows() throws {
        // The scan is quadratic: a thousand names show it, and keep the test short.
        let indexed = try Self.readsPerOperation(indexed: true, count: 4_000)
        let scanned = try Self.readsPerOperation(indexed: false, count: 1_000)
        print("block reads per 100 operations, first 100 / last 100 names of 4,000 indexed or 1,000 scanned: " +
              "create \(indexed.createEarly) / \(indexed.createLate) indexed, \(scanned.createEarly) / \(scanned.createLate) scanned; " +
              "unlink \(indexed.unlinkEarly) / \(indexed.unlinkLate) indexed, \(scanned.unlinkEarly) / \(scanned.unlinkLate) scanned")
        // Past its 12 direct blocks a directory's blocks are reached through its indirect
        // block: a few reads more per operation (the pointer and its bitmap checks), and
        // nothing that grows with the names.
        #expect(indexed.createLate <= indexed.createEarly + 5 * 100)
        #expect(indexed.unlinkLate <= indexed.unlinkEarly + 5 * 100)
        #expect(scanned.createLate > 10 * scanned.createEarly, "without the index, a create reads the whole directory")
        #expect(indexed.createLate * 5 < scanned.createLate)
    }

    @Test func theCacheKeepsToItsBoundAndDirectoriesBeyondItAreScanned() throws {
        let (disk, fs) = try freshFileSystem()
        fs.directoryIndexes.policy = DirectoryIndexes.Policy(minimumBlocks: 2, nodeLimit: 200, indexLimit: 3)
        for d in 0..<5 {
            try fs.mkdir("/d\(d)")
            for n in 0..<(d == 4 ? 250 : 50) { try fs.create("/d\(d)/n\(n)") }
        }
        #expect(fs.directoryIndexes.nodeCount <= 200 && fs.directoryIndexes.count <= 3)
        #expect(!fs.directoryIndexContents().contains { $0.directory == (try? fs.stat("/d4").inode32) }, "d4 needs more than the bound")
        // Every name is still found, indexed or scanned.
        for d in 0..<5 {
            for n in 0..<(d == 4 ? 250 : 50) { expectEqual(try fs.stat("/d\(d)/n\(n)").type, .regular) }
        }
        expectEqual(try Self.disagreement(fs), nil)
        try unmountAndCheck(disk, fs)
    }

    @Test func anOperationThatFailsDropsTheIndexAndTheNextUseRebuildsIt() throws {
        // A disk whose data blocks run out: the directory cannot grow by a block.
        let (disk, fs) = try freshFileSystem()
        fs.directoryIndexes.policy.minimumBlocks = 1
        try fs.mkdir("/d")
        for n in 0..<14 { try fs.create("/d/n\(n)") }
        let directory = try fs.stat("/d").inode32
        #expect(fs.directoryIndexContents().contains { $0.directory == directory })
        try fs.create("/big")
        let big = try fs.stat("/big").inode32
        while (try? fs.write(big, at: fs.stat("/big").size, pattern(1 << 20))) ?? 0 > 0 {}
        expectError(.noSpace) { () throws(KernelError) in try fs.create("/d/one-too-many") }
        #expect(!fs.directoryIndexContents().contains { $0.directory == directory }, "dropped with the transaction")
        expectError(.noSuchEntry) { () throws(KernelError) in try fs.stat("/d/one-too-many") }
        #expect(fs.directoryIndexContents().contains { $0.directory == directory }, "rebuilt by the lookup")
        expectEqual(try Self.disagreement(fs), nil)
        try fs.unlink("/big")
        try fs.create("/d/one-more")
        #expect(try fs.names("/d").count == 2 + 15)
        try unmountAndCheck(disk, fs)
    }

    @Test func aRemovedDirectoryTakesItsIndexWith() throws {
        let (disk, fs) = try freshFileSystem()
        fs.directoryIndexes.policy.minimumBlocks = 1
        try fs.mkdir("/d")
        try fs.create("/d/f")
        let number = try fs.stat("/d").inode32
        #expect(fs.directoryIndexContents().contains { $0.directory == number })
        try fs.unlink("/d/f")
        try fs.unlink("/d")
        #expect(!fs.directoryIndexContents().contains { $0.directory == number })
        // The number comes back as a new directory, whose index starts from its own disk.
        try fs.mkdir("/e")
        try fs.create("/e/g")
        expectEqual(try Self.disagreement(fs), nil)
        try unmountAndCheck(disk, fs)
    }
}
