import ApusCore
import ApusTool
import Foundation
import Testing

extension PagerDependent {
    /// Several processes at once (ABI.md §4–5): fork with copy-on-write, pipes between
    /// processes that wait, a preemptive scheduler, the process limit, and nothing lost at the
    /// end whatever the children did.
    @Suite("Processes")
    struct ProcessTests {
        @Test func forkSharesEveryFrameCopyOnWriteAndEachSideKeepsItsOwnBytes() throws {
            try expectRun("cow", stdout: """
                before fork: data page writable
                child: fork returned 0
                child: sees data 42, stack 7, anonymous A, file Hello
                child: data page shared with the parent: same frame, read-only, XD
                child: after its writes: data 1, stack 2, anonymous C, file c
                child: data page now: its own copy, writable
                child: read() into a shared page: 5 bytes, "Hello"
                parent: fork returned a child id > 0: yes
                parent: keeps data 42, stack 7, anonymous A, file Hello, read target "untouched"
                parent: data page same frame, read-only, XD
                parent: after its write: data 43, same frame, writable

                """)
        }

        @Test func aMebibyteGoesThroughAPipeBetweenTwoProcessesInOddChunks() throws {
            try expectRun("pipeline", stdout: "received 1048576 bytes in order from process 2; then -32 (BrokenPipe: the child is gone)\n")
        }

        @Test func aSpinningProcessDoesNotStarveAComputingOne() throws {
            let result = try expectRun("spinner", stdout: "the parent computed 202067755460992 while its child spun\n")
            #expect(result.logLines.contains("process 2 ended with the run's first process; status -1"), "log:\n\(result.log)")
        }

        @Test func forkingUntilRefusedGetsNoMemoryAndEveryChildGoesAgain() throws {
            try expectRun("forkbomb", stdout: """
                forked 63 children, then -12
                every child ended (read: -32)
                fork after they ended: works

                """)
        }

        @Test func twelveChildrenRewritingSixtyFourMiBEachLoseNoFrame() throws {
            try expectRun("forkbig", stdout: "12 children rewrote 64 MiB each; the parent's checksum is still 2088960\n")
        }

        @Test func processesThatWaitForEachOtherForeverAreEndedWithTheReason() throws {
            let result = try expectRun("deadlock", stdout: "parent and child both wait to read\n", status: -1)
            expectEqual(result.logLines.filter { $0.hasPrefix("deadlock: thread ") && $0.hasSuffix("which no thread can bring about; process ended with status -1") }.count, 2,
                        "log:\n\(result.log)")
        }

        @Test func hoardingProcessesAreBoundedTogetherAndTheKernelReclaimsAll() throws {
            try expectRun("hoardall", stdout: """
                8 hoarding processes were all refused with TooManyOpenFile and NoMemory: yes
                they started 120 threads between them (128 in all with their own)

                """)
        }

        @Test func aChildThatRunsOutOfMemoryEndsAloneWhileItsParentGoesOn() throws {
            let result = try expectRun("cowexhaust", stdout: """
                the child is gone (read: -32); the parent's checksum is still 9792000
                fork afterwards: works

                """)
            #expect(result.logLines.contains { $0.contains("no frame left for the page") && $0.hasSuffix("process killed with status -1") },
                    "log:\n\(result.log)")
            #expect(result.logLines.contains("process 2 ended with status -1"))
        }

        @Test func aReadOfNothingFromAnEmptyPipeReturnsZeroInsteadOfWaiting() throws {
            try expectRun("zeroread", stdout: """
                read 0 of an empty pipe: 0
                fill: 4096
                write 0 to a full pipe: 0
                read 0 of a full pipe: 0, then read 1: 1
                read 0 with no write end: 0

                """)
        }

        @Test func aForkThatFindsNoFrameForItsTablesIsNoMemoryAndLeavesNothing() throws {
            try expectRun("forkfull", ["420"], stdout: "forked some children, then -12; after they ended (read -32) fork: works; 0 pages wrong\n")
        }

        @Test func twoProcessesComputingWithSSEInTheirOwnRoundingModesDoNotDisturbEachOther() throws {
            try expectRun("ssemix", stdout: "parent: 0 wrong, child: 0 wrong, results differ by mode: yes\n")
        }
    }
}

/// Processes whose outcome is the same under both pagers: a pipe's one huge write (what it
/// tests is the pipe, whose copies meet untouched pages under the lazy pager, the run every
/// `swift test` makes) and the kernel heap's region budget (a count of regions, not of
/// frames). Under the eager pager they only fill 256 MiB and the whole budget with frames
/// first, which takes half a minute more of CI.
@Suite("Processes: pipes and budgets")
struct ProcessBudgetTests {
    /// 32 MiB in one `write` (256 MiB in the long tier).
    @Test func oneWriteOfManyMebibytesIntoAPipeReachesTheReaderWhole() throws {
        let bytes = TestTier.count(short: 32, long: 256) << 20
        try expectRun("bigwrite", ["\(bytes >> 20)"], stdout: "one write of \(bytes) bytes returned \(bytes); the child read \(bytes) bytes, 0 wrong (report 16)\n")
    }

    @Test func processesTakingTurnsAtTheWholeRegionBudgetNeverFillTheKernelHeap() throws {
        try expectRun("regionchurn", ["4"], stdout: "4 processes each mapped and unmapped the whole budget in turn: yes; again: yes\n")
    }
}
