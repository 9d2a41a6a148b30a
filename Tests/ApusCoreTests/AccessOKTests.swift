import ApusCore
import Testing

/// `accessOK(range, isWrite)` (ABI.md §4): true iff every page the range touches is in a
/// mapping that allows reading, and writing too when asked.
@Suite("accessOK")
struct AccessOKTests {
    /// An address space with a read-write mapping at 0x1000_0000 (2 pages), a read-only one
    /// right after it (1 page), a gap of one page, and a read-write one after the gap.
    static func layout(_ machine: TestMachine) throws -> MmStruct<HostMemory, EagerPager> {
        var mm = try machine.addressSpace()
        _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x2000, protection: [.read, .write], backing: .anonymous)
        _ = try mm.mmap(at: VirtualAddress(0x1000_2000), length: 0x1000, protection: .read, backing: .anonymous)
        _ = try mm.mmap(at: VirtualAddress(0x1000_4000), length: 0x1000, protection: [.read, .write], backing: .anonymous)
        return mm
    }

    static func check(_ address: UInt64, _ length: UInt64, write: Bool, expected: Bool, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try withMachine { machine in
            let mm = try layout(machine)
            let used = machine.frames.usedCount
            expectEqual(mm.accessOK(VirtualAddress(address), length: length, write: write), expected, sourceLocation: sourceLocation)
            expectEqual(machine.frames.usedCount, used, "accessOK never faults a page in", sourceLocation: sourceLocation)
        }
    }

    @Test func insideAWritableMappingBothAccessesAreAllowed() throws {
        try Self.check(0x1000_0100, 0x100, write: false, expected: true)
        try Self.check(0x1000_0100, 0x100, write: true, expected: true)
    }

    @Test func writeToAReadOnlyMappingIsRefusedButReadIsAllowed() throws {
        try Self.check(0x1000_2000, 0x10, write: true, expected: false)
        try Self.check(0x1000_2000, 0x10, write: false, expected: true)
    }

    @Test func emptyRangeStillChecksItsStartPage() throws {
        try Self.check(0x1000_0000, 0, write: true, expected: true)
        try Self.check(0x1000_3000, 0, write: false, expected: false)
        try Self.check(0x1000_2FFF, 0, write: true, expected: false)
        try Self.check(0, 0, write: false, expected: false)
    }

    @Test func rangeSpanningTwoMappingsIsAllowedWhenBothAllowIt() throws {
        try Self.check(0x1000_1F00, 0x200, write: false, expected: true)
        try Self.check(0x1000_1F00, 0x200, write: true, expected: false)
        try Self.check(0x1000_0000, 0x3000, write: false, expected: true)
    }

    @Test func rangeCrossingAGapIsRefused() throws {
        try Self.check(0x1000_2F00, 0x200, write: false, expected: false)
        try Self.check(0x1000_0000, 0x5000, write: false, expected: false)
    }

    @Test func rangeEndingExactlyAtTheMappingsEndIsAllowedOneByteMoreIsNot() throws {
        try Self.check(0x1000_4000, 0x1000, write: true, expected: true)
        try Self.check(0x1000_4000, 0x1001, write: true, expected: false)
        try Self.check(0x1000_4FFF, 1, write: true, expected: true)
        try Self.check(0x1000_4FFF, 2, write: true, expected: false)
    }

    @Test func rangeWrappingPast2To64IsRefused() throws {
        try Self.check(0x1000_0000, UInt64.max, write: false, expected: false)
        try Self.check(0x1000_0000, UInt64.max - 0x1000_0000 + 1, write: false, expected: false)
    }

    @Test func nullKernelNonCanonicalAndHeapWindowAreRefused() throws {
        try Self.check(0, 1, write: false, expected: false)
        try Self.check(0xFFFF_8000_0000_0000, 1, write: false, expected: false)
        try Self.check(0xFFFF_FFFF_FFFF_F000, 0x1000, write: false, expected: false)
        try Self.check(0x0000_8000_0000_0000, 1, write: false, expected: false)
        try Self.check(0x5000_0000_0000, 1, write: false, expected: false)
    }

    @Test func theLastUserByteIsReachableAndTheFirstBeyondIsNot() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x7FFF_FFFF_E000), length: 0x2000, protection: [.read, .write], backing: .anonymous)
            expectEqual(mm.accessOK(VirtualAddress(0x7FFF_FFFF_E000), length: 0x2000, write: true), true)
            expectEqual(mm.accessOK(VirtualAddress(0x7FFF_FFFF_FFFF), length: 1, write: true), true)
            expectEqual(mm.accessOK(VirtualAddress(0x7FFF_FFFF_FFFF), length: 2, write: true), false)
        }
    }

    @Test func manyAdjacentMappingsAreWalkedOneRegionAtATime() throws {
        try withMachine(megabytes: 8) { machine in
            var mm = try machine.addressSpace()
            for index in 0..<64 {
                _ = try mm.mmap(at: VirtualAddress(UInt64(0x2000_0000 + index * 0x1000)), length: 0x1000, protection: [.read, .write], backing: .anonymous)
            }
            expectEqual(mm.accessOK(VirtualAddress(0x2000_0000), length: 64 * 0x1000, write: true), true)
            try mm.munmap(VirtualAddress(0x2000_0000 + 40 * 0x1000))
            expectEqual(mm.accessOK(VirtualAddress(0x2000_0000), length: 64 * 0x1000, write: true), false)
            expectEqual(mm.accessOK(VirtualAddress(0x2000_0000), length: 40 * 0x1000, write: true), true)
        }
    }
}
