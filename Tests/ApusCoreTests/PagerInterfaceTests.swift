import ApusCore
import Testing

/// The half of the pager interface that the eager pager never runs, through the
/// ``LazyPager``: faults resolved by the pager, frames running out while a fault is served,
/// frames shared between address spaces and copied at the first write (by ``MmStruct``,
/// whatever the pager), and leaves rewritten in place.
@Suite("Lazy pager, copy-on-write and running out of frames")
struct PagerInterfaceTests {
    static let base: UInt64 = 0x1000_0000

    @Test func aFirstTouchIsResolvedByThePagerAndMapsTheRegionsPermission() throws {
        try withMachine { machine in
            var mm = try machine.lazyAddressSpace()
            _ = try mm.mmap(at: VirtualAddress(Self.base), length: 0x3000, protection: [.read, .write], backing: .anonymous)
            expectEqual(machine.framesInUse, 1, "only the root table: nothing is mapped up front")
            expectEqual(mm.handlePageFault(at: VirtualAddress(Self.base + 0x1234), errorCode: PageFaultErrorCode(rawValue: 0x6)), .resolved)
            let entry = try mm.pageTable.walk(VirtualAddress(Self.base + 0x1000))
            expectEqual(entry.permission, [.read, .write, .user])
            #expect(machine.framesInUse == 1 + 3 + 1, "root, three tables and the page")
        }
    }

    @Test func aCopyCrossingFromAPresentIntoAnAbsentPageFaultsTheSecondIn() throws {
        try withMachine { machine in
            var mm = try machine.lazyAddressSpace()
            let file = TestFile(patternedCount: 0x2000)
            _ = try mm.mmap(at: VirtualAddress(Self.base), length: 0x2000, protection: .read, backing: .file(FileBacking(file: file, offset: 0)))
            _ = try userBytes(&mm, at: Self.base, count: 1) // the first page is present now
            #expect(throws: PageTableError.notExist) { try mm.pageTable.walk(VirtualAddress(Self.base + 0x1000)) }
            expectEqual(try userBytes(&mm, at: Self.base + 0xFF0, count: 0x20), Array(file.bytes[0xFF0..<0x1010]))
            expectEqual(try mm.pageTable.walk(VirtualAddress(Self.base + 0x1000)).permission, [.read, .user])
        }
    }

    @Test func theLastPageOfAFileIsItsBytesThenZeros() throws {
        try withMachine { machine in
            var mm = try machine.lazyAddressSpace()
            let file = TestFile(patternedCount: 0x1010)
            _ = try mm.mmap(at: VirtualAddress(Self.base), length: 0x3000, protection: .read, backing: .file(FileBacking(file: file, offset: 0)))
            expectEqual(try userBytes(&mm, at: Self.base + 0x1000, count: 0x10), Array(file.bytes[0x1000..<0x1010]))
            #expect(try userBytes(&mm, at: Self.base + 0x1010, count: 0x1FF0).allSatisfy { $0 == 0 })
        }
    }

    @Test func runningOutOfFramesInTheMiddleOfACopyChangesNothingAndLeaksNothing() throws {
        try withMachine { machine in
            var mm = try machine.lazyAddressSpace()
            _ = try mm.mmap(at: VirtualAddress(Self.base), length: 0x2000, protection: [.read, .write], backing: .anonymous)
            try writeUser(&mm, [1], at: Self.base) // first page and its tables present
            let inUse = machine.framesInUse
            machine.frames.failAllocation(after: 0)
            #expect(throws: KernelError.noMemory) { try writeUser(&mm, Array(repeating: 9, count: 0x20), at: Self.base + 0xFF0) }
            machine.frames.cancelInjectedFailure()
            expectEqual(machine.framesInUse, inUse, "no frame taken")
            #expect(try machine.bytes(at: Self.base + 0xFF0, count: 0x10, in: mm.pageTable).allSatisfy { $0 == 0 },
                    "the present page is untouched: the copy failed before its first byte")
            expectEqual(mm.handlePageFault(at: VirtualAddress(Self.base + 0x1000), errorCode: PageFaultErrorCode(rawValue: 0x6)), .resolved)
        }
    }

    @Test func aUserFaultWithNoFrameLeftIsOutOfMemory() throws {
        try withMachine { machine in
            var mm = try machine.lazyAddressSpace()
            _ = try mm.mmap(at: VirtualAddress(Self.base), length: 0x1000, protection: [.read, .write], backing: .anonymous)
            machine.frames.failAllocation(after: 0)
            expectEqual(mm.handlePageFault(at: VirtualAddress(Self.base), errorCode: PageFaultErrorCode(rawValue: 0x6)), .outOfMemory)
            machine.frames.failAllocation(after: 0)
            #expect(throws: KernelError.noMemory) { try mm.userPage(at: VirtualAddress(Self.base), for: .read) }
            machine.frames.cancelInjectedFailure()
            #expect(throws: KernelError.badAddress) { try mm.userPage(at: VirtualAddress(Self.base + 0x1000), for: .read) }
        }
    }

    @Test func aSharedFrameIsCopiedAtTheFirstWriteAndTheOtherSpaceKeepsItsBytes() throws {
        try withMachine { machine in
            var parent = try machine.lazyAddressSpace()
            var child = try machine.lazyAddressSpace()
            _ = try parent.mmap(at: VirtualAddress(Self.base), length: 0x1000, protection: [.read, .write], backing: .anonymous)
            _ = try child.mmap(at: VirtualAddress(Self.base), length: 0x1000, protection: [.read, .write], backing: .anonymous)
            try writeUser(&parent, Array("before".utf8), at: Self.base)
            try shareCopyOnWrite(Self.base, from: &parent, into: &child)
            let shared = try parent.pageTable.walk(VirtualAddress(Self.base))
            expectEqual(machine.frames.shareCount(of: shared.frame), 2)
            expectEqual(shared.permission, [.read, .user], "read-only while shared, not executable")
            #expect(shared.flags.contains(.executeDisable))

            try writeUser(&child, Array("after!".utf8), at: Self.base) // a kernel write copies too
            let copied = try child.pageTable.walk(VirtualAddress(Self.base))
            #expect(copied.frame != shared.frame)
            expectEqual(copied.permission, [.read, .write, .user])
            expectEqual(machine.frames.shareCount(of: shared.frame), 1)
            expectEqual(try userBytes(&parent, at: Self.base, count: 6), Array("before".utf8))
            expectEqual(try userBytes(&child, at: Self.base, count: 6), Array("after!".utf8))

            // The parent is now the frame's only owner: its write keeps the frame, no copy.
            let framesBefore = machine.framesInUse
            expectEqual(parent.handlePageFault(at: VirtualAddress(Self.base), errorCode: PageFaultErrorCode(rawValue: 0x7)), .resolved)
            expectEqual(try parent.pageTable.walk(VirtualAddress(Self.base)), .leaf(frame: shared.frame, permission: [.read, .write, .user]))
            expectEqual(machine.framesInUse, framesBefore)
        }
    }

    @Test func aCopyOnWriteFaultWithNoFrameLeftChangesNothing() throws {
        try withMachine { machine in
            var parent = try machine.lazyAddressSpace()
            var child = try machine.lazyAddressSpace()
            _ = try parent.mmap(at: VirtualAddress(Self.base), length: 0x1000, protection: [.read, .write], backing: .anonymous)
            _ = try child.mmap(at: VirtualAddress(Self.base), length: 0x1000, protection: [.read, .write], backing: .anonymous)
            try writeUser(&parent, [42], at: Self.base)
            try shareCopyOnWrite(Self.base, from: &parent, into: &child)
            let entry = try child.pageTable.walk(VirtualAddress(Self.base))
            machine.frames.failAllocation(after: 0)
            expectEqual(child.handlePageFault(at: VirtualAddress(Self.base), errorCode: PageFaultErrorCode(rawValue: 0x7)), .outOfMemory)
            machine.frames.failAllocation(after: 0)
            #expect(throws: KernelError.noMemory) { try writeUser(&child, [1], at: Self.base) }
            machine.frames.cancelInjectedFailure()
            expectEqual(try child.pageTable.walk(VirtualAddress(Self.base)), entry)
            expectEqual(machine.frames.shareCount(of: entry.frame), 2)
            expectEqual(try userBytes(&child, at: Self.base, count: 1), [42])
        }
    }

    @Test func updateLeafRewritesTheEntryAndDropsItsTranslation() throws {
        try withMachine { machine in
            var table = try machine.pageTable()
            let frame = try #require(machine.frames.allocate())
            try table.map(VirtualAddress(Self.base), to: frame, permission: [.read, .write])
            let before = machine.memory.invalidations
            try table.updateLeaf(at: VirtualAddress(Self.base + 0x10)) { .leaf(frame: $0.frame, permission: .read) }
            expectEqual(try table.walk(VirtualAddress(Self.base)), .leaf(frame: frame, permission: .read))
            #expect(machine.memory.invalidations == before + 1)
            #expect(throws: PageTableError.notExist) { try table.updateLeaf(at: VirtualAddress(Self.base + 0x1000)) { $0 } }
        }
    }

    @Test func mmapRecordsTheRegionAndAllocatesNothingNotEvenATable() throws {
        try withMachine { machine in
            var mm = try machine.lazyAddressSpace()
            let slotOne: UInt64 = 0x80_0000_0000
            _ = try mm.mmap(at: VirtualAddress(slotOne), length: 64 << 20, protection: [.read, .write], backing: .anonymous)
            expectEqual(machine.framesInUse, 1, "the root table only")
            let rootEntries = machine.memory.pointer(to: mm.pageTable.root).assumingMemoryBound(to: UInt64.self)
            expectEqual(rootEntries[1], 0, "the top-level entry of the fresh slot stays zero")
            let allowed = mm.accessOK(VirtualAddress(slotOne), length: 64 << 20, write: true)
            #expect(allowed, "accessOK answers from the region alone")
        }
    }

    @Test func aRegionFarLargerThanMemoryCostsOnlyTheTouchedPagesAndGivesThemBack() throws {
        try withMachine { machine in // 4 MiB of RAM
            var mm = try machine.lazyAddressSpace()
            _ = try mm.mmap(at: VirtualAddress(Self.base), length: 1 << 30, protection: [.read, .write], backing: .anonymous)
            for offset in stride(from: UInt64(0), to: 1 << 30, by: 128 << 20) {
                try writeUser(&mm, [UInt8(truncatingIfNeeded: offset >> 20)], at: Self.base + offset)
            }
            machine.expectResident(8, in: mm)
            expectEqual(try userBytes(&mm, at: Self.base + (384 << 20), count: 1), [128])
            try mm.munmap(VirtualAddress(Self.base))
            machine.expectResident(0, in: mm)
            expectEqual(mm.pageTable.tableCount(), 0)
        }
    }

    @Test func getphysAnswersOnlyOnceAPageWasTouched() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine, pager: LazyPager())
            let page = ProcessHarnessLayout.buffer + 0x1000
            expectEqual(harness.call(.getphys, page, 0), -22, "no entry before the first touch")
            expectEqual(harness.call(.getphys, page, 1), -22)
            try writeUser(&harness.process.mm, [1], at: page)
            let entry = try harness.process.mm.pageTable.walk(VirtualAddress(page))
            expectEqual(harness.call(.getphys, page + 0x10, 0), Int64(entry.frame.raw + 0x10))
            expectEqual(harness.call(.getphys, page, 1), Int64(bitPattern: entry.flags.rawValue))
        }
    }

    @Test func aKernelReadIntoUntouchedPagesFaultsThemIn() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine, pager: LazyPager())
            let fd = try harness.open() // copies the path into the second page, so read into the first
            #expect(throws: PageTableError.notExist) { try harness.process.mm.pageTable.walk(VirtualAddress(ProcessHarnessLayout.buffer)) }
            expectEqual(harness.read(fd, count: 13, to: ProcessHarnessLayout.buffer + 0xFF8), 13)
            expectEqual(try harness.bytes(count: 13, at: ProcessHarnessLayout.buffer + 0xFF8), "Hello, file!\n")
        }
    }

    @Test func theLazyPagerNeverUsesMoreFramesThanTheEager() throws {
        try withMachine { machine in
            var eager = try machine.addressSpace()
            _ = try eager.mmap(at: VirtualAddress(Self.base), length: 0x10000, protection: [.read, .write], backing: .anonymous)
            let eagerFrames = machine.framesInUse
            var lazy = try machine.lazyAddressSpace()
            _ = try lazy.mmap(at: VirtualAddress(Self.base), length: 0x10000, protection: [.read, .write], backing: .anonymous)
            for page in stride(from: Self.base, to: Self.base + 0x10000, by: 0x1000) { try writeUser(&lazy, [7], at: page) }
            #expect(machine.framesInUse - eagerFrames == eagerFrames, "touching every page costs what eager paid up front")
            expectEqual(lazy.pageTable.mappedPageCount(), 16)
        }
    }
}
