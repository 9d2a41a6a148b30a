import ApusCore
import Testing

/// Linux's memory calls act on ranges (RegionRanges.swift): a partial `munmap` splits a
/// region, `mprotect` changes some pages of one, and `mmap` at address 0 takes a range the
/// kernel picks. Every refused call changes nothing.
@Suite("Linux memory ranges")
struct LinuxRegionRangeTests {
    static let rw: Permission = [.read, .write]
    static let base: UInt64 = 0x1000_0000

    static func regions(_ mm: borrowing MmStruct<HostMemory, EagerPager>) -> [(UInt64, UInt64, Permission)] {
        var found: [(UInt64, UInt64, Permission)] = []
        mm.forEachRegion { found.append(($0.range.start.raw, $0.range.end.raw, $0.permission.subtracting(.user))) }
        return found
    }

    @Test func munmapOfTheMiddleLeavesTwoRegionsAndFreesItsPages() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(Self.base), length: 0x4000, protection: Self.rw, backing: .anonymous)
            let used = machine.frames.usedCount
            try mm.unmapRange(VirtualAddress(Self.base + 0x1000), length: 0x2000)
            let observed1 = Self.regions(mm).map { [$0.0, $0.1] } == [[Self.base, Self.base + 0x1000], [Self.base + 0x3000, Self.base + 0x4000]]
            #expect(observed1)
            #expect(machine.frames.usedCount == used - 2)
            let observed2 = mm.accessOK(VirtualAddress(Self.base + 0x1000), length: 1, write: false)
            #expect(!observed2)
            let observed3 = mm.accessOK(VirtualAddress(Self.base + 0x3000), length: 1, write: true)
            #expect(observed3)
        }
    }

    @Test func munmapAcrossSeveralRegionsAndHolesIsNoError() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(Self.base), length: 0x2000, protection: Self.rw, backing: .anonymous)
            _ = try mm.mmap(at: VirtualAddress(Self.base + 0x4000), length: 0x2000, protection: .read, backing: .anonymous)
            try mm.unmapRange(VirtualAddress(Self.base + 0x1000), length: 0x4000)
            let observed4 = Self.regions(mm).map { [$0.0, $0.1] } == [[Self.base, Self.base + 0x1000], [Self.base + 0x5000, Self.base + 0x6000]]
            #expect(observed4)
            try mm.unmapRange(VirtualAddress(0x7000_0000), length: 0x1000)
        }
    }

    @Test func munmapRefusesWhatLinuxRefuses() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(Self.base), length: 0x2000, protection: Self.rw, backing: .anonymous)
            for (address, length) in [(Self.base + 1, UInt64(0x1000)), (Self.base, 0), (0x7FFF_FFFF_F000, 0x2000), (UInt64.max & ~0xFFF, 0x1000)] {
                #expect(throws: KernelError.invalidArgument) { try mm.unmapRange(VirtualAddress(address), length: length) }
            }
            let observed5 = Self.regions(mm).count == 1
            #expect(observed5)
        }
    }

    @Test func mprotectOfSomePagesSplitsAndChangesThePresentOnes() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(Self.base), length: 0x3000, protection: Self.rw, backing: .anonymous)
            try mm.protect(VirtualAddress(Self.base + 0x1000), length: 0x1000, protection: .read)
            let observed6 = Self.regions(mm).map { $0.2 } == [Self.rw, .read, Self.rw]
            #expect(observed6)
            let observed7 = try mm.pageTable.walk(VirtualAddress(Self.base + 0x1000)).permission.subtracting(.user) == .read
            #expect(observed7)
            let observed8 = mm.accessOK(VirtualAddress(Self.base + 0x1000), length: 1, write: true)
            #expect(!observed8)
            let observed9 = mm.resolveAccess(at: VirtualAddress(Self.base + 0x1000), access: .write) == .segmentationFault(.writeToReadOnly)
            #expect(observed9)
            // Writable again: the first write makes the page writable (its frame is not shared).
            try mm.protect(VirtualAddress(Self.base + 0x1000), length: 0x1000, protection: [.read, .write, .executable])
            let observed10 = mm.resolveAccess(at: VirtualAddress(Self.base + 0x1000), access: .write) == .resolved
            #expect(observed10)
            let observed11 = mm.resolveAccess(at: VirtualAddress(Self.base + 0x1000), access: .execute) == .resolved
            #expect(observed11)
        }
    }

    @Test func mprotectOfAnUnmappedPageIsNoMemoryAndChangesNothing() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(Self.base), length: 0x1000, protection: Self.rw, backing: .anonymous)
            #expect(throws: KernelError.noMemory) { try mm.protect(VirtualAddress(Self.base), length: 0x2000, protection: .read) }
            #expect(throws: KernelError.invalidArgument) { try mm.protect(VirtualAddress(Self.base + 8), length: 0x1000, protection: .read) }
            #expect(throws: KernelError.invalidArgument) { try mm.protect(VirtualAddress(Self.base), length: 0x1000, protection: Permission(rawValue: 8)) }
            let observed12 = Self.regions(mm).map { $0.2 } == [Self.rw]
            #expect(observed12)
            try mm.protect(VirtualAddress(Self.base), length: 0, protection: .read)
            let observed13 = Self.regions(mm).map { $0.2 } == [Self.rw]
            #expect(observed13)
        }
    }

    @Test func aSplitFileMappingKeepsEachPagesBytes() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            let file = TestFile((0..<0x3000).map { UInt8(truncatingIfNeeded: $0 >> 12) &+ 1 })
            try mm.addRegion(VirtualRange(Self.base, pages: 3), permission: .read, backing: .file(FileBacking(file: file, offset: 0)))
            try mm.unmapRange(VirtualAddress(Self.base), length: 0x1000)
            try mm.protect(VirtualAddress(Self.base + 0x2000), length: 0x1000, protection: Self.rw)
            var bytes = [UInt8](repeating: 0, count: 2)
            try bytes.withUnsafeMutableBytes { try mm.copyIn(from: VirtualAddress(Self.base + 0x1FFF), into: $0) }
            expectEqual(bytes, [2, 3])
        }
    }

    @Test func pickedRangesAreFreeAndBelowTheTop() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            let first = try mm.pickRange(length: 0x1800)
            expectEqual(first.raw, MmStruct<HostMemory, EagerPager>.pickedMappingsTop.raw - 0x2000)
            _ = try mm.mmap(at: first, length: 0x1800, protection: Self.rw, backing: .anonymous)
            let second = try mm.pickRange(length: 0x1000)
            #expect(second.raw == first.raw - 0x1000)
            #expect(throws: KernelError.noMemory) { try mm.pickRange(length: 0) }
            #expect(throws: KernelError.noMemory) { try mm.pickRange(length: 1 << 62) }
        }
    }
}
