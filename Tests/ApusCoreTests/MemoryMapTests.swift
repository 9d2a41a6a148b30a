@testable import ApusCore
import Testing

/// The memory map of a process (MemoryMap.swift) and its records on the status channel
/// (MemoryMapRecords.swift): resident pages, pages shared copy-on-write, backings.
@Suite("RAM maps")
struct MemoryMapTests {
    static func summary(_ map: [RegionSummary], at address: UInt64) -> RegionSummary? {
        map.first { $0.range.start.raw == address }
    }

    @Test func aLazyProcessShowsOnlyTheTouchedPagesAsResident() throws {
        try withMachine { machine in
            var mm = try ForkFixture.parent(machine, pager: LazyPager(), file: ForkFixture.file())
            try writeUser(&mm, [1], at: ForkFixture.anonymous + 0x1000)
            _ = try userBytes(&mm, at: ForkFixture.privateFile, count: 1)
            let map = mm.memoryMap()
            expectEqual(map.map(\.range.start.raw), [ForkFixture.text, ForkFixture.anonymous, ForkFixture.privateFile, ForkFixture.readOnly],
                        "address order")
            expectEqual(Self.summary(map, at: ForkFixture.anonymous), RegionSummary(
                range: VirtualRange(start: VirtualAddress(ForkFixture.anonymous), end: VirtualAddress(ForkFixture.anonymous + 0x3000)),
                permission: [.read, .write], source: .anonymous, residentPages: 1, sharedPages: 0))
            expectEqual(Self.summary(map, at: ForkFixture.privateFile)?.residentPages, 1)
            expectEqual(Self.summary(map, at: ForkFixture.readOnly)?.source, .file(inode: nil, offset: 0x1000))
            expectEqual(Self.summary(map, at: ForkFixture.text)?.permission, [.read, .executable], "USER is left out")
            expectEqual(Self.summary(map, at: ForkFixture.text)?.residentPages, 0)
        }
    }

    @Test func afterAForkEveryResidentPageIsSharedUntilOneSideWritesIt() throws {
        try withMachine { machine in
            var parent = try ForkFixture.writtenParent(machine, file: ForkFixture.file())
            var child = try parent.fork()
            expectEqual(Self.summary(parent.memoryMap(), at: ForkFixture.anonymous)?.sharedPages, 3)
            try writeUser(&child, [9], at: ForkFixture.anonymous)
            let childMap = child.memoryMap(), parentMap = parent.memoryMap()
            expectEqual(Self.summary(childMap, at: ForkFixture.anonymous)?.residentPages, 3)
            expectEqual(Self.summary(childMap, at: ForkFixture.anonymous)?.sharedPages, 2, "the written page is the child's own")
            expectEqual(Self.summary(parentMap, at: ForkFixture.anonymous)?.sharedPages, 2)
            expectEqual(Self.summary(parentMap, at: ForkFixture.text)?.sharedPages, 1, "text stays shared")
            _ = consume child
            #expect(parent.memoryMap().allSatisfy { $0.sharedPages == 0 }, "the child's end gives every share back")
        }
    }

    @Test func theMapIsBoundedByItsLimit() throws {
        try withMachine { machine in
            let mm = try ForkFixture.parent(machine, pager: LazyPager(), file: ForkFixture.file())
            expectEqual(mm.memoryMap(limit: 2).count, 2)
        }
    }

    @Test func snapshotsSurviveTheirRecordsAmongOtherRecords() {
        let regions = [
            RegionSummary(range: VirtualRange(start: VirtualAddress(0x40_1000), end: VirtualAddress(0x40_3000)), permission: [.read, .executable],
                          source: .file(inode: 7, offset: 0x1000), residentPages: 2, sharedPages: 1),
            RegionSummary(range: VirtualRange(start: VirtualAddress(0x4747_0000), end: VirtualAddress(0x4748_0000)), permission: [.read, .write],
                          source: .anonymous, residentPages: 1, sharedPages: 0),
            RegionSummary(range: VirtualRange(start: VirtualAddress(0x7000_0000), end: VirtualAddress(0x7000_1000)), permission: [.read],
                          source: .file(inode: nil, offset: 0), residentPages: 0, sharedPages: 0),
        ]
        let first = MemoryMapRecords.Snapshot(moment: .fork, run: 0, process: 1, parent: 0, regions: regions)
        let second = MemoryMapRecords.Snapshot(moment: .end, run: 2, process: 5, parent: 1, regions: [], omitted: 12)
        let records = [RunRecord(kind: .booted)] + MemoryMapRecords.records(of: first) + [RunRecord(kind: .exited)]
            + MemoryMapRecords.records(of: second)
        expectEqual(RunRecord.decode(records.flatMap(\.bytes)), records)
        expectEqual(MemoryMapRecords.snapshots(in: records), [first, second])
    }

    @Test func recordsOutOfPlaceAreDropped() {
        let stray = [RunRecord(kind: .region, first: 0x1000, second: 0x2000), RunRecord(kind: .regionPages, first: 1),
                     RunRecord(kind: .memoryMap, detail: 99, first: 1)]
        #expect(MemoryMapRecords.snapshots(in: stray).isEmpty)
        let backwards = [RunRecord(kind: .memoryMap, detail: 2, first: 1), RunRecord(kind: .region, first: 0x2000, second: 0x1000),
                         RunRecord(kind: .regionPages)]
        expectEqual(MemoryMapRecords.snapshots(in: backwards).first?.regions.isEmpty, true)
    }
}
