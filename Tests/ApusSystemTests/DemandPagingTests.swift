import ApusCore
import ApusTool
import Foundation
import Testing

/// The lazy pager in the kernel: mappings larger than the machine, pages filled at their
/// first touch (by the program or by a kernel copy), and a program that runs out of frames
/// ending alone. Each test sets the lazy pager itself, so they run the same under
/// `APUS_PAGER=eager`.
@Suite("Demand paging")
struct DemandPagingTests {
    @Test func aGiBMappedInA512MiBMachineCostsOnlyWhatIsTouched() throws {
        try expectRun("lazymap", setUp: { $0.pager = .lazy }, stdout: """
            mapped 1 GiB; getphys of an untouched page: -22
            touched 64 pages of it, checksum 2016
            getphys after the touch: offset 0x123, flags 0x8000000000000067
            munmap of 1 GiB: 0
            touched all of 256 MiB, checksum 8355840
            munmap of 256 MiB: 0
            read into untouched pages: 13 bytes: Hello, file!

            """)
    }

    @Test func aProgramThatRunsOutOfFramesEndsAloneAndTheNextRunFindsThemAll() throws {
        let result = try SystemUnderTest.run("exhaust") { run in
            run.pager = .lazy
            run.repetitions = 2
        }
        expectEqual(result.stdout, String(repeating: "mapped 2 GiB, touching it\n", count: 2))
        expectEqual(result.exitStatuses, [-1, -1], "log:\n\(result.log)")
        let kills = result.logLines.filter { $0.contains("no frame left for the page, the process had ") && $0.hasSuffix("process killed with status -1") }
        expectEqual(kills.count, 2, "log:\n\(result.log)")
        expectNothingLeakedAndNoPanic(result)
    }
}
