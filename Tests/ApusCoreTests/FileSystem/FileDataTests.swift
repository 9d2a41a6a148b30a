import ApusCore
import Testing

/// ABI.md §6's rules for a file's bytes: `write` grows a file, holes read as zeros, the
/// largest file, NoSpace without anything half-written, `fsync`, and a file unlinked while
/// open.
@Suite("File data rules")
struct FileDataTests {
    @Test func writeGrowsAFileAndReadReturnsItsBytes() throws {
        let (disk, fs) = try freshFileSystem()
        try fs.create("/f")
        let inode = try fs.open("/f").inode
        expectEqual(try fs.write(inode, at: 0, pattern(5000)), 5000)
        expectEqual(try fs.size(of: inode), 5000)
        expectEqual(try fs.write(inode, at: 5000, pattern(3000, salt: 9)), 3000)
        #expect(try fs.read(inode, at: 0, count: 10_000) == pattern(5000) + pattern(3000, salt: 9))
        #expect(try fs.read(inode, at: 8000, count: 10).isEmpty)
        #expect(try fs.read(inode, at: 9000, count: 10).isEmpty)
        fs.release(inode)
        try unmountAndCheck(disk, fs)
    }

    @Test func aWriteInsideAFileOverwritesInPlace() throws {
        let (disk, fs) = try freshFileSystem()
        let inode = try fs.file("/f", pattern(10_000))
        let free = try fs.freeBlockCount()
        expectEqual(try fs.write(inode, at: 4090, [7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7]), 12)
        var expected = pattern(10_000)
        expected.replaceSubrange(4090..<4102, with: [UInt8](repeating: 7, count: 12))
        expectEqual(try fs.read(inode, at: 0, count: 10_000), expected)
        expectEqual(try fs.freeBlockCount(), free)
        try unmountAndCheck(disk, fs)
    }

    @Test func aHoleReadsAsZerosAndTakesNoBlock() throws {
        let (disk, fs) = try freshFileSystem()
        try fs.create("/f")
        let inode = try fs.open("/f").inode
        let free = try fs.freeBlockCount()
        expectEqual(try fs.write(inode, at: 40_000, [1, 2, 3]), 3)
        expectEqual(try fs.size(of: inode), 40_003)
        #expect(try fs.read(inode, at: 0, count: 40_003) == [UInt8](repeating: 0, count: 40_000) + [1, 2, 3])
        #expect(try fs.freeBlockCount() == free - 1)
        fs.release(inode)
        try unmountAndCheck(disk, fs)
        let again = try disk.mount()
        #expect(try again.contents(of: path("/f")) == [UInt8](repeating: 0, count: 40_000) + [1, 2, 3])
        try again.unmount()
    }

    @Test func theLargestFileEndsAt12Plus512Plus512SquaredBlocks() throws {
        let (disk, fs) = try freshFileSystem()
        try fs.create("/f")
        let inode = try fs.open("/f").inode
        let largest = (12 + 512 + 512 * 512) * UInt64(4096)
        expectEqual(DiskInode.maximumSize, largest)
        expectEqual(try fs.write(inode, at: largest - 4, [1, 2, 3, 4, 5, 6]), 4)
        expectEqual(try fs.size(of: inode), largest)
        expectEqual(try fs.read(inode, at: largest - 5, count: 10), [0, 1, 2, 3, 4])
        expectError(.noSpace) { () throws(KernelError) in try fs.write(inode, at: largest, [1]) }
        expectError(.noSpace) { () throws(KernelError) in try fs.write(inode, at: largest + 4096, [1]) }
        expectEqual(try fs.size(of: inode), largest)
        fs.release(inode)
        try unmountAndCheck(disk, fs)
    }

    @Test func aFullDiskWritesWhatFitsThenNoSpaceChangesNothing() throws {
        let (disk, fs) = try freshFileSystem()
        try fs.create("/f")
        let inode = try fs.open("/f").inode
        let big = pattern(20 << 20)
        let written = try fs.write(inode, at: 0, big)
        #expect(written > 0 && written < big.count)
        #expect(written % 4096 == 0)
        expectEqual(try fs.size(of: inode), UInt64(written))
        let free = try fs.freeBlockCount()
        expectError(.noSpace) { () throws(KernelError) in try fs.write(inode, at: UInt64(written), [1, 2, 3]) }
        expectError(.noSpace) { () throws(KernelError) in try fs.mkdir("/d") }
        expectEqual(try fs.size(of: inode), UInt64(written))
        expectEqual(try fs.freeBlockCount(), free)
        expectEqual(try fs.read(inode, at: 0, count: written), Array(big.prefix(written)))
        fs.release(inode)
        try unmountAndCheck(disk, fs)
        let again = try disk.mount()
        expectEqual(try again.contents(of: path("/f")), Array(big.prefix(written)))
        try again.unmount()
    }

    @Test func bytesPastTheEndOfAFileOnTheDiskNeverShowWhenItGrows() throws {
        let disk = try DiskMachine(tree: [.file(path: path("/f"), contents: pattern(100))])
        var fs = try disk.mount()
        let inode = try fs.open("/f").inode
        let block = try fs.inode(inode).direct[0]
        fs.release(inode)
        try fs.unmount()
        // An image written elsewhere may hold anything past a file's end.
        disk.device.damage(block: block, with: pattern(100) + [UInt8](repeating: 0xAA, count: 3_996))
        fs = try disk.mount()
        expectEqual(try fs.write(inode, at: 8_192, [5]), 1)
        let expected = pattern(100) + [UInt8](repeating: 0, count: 8_092) + [5]
        expectEqual(try fs.read(inode, at: 0, count: 9_000), expected)
        try fs.unmount()
        let again = try disk.mount()
        expectEqual(try again.contents(of: path("/f")), expected)
        try again.unmount()
        expectEqual(disk.problems, [])
    }

    @Test func readAndWriteOfADirectoryAreIsDirectory() throws {
        let (disk, fs) = try freshFileSystem()
        try fs.mkdir("/d")
        let d = try fs.open("/d")
        expectEqual(d.type, .directory)
        expectError(.isDirectory) { () throws(KernelError) in try fs.read(d.inode, at: 0, count: 1) }
        expectError(.isDirectory) { () throws(KernelError) in try fs.write(d.inode, at: 0, [1]) }
        fs.release(d.inode)
        try unmountAndCheck(disk, fs)
    }

    @Test func fsyncMakesAFileDurableBeforeItReturns() throws {
        let (disk, fs) = try freshFileSystem()
        try fs.mkdir("/d")
        let inode = try fs.file("/d/f", pattern(30_000))
        try fs.synchronize(inode)
        disk.device.cutPower(afterWrite: disk.device.writeCount)
        try? fs.create("/d/lost")
        try? fs.synchronize(inode)
        disk.device = disk.device.imageAfterPowerCut(.unflushedAtRandom(seed: 7))
        let again = try disk.mount()
        expectEqual(try again.contents(of: path("/d/f")), pattern(30_000))
        expectError(.noSuchEntry) { () throws(KernelError) in try again.stat("/d/lost") }
        try again.unmount()
        expectEqual(disk.problems, [])
    }

    @Test func aFileUnlinkedWhileOpenLivesUntilItsLastUserLetsGo() throws {
        let (disk, fs) = try freshFileSystem()
        let free = try fs.freeBlockCount()
        try fs.file("/f", pattern(50_000))
        let opened = try fs.open("/f")
        fs.retain(opened.inode)
        try fs.unlink("/f")
        expectError(.noSuchEntry) { () throws(KernelError) in try fs.stat("/f") }
        expectEqual(try fs.read(opened.inode, at: 0, count: 50_000), pattern(50_000))
        expectEqual(try fs.write(opened.inode, at: 50_000, [9]), 1)
        #expect(try fs.freeBlockCount() < free)
        fs.release(opened.inode)
        #expect(try fs.freeBlockCount() < free)
        fs.release(opened.inode)
        expectEqual(try fs.freeBlockCount(), free)
        try unmountAndCheck(disk, fs)
    }

    @Test func anOrphanLeftByAStoppedMachineIsFreedAtTheNextMount() throws {
        let (disk, fs) = try freshFileSystem()
        let free = try fs.freeBlockCount()
        try fs.file("/f", pattern(50_000))
        let opened = try fs.open("/f")
        try fs.unlink("/f")
        try fs.sync()
        expectEqual(disk.problems, [], "an orphan is legal on the disk")
        let image = disk.device.copy()
        fs.release(opened.inode)
        disk.device = image
        let again = try disk.mount()
        expectEqual(again.orphansFreedAtMount, 1)
        expectEqual(try again.freeBlockCount(), free)
        try again.unmount()
        expectEqual(disk.problems, [])
    }

    @Test func thePageCacheStaysWithinItsCapacityAndWritesDirtyPagesBackWhenItEvicts() throws {
        let (disk, fs) = try freshFileSystem(pageCacheCapacity: 16)
        let inode = try fs.file("/f", pattern(400_000))
        #expect(fs.store.pages.count <= 16)
        #expect(fs.store.pages.writeBacks > 0)
        expectEqual(try fs.read(inode, at: 0, count: 400_000), pattern(400_000))
        #expect(fs.store.pages.count <= 16)
        try unmountAndCheck(disk, fs)
    }

    /// Writing a file sixteen times the cache: every page it evicts is dirty, and the clock
    /// hand still looks at a few pages per eviction, not the whole cache twice.
    @Test func writingAFileLargerThanTheCacheSweepsAFewPagesPerEviction() throws {
        let capacity = 128
        let (disk, fs) = try freshFileSystem(pageCacheCapacity: capacity)
        let bytes = pattern(16 * capacity * 4096)
        let inode = try fs.file("/f", bytes)
        let evictions = 16 * capacity - capacity
        #expect(fs.store.pages.writeBacks >= evictions)
        #expect(fs.store.pages.pagesSwept < 8 * evictions, "\(fs.store.pages.pagesSwept) pages looked at for \(evictions) evictions")
        #expect(sameBytes(try fs.read(inode, at: 0, count: bytes.count), bytes))
        try unmountAndCheck(disk, fs)
    }

    @Test func aCachedPageHoldsTheFileAndZerosPastItsEnd() throws {
        let (disk, fs) = try freshFileSystem()
        let inode = try fs.file("/f", pattern(5000))
        try fs.sync()
        fs.store.pages.dropAll()
        let frame = try fs.page(of: inode, at: 1)
        let bytes = Array(disk.machine.memory.page(at: frame))
        expectEqual(Array(bytes.prefix(904)), Array(pattern(5000)[4096...]))
        #expect(bytes[904...].allSatisfy { $0 == 0 })
        try unmountAndCheck(disk, fs)
    }

    @Test func aPageAProcessMapsStaysWhenTheCacheGivesFramesBack() throws {
        let (disk, fs) = try freshFileSystem()
        let inode = try fs.file("/f", pattern(3 * 4096))
        try fs.sync()
        let frame = try fs.page(of: inode, at: 0)
        disk.machine.frames.share(frame)
        let released = fs.releaseFrames(1000)
        #expect(released > 0)
        expectEqual(fs.store.pages.cachedFrame(inode: inode, page: 0), frame)
        expectEqual(fs.store.pages.count, 1)
        disk.machine.frames.free(frame)
        #expect(fs.releaseFrames(1000) >= 1)
        expectEqual(fs.store.pages.count, 0)
        try unmountAndCheck(disk, fs)
    }

    @Test func aWriteLeavesAPrivateMappingOfThePageAsItWas() throws {
        let (disk, fs) = try freshFileSystem()
        let inode = try fs.file("/f", pattern(4096))
        let mapped = try fs.page(of: inode, at: 0)
        disk.machine.frames.share(mapped)
        expectEqual(try fs.write(inode, at: 10, [1, 2, 3]), 3)
        expectEqual(Array(disk.machine.memory.page(at: mapped)), pattern(4096), "the mapping keeps the bytes it shared")
        #expect(try fs.read(inode, at: 8, count: 7) == Array(pattern(4096)[8..<10]) + [1, 2, 3] + Array(pattern(4096)[13..<15]))
        expectEqual(disk.machine.frames.shareCount(of: mapped), 1, "the cache dropped its share of the old frame")
        disk.machine.frames.free(mapped)
        try unmountAndCheck(disk, fs)
    }

    @Test func everyFrameGoesBackAfterUnmount() throws {
        let disk = try DiskMachine()
        do {
            let fs = try disk.mount()
            try fs.file("/f", pattern(100_000))
            try fs.mkdir("/d")
            try fs.unmount()
        }
        #expect(disk.framesAreBack)
    }
}
