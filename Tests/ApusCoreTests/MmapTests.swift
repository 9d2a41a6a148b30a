import ApusCore
import Testing

/// `mmap`, one rule of ABI.md §4 per test. Every refused call is checked to change nothing.
@Suite("mmap")
struct MmapTests {
    static let rw: Permission = [.read, .write]

    /// Asserts that `mm` holds no region and no page: the state a refused call must leave.
    static func expectUntouched(_ mm: borrowing MmStruct<HostMemory, EagerPager>, _ machine: TestMachine, sourceLocation: SourceLocation = #_sourceLocation) {
        expectEqual(mm.regionCount, 0, sourceLocation: sourceLocation)
        expectEqual(mm.pageTable.tableCount(), 0, sourceLocation: sourceLocation)
        expectEqual(machine.frames.usedCount, 1, "only the root table", sourceLocation: sourceLocation)
    }

    static func expectRefused(_ address: UInt64, length: UInt64, protection: Permission = rw, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            #expect(throws: KernelError.invalidArgument, sourceLocation: sourceLocation) {
                try mm.mmap(at: VirtualAddress(address), length: length, protection: protection, backing: .anonymous)
            }
            expectUntouched(mm, machine, sourceLocation: sourceLocation)
        }
    }

    @Test func anonymousMappingReturnsItsAddressAndReadsAsZero() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            let address = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x3000, protection: Self.rw, backing: .anonymous)
            expectEqual(address, VirtualAddress(0x1000_0000))
            #expect(try userBytes(&mm, at: 0x1000_0000, count: 0x3000).allSatisfy { $0 == 0 })
            expectEqual(mm.region(containing: VirtualAddress(0x1000_2FFF))?.range, VirtualRange(0x1000_0000, pages: 3))
        }
    }

    @Test func eagerMappingAllocatesEveryPageAndItsTablesAtOnce() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x10000, protection: Self.rw, backing: .anonymous)
            #expect(machine.frames.usedCount == 1 + 3 + 16)
            for page in VirtualRange(0x1000_0000, pages: 16).pages {
                #expect(try mm.pageTable.walk(VirtualAddress(page)).isPresent)
            }
        }
    }

    @Test func lengthIsRoundedUpToWholePages() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x2000_0000), length: 1, protection: Self.rw, backing: .anonymous)
            _ = try mm.mmap(at: VirtualAddress(0x3000_0000), length: 0x1001, protection: Self.rw, backing: .anonymous)
            expectEqual(mm.region(startingAt: VirtualAddress(0x2000_0000))?.range.pageCount, 1)
            expectEqual(mm.region(startingAt: VirtualAddress(0x3000_0000))?.range.pageCount, 2)
        }
    }

    @Test func mappingsAlwaysGetUserAndLeavesFollowTheProtection() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x1000), length: 0x1000, protection: .read, backing: .anonymous)
            _ = try mm.mmap(at: VirtualAddress(0x2000), length: 0x1000, protection: [.read, .write], backing: .anonymous)
            _ = try mm.mmap(at: VirtualAddress(0x3000), length: 0x1000, protection: [.read, .write, .executable], backing: .anonymous)
            let present: UInt64 = 1, writable: UInt64 = 2, user: UInt64 = 4, noExecute: UInt64 = 1 << 63
            #expect(try mm.pageTable.walk(VirtualAddress(0x1000)).raw & ~PageTableEntry.frameMask == present | user | noExecute)
            #expect(try mm.pageTable.walk(VirtualAddress(0x2000)).raw & ~PageTableEntry.frameMask == present | writable | user | noExecute)
            #expect(try mm.pageTable.walk(VirtualAddress(0x3000)).raw & ~PageTableEntry.frameMask == present | writable | user)
            expectEqual(mm.region(containing: VirtualAddress(0x1000))?.permission, [.read, .user])
        }
    }

    @Test func firstUserPageCanBeMapped() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            expectEqual(try mm.mmap(at: VirtualAddress(0x1000), length: 0x1000, protection: Self.rw, backing: .anonymous), VirtualAddress(0x1000))
        }
    }

    @Test func lastUserPageCanBeMapped() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x7FFF_FFFF_F000), length: 0x1000, protection: Self.rw, backing: .anonymous)
            expectEqual(mm.accessOK(VirtualAddress(0x7FFF_FFFF_FFFF), length: 1, write: true), true)
        }
    }

    @Test func pml4Slot255CanBeMapped() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x7F80_0000_0000), length: 0x2000, protection: Self.rw, backing: .anonymous)
            expectEqual(mm.pageTable.tableCount(), 3)
        }
    }

    @Test func mappingJustBelowAndJustAboveTheHeapWindowWorks() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x4FFF_FFFF_F000), length: 0x1000, protection: Self.rw, backing: .anonymous)
            _ = try mm.mmap(at: VirtualAddress(0x5080_0000_0000), length: 0x1000, protection: Self.rw, backing: .anonymous)
            expectEqual(mm.regionCount, 2)
        }
    }

    @Test func nullAddressIsRefusedNeverChosenForTheCaller() throws {
        try Self.expectRefused(0, length: 0x1000)
    }

    @Test func unalignedAddressIsRefused() throws {
        try Self.expectRefused(0x1000_0010, length: 0x1000)
    }

    @Test func nonCanonicalAddressIsRefused() throws {
        try Self.expectRefused(0x0000_8000_0000_0000, length: 0x1000)
        try Self.expectRefused(0x1234_5678_0000_0000, length: 0x1000)
    }

    @Test func kernelHalfIsRefused() throws {
        try Self.expectRefused(0xFFFF_8000_0000_0000, length: 0x1000)
        try Self.expectRefused(0xFFFF_FFFF_FFFF_F000, length: 0x1000)
    }

    @Test func heapWindowIsRefused() throws {
        try Self.expectRefused(0x5000_0000_0000, length: 0x1000)
        try Self.expectRefused(0x507F_FFFF_F000, length: 0x1000)
        try Self.expectRefused(0x4FFF_FFFF_F000, length: 0x2000)
    }

    @Test func rangeRunningPastTheUserHalfIsRefused() throws {
        try Self.expectRefused(0x7FFF_FFFF_F000, length: 0x1001)
        try Self.expectRefused(0x7FFF_FFFF_0000, length: 0x1_0000_0000)
    }

    @Test func rangeWrappingPast2To64IsRefused() throws {
        try Self.expectRefused(0x1000, length: UInt64.max)
        try Self.expectRefused(0x1000, length: UInt64.max - 0xFFF)
        try Self.expectRefused(0x7FFF_FFFF_F000, length: 0xFFFF_8000_0000_1000)
    }

    @Test func zeroLengthIsRefused() throws {
        try Self.expectRefused(0x1000_0000, length: 0)
    }

    @Test(arguments: [Permission(), [.write], [.executable], [.write, .executable]])
    func protectionWithoutReadIsRefused(protection: Permission) throws {
        try Self.expectRefused(0x1000_0000, length: 0x1000, protection: protection)
    }

    @Test(arguments: [Permission([.read, .user]), Permission(rawValue: 0x11), Permission(rawValue: 1 << 40)])
    func protectionWithUnknownBitsIsRefused(protection: Permission) throws {
        try Self.expectRefused(0x1000_0000, length: 0x1000, protection: protection)
    }

    @Test(arguments: [
        (0x1000_0000 as UInt64, 0x4000 as UInt64), // the same range
        (0x0FFF_F000, 0x2000), // runs into its first page
        (0x1000_3000, 0x2000), // starts on its last page
        (0x0FFF_0000, 0x10_0000), // swallows it
        (0x1000_1000, 0x1000), // inside it
    ])
    func overlapWithAnEarlierMappingIsRefused(address: UInt64, length: UInt64) throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x4000, protection: Self.rw, backing: .anonymous)
            try writeUser(&mm, [1, 2, 3], at: 0x1000_1000)
            let used = machine.frames.usedCount
            #expect(throws: KernelError.invalidArgument) {
                try mm.mmap(at: VirtualAddress(address), length: length, protection: Self.rw, backing: .anonymous)
            }
            expectEqual(mm.regionCount, 1)
            expectEqual(machine.frames.usedCount, used)
            expectEqual(try userBytes(&mm, at: 0x1000_1000, count: 3), [1, 2, 3], "the earlier mapping keeps its bytes")
        }
    }

    @Test func adjacentMappingsDoNotOverlap() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x4000, protection: Self.rw, backing: .anonymous)
            _ = try mm.mmap(at: VirtualAddress(0x0FFF_F000), length: 0x1000, protection: Self.rw, backing: .anonymous)
            _ = try mm.mmap(at: VirtualAddress(0x1000_4000), length: 0x1000, protection: Self.rw, backing: .anonymous)
            expectEqual(mm.regionCount, 3)
        }
    }

    @Test func programSegmentsAndTheStackAreOccupied() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            try mm.addRegion(VirtualRange(0x40_1000, pages: 2), permission: [.read, .executable], backing: .anonymous)
            try mm.addRegion(VirtualRange(start: VirtualAddress(0x4747_0000), end: VirtualAddress(0x4748_0000)), permission: Self.rw, backing: .anonymous)
            #expect(throws: KernelError.invalidArgument) { try mm.mmap(at: VirtualAddress(0x40_2000), length: 1, protection: .read, backing: .anonymous) }
            #expect(throws: KernelError.invalidArgument) { try mm.mmap(at: VirtualAddress(0x4747_F000), length: 1, protection: .read, backing: .anonymous) }
            expectEqual(mm.regionCount, 2)
        }
    }

    @Test func runningOutOfFramesHalfWayLeavesNothingBehind() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            // Eight pages across a 2 MiB line: 8 frames and 4 tables (PDPT, PD, two PTs).
            let allocations = 12
            for failing in 0..<allocations {
                machine.frames.failAllocation(after: failing)
                #expect(throws: KernelError.noMemory) {
                    try mm.mmap(at: VirtualAddress(0x1FC000), length: 0x8000, protection: Self.rw, backing: .anonymous)
                }
                Self.expectUntouched(mm, machine)
            }
            machine.frames.failAllocation(after: allocations)
            _ = try mm.mmap(at: VirtualAddress(0x1FC000), length: 0x8000, protection: Self.rw, backing: .anonymous)
            machine.frames.cancelInjectedFailure()
        }
    }

    @Test func outOfMemoryHalfWayKeepsOtherMappingsIntact() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x1000), length: 0x1000, protection: Self.rw, backing: .anonymous)
            try writeUser(&mm, [42], at: 0x1000)
            let used = machine.frames.usedCount
            machine.frames.failAllocation(after: 3)
            #expect(throws: KernelError.noMemory) {
                try mm.mmap(at: VirtualAddress(0x2000), length: 0x8000, protection: Self.rw, backing: .anonymous)
            }
            expectEqual(machine.frames.usedCount, used)
            expectEqual(mm.regionCount, 1)
            expectEqual(try userBytes(&mm, at: 0x1000, count: 1), [42])
        }
    }

    // MARK: File mappings

    @Test func fileMappingHoldsTheFileBytesFromTheOffsetAndZerosPastTheEnd() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            let file = TestFile(patternedCount: 0x2800)
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x4000, protection: .read,
                            backing: .file(FileBacking(file: file, offset: 0x1000)))
            let bytes = try userBytes(&mm, at: 0x1000_0000, count: 0x4000)
            expectEqual(Array(bytes[0..<0x1800]), Array(file.bytes[0x1000..<0x2800]))
            #expect(bytes[0x1800...].allSatisfy { $0 == 0 }, "the tail of the last file page and later pages read as zero")
        }
    }

    @Test func fileMappingPastTheEndOfTheFileReadsAsZero() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            let file = TestFile(patternedCount: 100)
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x1000, protection: .read,
                            backing: .file(FileBacking(file: file, offset: 0x3000)))
            #expect(try userBytes(&mm, at: 0x1000_0000, count: 0x1000).allSatisfy { $0 == 0 })
        }
    }

    @Test func fileBackingLengthHidesTheBytesAfterIt() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            let file = TestFile(patternedCount: 0x3000)
            try mm.addRegion(VirtualRange(0x40_0000, pages: 3), permission: Self.rw,
                             backing: .file(FileBacking(file: file, offset: 0x100, length: 0x1234)))
            let bytes = try userBytes(&mm, at: 0x40_0000, count: 0x3000)
            expectEqual(Array(bytes[0..<0x1234]), Array(file.bytes[0x100..<0x1334]))
            #expect(bytes[0x1234...].allSatisfy { $0 == 0 })
        }
    }

    @Test func writesToAFileMappingArePrivate() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            let file = TestFile(patternedCount: 0x1000)
            let original = file.bytes
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x1000, protection: Self.rw,
                            backing: .file(FileBacking(file: file, offset: 0)))
            try writeUser(&mm, [0xEE, 0xEE, 0xEE], at: 0x1000_0010)
            expectEqual(file.bytes, original)
            expectEqual(try userBytes(&mm, at: 0x1000_0010, count: 3), [0xEE, 0xEE, 0xEE])
        }
    }

    @Test func fileMappingOutlivesTheDescriptor() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            var files = TestFileTable(files: [3: TestFile(patternedCount: 0x1000)])
            let expected = files.files[3]!.bytes
            expectEqual(KeOSSyscalls.mmap(SyscallArguments(0x1000_0000, 0x1000, 1, 3, 0), mm: &mm, files: files), 0x1000_0000)
            files.files[3] = nil // close(3)
            expectEqual(try userBytes(&mm, at: 0x1000_0000, count: 0x1000), expected)
        }
    }
}

@Suite("mmap: the region limit")
struct RegionLimitTests {
    @Test func aProcessHasAtMostRegionLimitRegions() throws {
        try withMachine(megabytes: 16) { machine in
            var mm = try MmStruct(frames: machine.frames, pager: LazyPager())
            for index in 0..<MmStruct<HostMemory, LazyPager>.regionLimit {
                try mm.addRegion(VirtualRange(0x1_0000_0000 + UInt64(index) * 0x2000, pages: 1), permission: .read, backing: .anonymous)
            }
            #expect(throws: KernelError.noMemory) {
                try mm.mmap(at: VirtualAddress(0x10_0000), length: 0x1000, protection: .read, backing: .anonymous)
            }
            try mm.munmap(VirtualAddress(0x1_0000_0000))
            expectEqual(try mm.mmap(at: VirtualAddress(0x10_0000), length: 0x1000, protection: .read, backing: .anonymous), VirtualAddress(0x10_0000))
        }
    }
}
