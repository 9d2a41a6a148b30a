@testable import ApusCore
import Testing

/// A parent address space for fork tests: an anonymous read-write mapping, a private
/// read-write file mapping, a read-only file mapping and a read-execute file mapping, the
/// last two at the file's second page.
enum ForkFixture {
    /// Three anonymous pages, read-write.
    static let anonymous: UInt64 = 0x1000_0000
    /// Two pages of ``file`` from offset 0, read-write, private.
    static let privateFile: UInt64 = 0x2000_0000
    /// One page of the file from offset 0x1000, read-only.
    static let readOnly: UInt64 = 0x3000_0000
    /// One page of the file from offset 0x1000, read-execute, like program text.
    static let text: UInt64 = 0x40_0000
    /// Every page of the fixture.
    static let pages: [UInt64] = [anonymous, anonymous + 0x1000, anonymous + 0x2000, privateFile, privateFile + 0x1000, readOnly, text]
    /// The pages whose regions allow writing.
    static let writablePages: [UInt64] = Array(pages.prefix(5))

    static func parent<P: Pager>(_ machine: TestMachine, pager: P, file: TestFile) throws -> MmStruct<HostMemory, P> {
        var mm = try MmStruct(frames: machine.frames, pager: pager)
        _ = try mm.mmap(at: VirtualAddress(anonymous), length: 0x3000, protection: [.read, .write], backing: .anonymous)
        _ = try mm.mmap(at: VirtualAddress(privateFile), length: 0x2000, protection: [.read, .write], backing: .file(FileBacking(file: file, offset: 0)))
        _ = try mm.mmap(at: VirtualAddress(readOnly), length: 0x1000, protection: .read, backing: .file(FileBacking(file: file, offset: 0x1000)))
        _ = try mm.mmap(at: VirtualAddress(text), length: 0x1000, protection: [.read, .executable], backing: .file(FileBacking(file: file, offset: 0x1000)))
        return mm
    }

    /// An eager parent whose anonymous pages hold "parent <n>".
    static func writtenParent(_ machine: TestMachine, file: TestFile) throws -> MmStruct<HostMemory, EagerPager> {
        var mm = try parent(machine, pager: EagerPager(), file: file)
        for (index, page) in pages.prefix(3).enumerated() { try writeUser(&mm, Array("parent \(index)".utf8), at: page) }
        return mm
    }

    static func file() -> TestFile { TestFile(patternedCount: 0x2000) }
}

/// Every page `mm` maps in the user half with its leaf entry, in address order.
func mappedPages<P: Pager>(_ mm: borrowing MmStruct<HostMemory, P>) -> [UInt64: PageTableEntry] {
    var pages: [UInt64: PageTableEntry] = [:]
    mm.pageTable.forEachMappedPage(in: AddressSpaceLayout.userHalf) { page, entry in pages[page.raw] = entry }
    return pages
}

/// The bytes of every page `mm` maps, read through its frames (never faulting).
func residentBytes<P: Pager>(_ machine: TestMachine, _ mm: borrowing MmStruct<HostMemory, P>) -> [UInt64: [UInt8]] {
    mappedPages(mm).mapValues { Array(UnsafeRawBufferPointer(machine.memory.page(at: $0.frame))) }
}

@Suite("Copy-on-write fork")
struct ForkTests {
    static let pageSize = Int(PageGeometry.pageSize)

    // MARK: - Same bytes, then diverging

    @Test func childAndParentSeeTheSameBytesAfterFork() throws {
        try withMachine { machine in
            let file = ForkFixture.file()
            var parent = try ForkFixture.writtenParent(machine, file: file)
            var child = try parent.fork()
            for page in ForkFixture.pages {
                #expect(try userBytes(&child, at: page, count: Self.pageSize) == userBytes(&parent, at: page, count: Self.pageSize))
            }
            expectEqual(try userBytes(&child, at: ForkFixture.anonymous + 0x1000, count: 8), Array("parent 1".utf8))
            expectEqual(try userBytes(&child, at: ForkFixture.privateFile + 0x1000, count: 0x10), Array(file.bytes[0x1000..<0x1010]))
        }
    }

    @Test func theChildGetsTheSameRegionsAndPager() throws {
        try withMachine { machine in
            var parent = try ForkFixture.parent(machine, pager: PagingPolicy.lazy, file: ForkFixture.file())
            let child = try parent.fork()
            func summary(_ region: Region) -> String {
                let backing: String
                switch region.backing {
                case .anonymous: backing = "anonymous"
                case .file(let file): backing = "file \(ObjectIdentifier(file.file)) from \(file.offset), \(file.length) bytes"
                }
                return "\(region.range.start)..<\(region.range.end) \(region.permission) \(backing)"
            }
            var parentRegions: [String] = [], childRegions: [String] = []
            parent.forEachRegion { parentRegions.append(summary($0)) }
            child.forEachRegion { childRegions.append(summary($0)) }
            expectEqual(childRegions, parentRegions)
            expectEqual(child.regionCount, 4)
            expectEqual(child.pager, .lazy)
        }
    }

    @Test func aWriteByTheChildCopiesTheAnonymousPageAndTheParentKeepsItsBytes() throws {
        try withMachine { machine in
            var parent = try ForkFixture.writtenParent(machine, file: ForkFixture.file())
            var child = try parent.fork()
            expectEqual(child.handlePageFault(at: VirtualAddress(ForkFixture.anonymous + 4), errorCode: PageFaultErrorCode(rawValue: 0x7)), .resolved)
            try writeUser(&child, Array("child!".utf8), at: ForkFixture.anonymous)
            expectEqual(try userBytes(&child, at: ForkFixture.anonymous, count: 8), Array("child! 0".utf8))
            expectEqual(try userBytes(&parent, at: ForkFixture.anonymous, count: 8), Array("parent 0".utf8))
            #expect(try child.pageTable.walk(VirtualAddress(ForkFixture.anonymous)).frame != parent.pageTable.walk(VirtualAddress(ForkFixture.anonymous)).frame)
        }
    }

    @Test func aWriteByTheParentCopiesTheAnonymousPageAndTheChildKeepsItsBytes() throws {
        try withMachine { machine in
            var parent = try ForkFixture.writtenParent(machine, file: ForkFixture.file())
            var child = try parent.fork()
            try writeUser(&parent, Array("PARENT".utf8), at: ForkFixture.anonymous + 0x2000)
            expectEqual(try userBytes(&parent, at: ForkFixture.anonymous + 0x2000, count: 8), Array("PARENT 2".utf8))
            expectEqual(try userBytes(&child, at: ForkFixture.anonymous + 0x2000, count: 8), Array("parent 2".utf8))
            expectEqual(try parent.pageTable.walk(VirtualAddress(ForkFixture.anonymous + 0x2000)).permission, [.read, .write, .user])
            expectEqual(try child.pageTable.walk(VirtualAddress(ForkFixture.anonymous + 0x2000)).permission, [.read, .user], "the child still shares nothing but a read-only frame it now owns alone")
        }
    }

    @Test func aPrivateFileMappingDivergesAfterAWriteAndTheFileIsUntouched() throws {
        try withMachine { machine in
            let file = ForkFixture.file()
            let original = file.bytes
            var parent = try ForkFixture.writtenParent(machine, file: file)
            var child = try parent.fork()
            try writeUser(&child, [0, 0, 0, 0], at: ForkFixture.privateFile + 0x1000)
            try writeUser(&parent, [9, 9], at: ForkFixture.privateFile + 0x1002)
            #expect(try userBytes(&child, at: ForkFixture.privateFile + 0x1000, count: 6) == [0, 0, 0, 0] + original[0x1004..<0x1006])
            #expect(try userBytes(&parent, at: ForkFixture.privateFile + 0x1000, count: 6) == original[0x1000..<0x1002] + [9, 9] + original[0x1004..<0x1006])
            expectEqual(file.bytes, original)
        }
    }

    @Test func aReadOnlyMappingStaysSharedAndRefusesWritesOnBothSides() throws {
        try withMachine { machine in
            var parent = try ForkFixture.writtenParent(machine, file: ForkFixture.file())
            let before = try parent.pageTable.walk(VirtualAddress(ForkFixture.readOnly))
            var child = try parent.fork()
            expectEqual(try parent.pageTable.walk(VirtualAddress(ForkFixture.readOnly)), before, "a read-only page is simply shared")
            expectEqual(try child.pageTable.walk(VirtualAddress(ForkFixture.readOnly)), before)
            expectEqual(child.handlePageFault(at: VirtualAddress(ForkFixture.readOnly), errorCode: PageFaultErrorCode(rawValue: 0x7)), .segmentationFault(.writeToReadOnly))
            #expect(throws: KernelError.badAddress) { try writeUser(&parent, [1], at: ForkFixture.readOnly) }
            try writeUser(&child, [1], at: ForkFixture.anonymous) // a write elsewhere changes nothing here
            expectEqual(try child.pageTable.walk(VirtualAddress(ForkFixture.readOnly)).frame, before.frame)
            expectEqual(machine.frames.shareCount(of: before.frame), 2)
        }
    }

    // MARK: - Share counts and leaf bits

    @Test func sharedFramesCountOneSharePerSharerAndTheirLeavesAreReadOnlyWithXDAndUSERKept() throws {
        try withMachine { machine in
            var parent = try ForkFixture.writtenParent(machine, file: ForkFixture.file())
            let before = mappedPages(parent)
            let child = try parent.fork()
            let parentAfter = mappedPages(parent), childAfter = mappedPages(child)
            expectEqual(Set(childAfter.keys), Set(ForkFixture.pages))
            expectEqual(parentAfter, childAfter, "the same frames with the same bits")
            for page in ForkFixture.pages {
                let entry = try #require(childAfter[page])
                expectEqual(entry.frame, before[page]?.frame)
                expectEqual(machine.frames.shareCount(of: entry.frame), 2)
                #expect(!entry.flags.contains(.writable))
                #expect(entry.flags.contains(.user))
                expectEqual(entry.flags.contains(.executeDisable), (page != ForkFixture.text))
            }
            let data = try #require(childAfter[ForkFixture.anonymous])
            #expect(data.raw == data.frame.raw | PageTableEntry.Flags([.present, .user, .executeDisable]).rawValue, "exactly P, US and XD")
            let text = try #require(childAfter[ForkFixture.text])
            expectEqual(text, .leaf(frame: text.frame, permission: [.read, .executable, .user]))
        }
    }

    @Test func forkInvalidatesTheTranslationOfEveryPageTheParentLosesWriteTo() throws {
        try withMachine { machine in
            var parent = try ForkFixture.writtenParent(machine, file: ForkFixture.file())
            let before = machine.memory.invalidations
            let child = try parent.fork()
            #expect(machine.memory.invalidations - before == ForkFixture.writablePages.count)
            // A second fork downgrades nothing more: the parent's pages are read-only already.
            let again = machine.memory.invalidations
            let second = try parent.fork()
            expectEqual(machine.memory.invalidations, again)
            expectEqual(machine.frames.shareCount(of: try second.pageTable.walk(VirtualAddress(ForkFixture.anonymous)).frame), 3)
            _ = child
        }
    }

    @Test func forkSharesTheKernelSlotsExactlyAsTheParentDoes() throws {
        // The kernel's tables are never freed, so this machine ends with them in use.
        let machine = TestMachine()
        var kernel = try machine.pageTable()
        try kernel.mapUnowned(VirtualAddress(0xFFFF_8000_0020_0000), to: PhysicalAddress(0x20_0000), permission: [.read, .write])
        try kernel.mapUnowned(VirtualAddress(AddressSpaceLayout.kernelWindow.start.raw), to: PhysicalAddress(0x30_0000), permission: [.read, .write])
        let kernelFrames = machine.framesInUse
        do {
            var parent = try MmStruct(frames: machine.frames, pager: EagerPager(), kernelTemplate: kernel.root)
            _ = try parent.mmap(at: VirtualAddress(ForkFixture.anonymous), length: 0x1000, protection: [.read, .write], backing: .anonymous)
            let child = try parent.fork()
            let parentRoot = machine.memory.pointer(to: parent.pageTable.root).assumingMemoryBound(to: UInt64.self)
            let childRoot = machine.memory.pointer(to: child.pageTable.root).assumingMemoryBound(to: UInt64.self)
            for slot in 0..<PageGeometry.entriesPerTable where AddressSpaceLayout.isSharedSlot(slot) {
                expectEqual(childRoot[slot], parentRoot[slot], "slot \(slot)")
            }
            #expect(child.pageTable.root != parent.pageTable.root)
            #expect(childRoot[0] != parentRoot[0], "the user half has tables of its own")
            expectEqual(try child.pageTable.walk(VirtualAddress(0xFFFF_8000_0020_0000)).frame, PhysicalAddress(0x20_0000))
        }
        expectEqual(machine.framesInUse, kernelFrames, "both address spaces gave back all of their user half, and only that")
    }

    // MARK: - Copy-on-write faults

    @Test func theLastSharersWriteReusesTheFrameWithoutCopying() throws {
        try withMachine { machine in
            var parent = try ForkFixture.writtenParent(machine, file: ForkFixture.file())
            var child = try parent.fork()
            let shared = try parent.pageTable.walk(VirtualAddress(ForkFixture.anonymous)).frame
            try writeUser(&child, [1], at: ForkFixture.anonymous) // the child copies
            expectEqual(machine.frames.shareCount(of: shared), 1)
            let inUse = machine.framesInUse
            let allocations = machine.frames.allocationCount
            expectEqual(parent.handlePageFault(at: VirtualAddress(ForkFixture.anonymous), errorCode: PageFaultErrorCode(rawValue: 0x7)), .resolved)
            expectEqual(try parent.pageTable.walk(VirtualAddress(ForkFixture.anonymous)), .leaf(frame: shared, permission: [.read, .write, .user]))
            expectEqual(machine.framesInUse, inUse)
            expectEqual(machine.frames.allocationCount, allocations, "no frame taken, nothing copied")
            expectEqual(try userBytes(&parent, at: ForkFixture.anonymous, count: 8), Array("parent 0".utf8))
        }
    }

    @Test func aKernelCopyIntoASharedPageCopiesItFirst() throws {
        try withMachine { machine in
            var parent = try ForkFixture.writtenParent(machine, file: ForkFixture.file())
            var child = try parent.fork()
            let shared = try parent.pageTable.walk(VirtualAddress(ForkFixture.anonymous + 0x1000)).frame
            try child.copyOut(value: UInt64(0x4B45_524E_454C), to: VirtualAddress(ForkFixture.anonymous + 0x1000))
            let copy = try child.pageTable.walk(VirtualAddress(ForkFixture.anonymous + 0x1000))
            #expect(copy.frame != shared)
            expectEqual(copy.permission, [.read, .write, .user])
            expectEqual(try userBytes(&parent, at: ForkFixture.anonymous + 0x1000, count: 8), Array("parent 1".utf8))
            expectEqual(machine.frames.shareCount(of: shared), 1)
        }
    }

    @Test func aReadSystemCallIntoASharedPageCopiesItFirst() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine, pager: EagerPager())
            try harness.process.mm.copyOut(Array("untouched".utf8), to: VirtualAddress(ProcessHarnessLayout.buffer))
            let fd = try harness.open()
            var child = try harness.process.mm.fork()
            expectEqual(harness.read(fd, count: 13), 13)
            expectEqual(try harness.bytes(count: 13), "Hello, file!\n")
            expectEqual(try userBytes(&child, at: ProcessHarnessLayout.buffer, count: 9), Array("untouched".utf8))
        }
    }

    @Test func getphysShowsTheSameFrameInParentAndChildUntilOneWrites() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine, pager: LazyPager())
            let page = ProcessHarnessLayout.buffer
            try writeUser(&harness.process.mm, [1], at: page)
            var child = UserProcess(mm: try harness.process.mm.fork(), fileSystem: harness.process.fileSystem, console: harness.console)
            func getphys(_ process: inout UserProcess<HostMemory, LazyPager>, _ mode: UInt64) -> Int64 {
                guard case .returns(let value) = process.dispatch(KeOSSyscallNumber.getphys.rawValue, SyscallArguments(page + 0x10, mode)) else { return .min }
                return value
            }
            let shared = harness.call(.getphys, page + 0x10, 0)
            #expect(shared > 0)
            expectEqual(getphys(&child, 0), shared)
            #expect(getphys(&child, 1) & Int64(PageTableEntry.Flags.writable.rawValue) == 0, "read-only while shared")
            expectEqual(getphys(&child, 1), harness.call(.getphys, page, 1))
            #expect(getphys(&child, 1) & Int64(bitPattern: PageTableEntry.Flags.executeDisable.rawValue) != 0, "XD kept")
            try writeUser(&child.mm, [2], at: page)
            #expect(getphys(&child, 0) != shared)
            expectEqual(harness.call(.getphys, page + 0x10, 0), shared)
            #expect(getphys(&child, 1) & Int64(PageTableEntry.Flags.writable.rawValue) != 0)
            expectEqual(harness.call(.getphys, page + 0x1000, 0), -22, "untouched in the parent")
            #expect(getphys(&child, 0) != -22)
        }
    }

    // MARK: - Pagers

    @Test func forkWithTheEagerPagerSharesEveryPageAndTakesOnlyTables() throws {
        try withMachine { machine in
            var parent = try ForkFixture.writtenParent(machine, file: ForkFixture.file())
            machine.expectResident(ForkFixture.pages.count, in: parent)
            let child = try parent.fork()
            expectEqual(child.pageTable.mappedPageCount(), ForkFixture.pages.count)
            #expect(machine.framesInUse == 2 + parent.pageTable.tableCount() + child.pageTable.tableCount() + ForkFixture.pages.count,
                    "two roots, two sets of tables, and the pages once")
        }
    }

    @Test func forkWithTheLazyPagerLeavesAbsentPagesAbsentInBoth() throws {
        try withMachine { machine in
            var parent = try ForkFixture.parent(machine, pager: LazyPager(), file: ForkFixture.file())
            try writeUser(&parent, [7], at: ForkFixture.anonymous + 0x2000)
            _ = try userBytes(&parent, at: ForkFixture.privateFile, count: 1)
            let child = try parent.fork()
            expectEqual(Set(mappedPages(child).keys), [ForkFixture.anonymous + 0x2000, ForkFixture.privateFile])
            expectEqual(mappedPages(parent), mappedPages(child))
            expectEqual(parent.pageTable.mappedPageCount(), 2)
            #expect(machine.framesInUse == 2 + parent.pageTable.tableCount() + child.pageTable.tableCount() + 2)
        }
    }

    @Test func theChildFaultsInAnAbsentPageFromTheBackingOnItsOwn() throws {
        try withMachine { machine in
            let file = ForkFixture.file()
            var parent = try ForkFixture.parent(machine, pager: LazyPager(), file: file)
            _ = try userBytes(&parent, at: ForkFixture.privateFile, count: 1)
            var child = try parent.fork()
            expectEqual(try userBytes(&child, at: ForkFixture.privateFile + 0x1000, count: 0x10), Array(file.bytes[0x1000..<0x1010]))
            expectEqual(try userBytes(&child, at: ForkFixture.text, count: 0x10), Array(file.bytes[0x1000..<0x1010]))
            try writeUser(&child, [5], at: ForkFixture.anonymous)
            let faulted = try child.pageTable.walk(VirtualAddress(ForkFixture.privateFile + 0x1000))
            expectEqual(faulted.permission, [.read, .write, .user], "its own frame, with the region's permission")
            expectEqual(machine.frames.shareCount(of: faulted.frame), 1)
            #expect(throws: PageTableError.notExist) { try parent.pageTable.walk(VirtualAddress(ForkFixture.privateFile + 0x1000)) }
            #expect(throws: PageTableError.notExist) { try parent.pageTable.walk(VirtualAddress(ForkFixture.anonymous)) }
            expectEqual(try userBytes(&parent, at: ForkFixture.anonymous, count: 1), [0])
        }
    }

    // MARK: - Three sharers

    @Test func aForkOfAForkSharesTheFrameThreeWaysAndTheLastWriterKeepsIt() throws {
        try withMachine { machine in
            var parent = try ForkFixture.writtenParent(machine, file: ForkFixture.file())
            var child = try parent.fork()
            var grandchild = try child.fork()
            let page = VirtualAddress(ForkFixture.anonymous)
            let frame = try parent.pageTable.walk(page).frame
            expectEqual(try grandchild.pageTable.walk(page), .leaf(frame: frame, permission: [.read, .user]))
            expectEqual(machine.frames.shareCount(of: frame), 3)
            try writeUser(&grandchild, Array("grand".utf8), at: ForkFixture.anonymous)
            expectEqual(machine.frames.shareCount(of: frame), 2)
            try writeUser(&parent, Array("PAREN".utf8), at: ForkFixture.anonymous)
            expectEqual(machine.frames.shareCount(of: frame), 1)
            let allocations = machine.frames.allocationCount
            try writeUser(&child, Array("child".utf8), at: ForkFixture.anonymous)
            expectEqual(machine.frames.allocationCount, allocations)
            expectEqual(try child.pageTable.walk(page).frame, frame)
            expectEqual(try userBytes(&parent, at: ForkFixture.anonymous, count: 8), Array("PARENt 0".utf8))
            expectEqual(try userBytes(&child, at: ForkFixture.anonymous, count: 8), Array("childt 0".utf8))
            expectEqual(try userBytes(&grandchild, at: ForkFixture.anonymous, count: 8), Array("grandt 0".utf8))
            expectEqual(try userBytes(&grandchild, at: ForkFixture.anonymous + 0x1000, count: 8), Array("parent 1".utf8))
            expectEqual(machine.frames.shareCount(of: try grandchild.pageTable.walk(VirtualAddress(ForkFixture.text)).frame), 3)
        }
    }

    // MARK: - Giving frames back

    @Test func theParentExitingFirstFreesOnlyTheFramesTheChildDoesNotMap() throws {
        try withMachine { machine in
            var parent = try ForkFixture.writtenParent(machine, file: ForkFixture.file())
            var child = try parent.fork()
            try writeUser(&parent, [1], at: ForkFixture.anonymous) // a frame of the parent's own
            try writeUser(&child, [2], at: ForkFixture.anonymous + 0x1000) // and one of the child's
            _ = consume parent
            machine.expectResident(ForkFixture.pages.count, in: child)
            for (_, entry) in mappedPages(child) { expectEqual(machine.frames.shareCount(of: entry.frame), 1) }
            expectEqual(try userBytes(&child, at: ForkFixture.anonymous, count: 8), Array("parent 0".utf8))
            #expect(try userBytes(&child, at: ForkFixture.anonymous + 0x1000, count: 8) == [2] + Array("arent 1".utf8))
        }
    }

    @Test func theChildExitingFirstFreesOnlyTheFramesTheParentDoesNotMap() throws {
        try withMachine { machine in
            var parent = try ForkFixture.writtenParent(machine, file: ForkFixture.file())
            do {
                var child = try parent.fork()
                try writeUser(&child, [2], at: ForkFixture.anonymous + 0x1000)
                try writeUser(&parent, [1], at: ForkFixture.anonymous)
            }
            machine.expectResident(ForkFixture.pages.count, in: parent)
            for (_, entry) in mappedPages(parent) { expectEqual(machine.frames.shareCount(of: entry.frame), 1) }
            expectEqual(try userBytes(&parent, at: ForkFixture.anonymous + 0x1000, count: 8), Array("parent 1".utf8))
            // Read-only leaves left by the fork become writable at the next write, no copy.
            let allocations = machine.frames.allocationCount
            try writeUser(&parent, [3], at: ForkFixture.anonymous + 0x2000)
            expectEqual(machine.frames.allocationCount, allocations)
        }
    }

    @Test func munmapInTheChildDropsOnlyItsShares() throws {
        try withMachine { machine in
            var parent = try ForkFixture.writtenParent(machine, file: ForkFixture.file())
            var child = try parent.fork()
            let frames = ForkFixture.pages.prefix(3).map { try! parent.pageTable.walk(VirtualAddress($0)).frame }
            try child.munmap(VirtualAddress(ForkFixture.anonymous))
            for frame in frames { expectEqual(machine.frames.shareCount(of: frame), 1) }
            expectEqual(try userBytes(&parent, at: ForkFixture.anonymous + 0x2000, count: 8), Array("parent 2".utf8))
            #expect(throws: KernelError.badAddress) { try userBytes(&child, at: ForkFixture.anonymous, count: 1) }
            #expect(machine.framesInUse == 2 + parent.pageTable.tableCount() + child.pageTable.tableCount() + ForkFixture.pages.count)
        }
    }

    // MARK: - Running out of frames

    @Test func runningOutOfFramesAtAnyAllocationOfForkLeavesNothingAndTheParentIntact() throws {
        try withMachine { machine in
            // Pages in two PML4 slots and several PDs and PTs, so the child needs many tables.
            var parent = try ForkFixture.writtenParent(machine, file: ForkFixture.file())
            _ = try parent.mmap(at: VirtualAddress(0x80_0000_0000), length: 0x1000, protection: [.read, .write], backing: .anonymous)
            _ = try parent.mmap(at: VirtualAddress(0x7FFF_FFFF_F000), length: 0x1000, protection: [.read, .write], backing: .anonymous)
            try writeUser(&parent, Array("far".utf8), at: 0x80_0000_0000)
            let entries = mappedPages(parent)
            let bytes = residentBytes(machine, parent)
            let shares = entries.mapValues { machine.frames.shareCount(of: $0.frame) }
            let free = machine.frames.freeCount
            let regions = parent.regionCount
            let tables = parent.pageTable.tableCount()
            var failures = 0
            while true {
                machine.frames.failAllocation(after: failures)
                do throws(KernelError) {
                    let child = try parent.fork()
                    machine.frames.cancelInjectedFailure()
                    expectEqual(mappedPages(child).count, entries.count)
                    break
                } catch {
                    machine.frames.cancelInjectedFailure()
                    expectEqual(error, .noMemory)
                    expectEqual(machine.frames.freeCount, free, "failing after \(failures) frames: nothing of the child remains")
                    expectEqual(mappedPages(parent), entries, "the parent's entries are as they were")
                    expectEqual(residentBytes(machine, parent), bytes)
                    expectEqual(entries.mapValues { machine.frames.shareCount(of: $0.frame) }, shares)
                    expectEqual(parent.regionCount, regions)
                    failures += 1
                }
            }
            #expect(failures == 1 + tables, "one failure for the child's root and one for each of its tables")
        }
    }

    @Test func runningOutOfFramesInACopyOnWriteFaultIsOutOfMemoryAndChangesNothing() throws {
        try withMachine { machine in
            var parent = try ForkFixture.writtenParent(machine, file: ForkFixture.file())
            var child = try parent.fork()
            let page = VirtualAddress(ForkFixture.anonymous)
            let entries = (mappedPages(parent), mappedPages(child))
            let free = machine.frames.freeCount
            machine.frames.failAllocation(after: 0)
            expectEqual(child.handlePageFault(at: page, errorCode: PageFaultErrorCode(rawValue: 0x7)), .outOfMemory)
            machine.frames.failAllocation(after: 0)
            #expect(throws: KernelError.noMemory) { try writeUser(&parent, [1], at: ForkFixture.anonymous) }
            machine.frames.cancelInjectedFailure()
            expectEqual(machine.frames.freeCount, free)
            expectEqual(mappedPages(parent), entries.0)
            expectEqual(mappedPages(child), entries.1)
            expectEqual(machine.frames.shareCount(of: try child.pageTable.walk(page).frame), 2)
            expectEqual(try userBytes(&child, at: ForkFixture.anonymous, count: 8), Array("parent 0".utf8))
        }
    }
}
