import ApusCore
import Testing

/// `munmap`, one rule of ABI.md §4 per test.
@Suite("munmap")
struct MunmapTests {
    static let rw: Permission = [.read, .write]

    @Test func theWholeMappingGoesAndItsFramesAndTablesComeBack() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x5000, protection: Self.rw, backing: .anonymous)
            let invalidations = machine.memory.invalidations
            try mm.munmap(VirtualAddress(0x1000_0000))
            expectEqual(mm.regionCount, 0)
            expectEqual(machine.frames.usedCount, 1, "only the root table is left")
            #expect(machine.memory.invalidations >= invalidations + 5, "every page's translation was dropped")
            for page in VirtualRange(0x1000_0000, pages: 5).pages {
                #expect(throws: PageTableError.notExist) { try mm.pageTable.walk(VirtualAddress(page)) }
            }
        }
    }

    @Test func unmappingOneRegionAmongSeveralGivesBackExactlyItsPagesBeforeTeardown() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x3000, protection: Self.rw, backing: .anonymous)
            _ = try mm.mmap(at: VirtualAddress(0x1000_3000), length: 0x5000, protection: .read, backing: .anonymous)
            _ = try mm.mmap(at: VirtualAddress(0x7FFF_FFFF_E000), length: 0x2000, protection: Self.rw, backing: .anonymous)
            machine.expectResident(10, in: mm)
            try mm.munmap(VirtualAddress(0x1000_3000))
            machine.expectResident(5, in: mm)
            try mm.munmap(VirtualAddress(0x7FFF_FFFF_E000))
            machine.expectResident(3, in: mm)
            try mm.munmap(VirtualAddress(0x1000_0000))
            machine.expectResident(0, in: mm)
            expectEqual(mm.pageTable.tableCount(), 0, "empty tables were freed too")
        }
    }

    @Test func accessFailsAfterUnmap() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x1000, protection: Self.rw, backing: .anonymous)
            try mm.munmap(VirtualAddress(0x1000_0000))
            expectEqual(mm.accessOK(VirtualAddress(0x1000_0000), length: 1, write: false), false)
            #expect(throws: KernelError.badAddress) { try userBytes(&mm, at: 0x1000_0000, count: 1) }
            expectEqual(mm.resolveAccess(at: VirtualAddress(0x1000_0000), access: .read), .segmentationFault(.notPresent))
        }
    }

    @Test func theAddressCanBeMappedAgainAndReadsAsZero() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x1000, protection: Self.rw, backing: .anonymous)
            try writeUser(&mm, [9, 9, 9], at: 0x1000_0000)
            try mm.munmap(VirtualAddress(0x1000_0000))
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x2000, protection: .read, backing: .anonymous)
            expectEqual(try userBytes(&mm, at: 0x1000_0000, count: 3), [0, 0, 0])
        }
    }

    @Test func secondUnmapIsRefused() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x1000, protection: Self.rw, backing: .anonymous)
            try mm.munmap(VirtualAddress(0x1000_0000))
            #expect(throws: KernelError.invalidArgument) { try mm.munmap(VirtualAddress(0x1000_0000)) }
        }
    }

    @Test(arguments: [
        0x1000_1000 as UInt64, // a page inside the mapping
        0x1000_0008, // a byte inside its first page
        0x1000_3000, // just past its end
        0, // NULL
        0xFFFF_8000_0000_0000, // the kernel half
        0x5000_0000_0000, // the kernel window
        0x0000_8000_0000_0000, // non-canonical
        0xFFFF_FFFF_FFFF_FFFF,
    ])
    func anythingButTheExactStartIsRefusedAndChangesNothing(address: UInt64) throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x1000_0000), length: 0x3000, protection: Self.rw, backing: .anonymous)
            try writeUser(&mm, [7], at: 0x1000_2000)
            let used = machine.frames.usedCount
            #expect(throws: KernelError.invalidArgument) { try mm.munmap(VirtualAddress(address)) }
            expectEqual(mm.regionCount, 1)
            expectEqual(machine.frames.usedCount, used)
            expectEqual(try userBytes(&mm, at: 0x1000_2000, count: 1), [7])
        }
    }

    @Test func unmappingOneMappingLeavesItsNeighboursAndSharedTables() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(0x1000), length: 0x1000, protection: Self.rw, backing: .anonymous)
            _ = try mm.mmap(at: VirtualAddress(0x2000), length: 0x1000, protection: Self.rw, backing: .anonymous)
            _ = try mm.mmap(at: VirtualAddress(0x3000), length: 0x1000, protection: Self.rw, backing: .anonymous)
            try writeUser(&mm, [1], at: 0x1000)
            try writeUser(&mm, [3], at: 0x3000)
            try mm.munmap(VirtualAddress(0x2000))
            expectEqual(try userBytes(&mm, at: 0x1000, count: 1), [1])
            expectEqual(try userBytes(&mm, at: 0x3000, count: 1), [3])
            expectEqual(mm.pageTable.tableCount(), 3)
            #expect(machine.frames.usedCount == 1 + 3 + 2)
        }
    }

    @Test func manyMappingsComeAndGoWithoutLeaking() throws {
        try withMachine(megabytes: 8) { machine in
            var mm = try machine.addressSpace()
            for round in 0..<3 {
                for index in 0..<300 {
                    let address = UInt64(0x1000_0000 + index * 0x3000)
                    _ = try mm.mmap(at: VirtualAddress(address), length: 0x2000, protection: Self.rw, backing: .anonymous)
                }
                expectEqual(mm.regionCount, 300, "round \(round)")
                for index in stride(from: 299, through: 0, by: -1) {
                    try mm.munmap(VirtualAddress(UInt64(0x1000_0000 + index * 0x3000)))
                }
                expectEqual(machine.frames.usedCount, 1)
            }
        }
    }
}
