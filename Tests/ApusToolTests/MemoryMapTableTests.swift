import ApusCore
@testable import ApusTool
import Testing

/// `--memory-map`'s text (MemoryMapTable.swift): the columns, the names of backings, and
/// names a user chose kept to one line.
@Suite("Memory map tables")
struct MemoryMapTableTests {
    static func region(_ start: UInt64, _ end: UInt64, _ permission: Permission, _ source: RegionSummary.Source,
                       resident: Int, shared: Int) -> RegionSummary {
        RegionSummary(range: VirtualRange(start: VirtualAddress(start), end: VirtualAddress(end)), permission: permission,
                      source: source, residentPages: resident, sharedPages: shared)
    }

    @Test func aTableHasAHeadingAHeaderAndOneAlignedLinePerRegion() {
        let snapshot = MemoryMapRecords.Snapshot(moment: .fork, run: 0, process: 2, parent: 1, regions: [
            Self.region(0x40_1000, 0x40_3000, [.read, .executable], .file(inode: 3, offset: 0x1000), resident: 2, shared: 2),
            Self.region(0x1000_0000, 0x5000_0000, [.read, .write], .anonymous, resident: 64, shared: 0),
            Self.region(0x4747_0000, 0x4748_0000, [.read, .write], .anonymous, resident: 1, shared: 1),
        ])
        expectEqual(MemoryMapTable.render(snapshot, fileNames: [3: Array("prog".utf8)]), """
            process 2 (parent 1), after a fork: 3 regions, 67 resident pages, 3 shared
              range                                    size  perm  backing            resident  shared
              0x0000000000401000-0x0000000000403000   8 KiB  r-x   file prog +0x1000         2       2
              0x0000000010000000-0x0000000050000000   1 GiB  rw-   anonymous                64       0
              0x0000000047470000-0x0000000047480000  64 KiB  rw-   stack                     1       1

            """)
    }

    @Test func aFileNameCannotBreakALineAndAnUnknownFileIsAQuestionMark() {
        let named = Self.region(0x1000, 0x2000, .read, .file(inode: 3, offset: 0), resident: 0, shared: 0)
        expectEqual(MemoryMapTable.backing(of: named, fileNames: [3: Array("a\nprocess 9".utf8)]), "file a\\nprocess 9 +0x0")
        expectEqual(MemoryMapTable.backing(of: named, fileNames: [:]), "file ? +0x0")
        let elsewhere = Self.region(0x1000, 0x2000, .read, .file(inode: nil, offset: 0x2000), resident: 0, shared: 0)
        expectEqual(MemoryMapTable.backing(of: elsewhere, fileNames: [:]), "file ? +0x2000")
    }

    @Test func leftOutRegionsAndRepeatedRunsAreSaid() {
        let snapshot = MemoryMapRecords.Snapshot(moment: .end, run: 1, process: 1, parent: 0, regions: [], omitted: 5)
        let table = MemoryMapTable.render(snapshot, fileNames: [:], runs: 3)
        #expect(table.hasPrefix("run 2: process 1 (parent 0), at its end: 5 regions"))
        #expect(table.contains("… and 5 more regions"))
    }

    @Test func sizesUseTheLargestWholeUnit() {
        expectEqual(MemoryMapTable.size(4096), "4 KiB")
        expectEqual(MemoryMapTable.size(12 << 10), "12 KiB")
        expectEqual(MemoryMapTable.size(3 << 20), "3 MiB")
        expectEqual(MemoryMapTable.size((1 << 20) + 4096), "1028 KiB")
    }
}
