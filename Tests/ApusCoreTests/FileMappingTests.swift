import ApusCore
import Testing

/// File mappings over the page cache (ABI.md §4, §6): a mapped page is the cache's frame,
/// shared and read-only until the first write copies it; a page read once is not read from
/// the disk again; a mapping outlives `close` and `unlink`; the loader's partial pages are
/// never shared; and the caches give frames back when the allocator runs dry.
@Suite("File mappings and the page cache")
struct FileMappingTests {
    static let mapping: UInt64 = 0x3000_0000
    static let bigFile = pattern(3 * 4096 + 100, salt: 5)

    static func harness<P: Pager>(_ machine: TestMachine, pager: P) throws -> ProcessHarness<P> {
        try ProcessHarness(machine, pager: pager, tree: ProcessHarnessLayout.tree + [.file(path: Array("big".utf8), contents: bigFile)])
    }

    static func mmap<P: Pager>(_ harness: ProcessHarness<P>, fd: Int64, at address: UInt64 = mapping, pages: UInt64 = 4,
                               protection: UInt64 = 3) -> SyscallOutcome<HostMemory> {
        harness.process.dispatch(KeOSSyscallNumber.mmap.rawValue, SyscallArguments(address, pages * 4096, protection, UInt64(fd), 0))
    }

    @Test(arguments: [PagingPolicy.lazy, .eager])
    func aMappedPageIsThePageCachesFrameSharedUntilTheFirstWrite(pager: PagingPolicy) throws {
        try withMachine(megabytes: 8) { machine in
            let harness = try Self.harness(machine, pager: pager)
            let fd = try harness.open("big")
            expectEqual(Self.mmap(harness, fd: fd), .returns(Int64(Self.mapping)))
            expectEqual(try harness.userBytes(4096, at: Self.mapping), Array(Self.bigFile.prefix(4096)))
            let mapped = try harness.process.mm.pageTable.walk(VirtualAddress(Self.mapping))
            #expect(!mapped.permission.contains(.write), "read-only while shared")
            let inode = try harness.fileSystem.existingInode(Array("big".utf8), from: 1).number
            expectEqual(try harness.fileSystem.page(of: inode, at: 0), mapped.frame, "the cache's own frame")
            expectEqual(machine.frames.shareCount(of: mapped.frame), 2)
            try harness.process.mm.copyOut([0xEE], to: VirtualAddress(Self.mapping))
            let written = try harness.process.mm.pageTable.walk(VirtualAddress(Self.mapping))
            #expect(written.frame != mapped.frame && written.permission.contains(.write), "the first write copied it")
            expectEqual(harness.read(fd, count: 1), 1)
            expectEqual(try harness.bytes(count: 1), String(decoding: [Self.bigFile[0]], as: UTF8.self), "writes never reach the file")
        }
    }

    @Test func aPageReadOnceIsNotReadFromTheDiskAgain() throws {
        try withMachine(megabytes: 8) { machine in
            let harness = try Self.harness(machine, pager: LazyPager())
            let fd = try harness.open("big")
            expectEqual(harness.read(fd, count: 4096), 4096)
            let reads = harness.disk.readCount
            expectEqual(Self.mmap(harness, fd: fd, pages: 1, protection: 1), .returns(Int64(Self.mapping)))
            expectEqual(try harness.userBytes(4096, at: Self.mapping), Array(Self.bigFile.prefix(4096)))
            expectEqual(harness.call(.seek, UInt64(fd), 0, 0), 0)
            expectEqual(harness.read(fd, count: 4096), 4096)
            expectEqual(harness.disk.readCount, reads, "the mapping and the second read were served from memory")
        }
    }

    @Test func aWriteToTheFileLeavesAMappedPageWithTheBytesItShared() throws {
        try withMachine(megabytes: 8) { machine in
            let harness = try Self.harness(machine, pager: LazyPager())
            let fd = try harness.open("big", mode: 2)
            expectEqual(Self.mmap(harness, fd: fd, pages: 1, protection: 1), .returns(Int64(Self.mapping)))
            expectEqual(try harness.userBytes(2, at: Self.mapping), Array(Self.bigFile.prefix(2)))
            expectEqual(try harness.write(fd, "XY"), 2)
            expectEqual(try harness.userBytes(2, at: Self.mapping), Array(Self.bigFile.prefix(2)), "private: the mapping keeps its bytes")
            expectEqual(harness.call(.seek, UInt64(fd), 0, 0), 0)
            expectEqual(harness.read(fd, count: 2), 2)
            expectEqual(try harness.bytes(count: 2), "XY")
        }
    }

    @Test func aMappingOutlivesCloseAndUnlinkAndKeepsTheInode() throws {
        try withMachine(megabytes: 8) { machine in
            let harness = try Self.harness(machine, pager: LazyPager())
            let free = try harness.fileSystem.freeBlockCount()
            let fd = try harness.open("big")
            expectEqual(Self.mmap(harness, fd: fd), .returns(Int64(Self.mapping)))
            expectEqual(harness.call(.close, UInt64(fd)), 0)
            expectEqual(try harness.pathCall(.unlink, "big"), 0)
            expectEqual(try harness.fileSystem.freeBlockCount(), free, "the mapping keeps the blocks")
            expectEqual(try harness.userBytes(3 * 4096 + 100, at: Self.mapping), Self.bigFile, "pages never touched before still come")
            expectEqual(try harness.userBytes(4096 - 100, at: Self.mapping + 3 * 4096 + 100), [UInt8](repeating: 0, count: 4096 - 100), "zeros past the end")
            expectEqual(harness.call(.munmap, Self.mapping), 0)
            #expect(try harness.fileSystem.freeBlockCount() == free + 4, "the last user let go: its four blocks are free")
        }
    }

    @Test func theLoadersPartialPageIsNeverShared() throws {
        try withMachine(megabytes: 8) { machine in
            let harness = try Self.harness(machine, pager: LazyPager())
            let handle = try InodeHandle.open(Array("big".utf8), from: 1, in: harness.fileSystem)
            // A segment whose file bytes end 100 bytes into its second page.
            let backing = FileBacking(file: handle, offset: 0, length: 4096 + 100)
            let region = Region(range: VirtualRange(Self.mapping, pages: 3), permission: [.read, .user], backing: .file(backing))
            let whole = try region.firstFrame(for: VirtualAddress(Self.mapping), frames: machine.frames)
            let partial = try region.firstFrame(for: VirtualAddress(Self.mapping + 4096), frames: machine.frames)
            let past = try region.firstFrame(for: VirtualAddress(Self.mapping + 8192), frames: machine.frames)
            expectEqual(machine.frames.shareCount(of: whole.frame), 2, "a whole page is the cache's")
            #expect(machine.frames.shareCount(of: partial.frame) == 1 && machine.frames.shareCount(of: past.frame) == 1)
            let bytes = UnsafeRawBufferPointer(machine.memory.page(at: partial.frame))
            expectEqual(Array(bytes.prefix(100)), Array(Self.bigFile[4096..<4196]))
            #expect(bytes.dropFirst(100).allSatisfy { $0 == 0 }, "nothing past p_filesz is visible")
            for frame in [whole.frame, partial.frame, past.frame] { machine.frames.free(frame) }
        }
    }

    @Test func whenFramesRunOutTheAllocatorTakesCleanCachePagesBack() throws {
        try withMachine(megabytes: 8) { machine in
            let harness = try Self.harness(machine, pager: LazyPager())
            machine.frames.reclaimer = harness.fileSystem
            defer { machine.frames.reclaimer = nil }
            let fd = try harness.open("big")
            #expect(harness.read(fd, count: 4096 * 2) == 4096 * 2)
            expectEqual(harness.read(fd, count: 4096), 4096)
            var taken: [PhysicalAddress] = []
            while let frame = machine.frames.allocate() { taken.append(frame) }
            expectEqual(harness.fileSystem.store.pages.count, 0, "every clean page went before the allocator gave up")
            for frame in taken { machine.frames.free(frame) }
        }
    }

    @Test func aDroppedHandleFreesAnUnlinkedFileOnlyWhenReleasesAreSettled() throws {
        try withMachine(megabytes: 8) { machine in
            let harness = try Self.harness(machine, pager: LazyPager())
            let free = try harness.fileSystem.freeBlockCount()
            var handle: InodeHandle<HostMemory>? = try InodeHandle.open(Array("big".utf8), from: 1, in: harness.fileSystem)
            expectEqual(try harness.pathCall(.unlink, "big"), 0)
            handle = nil
            _ = handle
            #expect(harness.fileSystem.hasDeferredReleases)
            expectEqual(try harness.fileSystem.freeBlockCount(), free, "nothing is written where the handle went")
            harness.fileSystem.settleReleases()
            #expect(try harness.fileSystem.freeBlockCount() == free + 4)
        }
    }
}
