import ApusTool
import Foundation
import Testing

extension PagerDependent {
    /// Threads on Apus (ABI.md §5): threads share their process's memory and files, are
    /// joined with their statuses, and end with their process; whatever a thread does, the
    /// kernel goes on and every frame and kernel stack comes back (``expectRun(_:_:input:argv0:setUp:stdout:status:sourceLocation:)``
    /// checks both after every run).
    @Suite("Threads")
    struct ThreadTests {
        @discardableResult
        static func expectThreads(_ mode: String, stdout: String, status: Int64 = 0, sourceLocation: SourceLocation = #_sourceLocation) throws -> ProgramRun.Result {
            try expectRun("threadtest", [mode], stdout: stdout, status: status, sourceLocation: sourceLocation)
        }

        @Test func aNewThreadStartsWithItsArgumentItsStackAZeroReturnAddressAndEverythingElseClean() throws {
            try Self.expectThreads("regs", stdout: """
                rdi is the argument: yes
                rsp is the stack minus 8: yes; the return address there is 0
                every other general register is 0: yes
                rflags 0x202
                xmm0-15 zero: yes, MXCSR 0x1f80, FPU control word 0x37f

                """)
        }

        @Test func fourThreadsCountPrimesAndAreJoinedWithTheirCounts() throws {
            try expectRun("threads", stdout: """
                thread 0 found 4512 primes
                thread 1 found 4525 primes
                thread 2 found 4455 primes
                thread 3 found 4492 primes
                17984 primes below 200000

                """)
        }

        @Test func threadsCountingWithAtomicInstructionsLoseNothingAndAreJoinedWithTheirStatuses() throws {
            let joins = (0..<8).map { "join \($0): 0, status \($0 * 10)\n" }.joined()
            try Self.expectThreads("count", stdout: joins + "counter 800000\n")
        }

        @Test func joinRefusesUnknownIdsItselfBadStatusPointersAndASecondJoin() throws {
            try Self.expectThreads("joinerr", stdout: """
                join of 999999: -22
                join of 0: -22
                join of -1: -22
                a thread joining itself: -22
                join with status at 0x8: -14
                join with status in the kernel: -14
                join with status in read-only memory: -14
                join with NULL status: 0
                join again: -22

                """)
        }

        @Test func exitGroupEndsAThreadThatSpinsForever() throws {
            try Self.expectThreads("spin", stdout: "exit_group while a thread spins\n", status: 7)
        }

        @Test func aFaultingThreadEndsItsWholeProcess() throws {
            let result = try Self.expectThreads("fault", stdout: "the main thread starts a thread that faults, and joins it\n", status: -1)
            #expect(result.logLines.contains { $0.hasPrefix("thread ") && $0.contains("of process 1: page fault at 0x0") }, "log:\n\(result.log)")
        }

        @Test func returningFromTheThreadFunctionIsAFault() throws {
            let result = try Self.expectThreads("return", stdout: "the main thread starts a thread that faults, and joins it\n", status: -1)
            #expect(result.logLines.contains { $0.contains("of process 1: page fault at 0x0") && $0.contains("rip 0x0") }, "log:\n\(result.log)")
        }

        @Test func aThreadJoinsAThreadItStartedAndPassesOnItsResult() throws {
            try Self.expectThreads("chain", stdout: "join A: 0, status 5051\n")
        }

        @Test func ofTwoThreadsJoiningOneExactlyOneSucceeds() throws {
            try Self.expectThreads("doublejoin", stdout: "1 join succeeded with status 11, 1 was refused with -22\n")
        }

        @Test func mappingsMadeAfterAThreadStartedAreSharedBothWays() throws {
            try Self.expectThreads("sharedmap", stdout: """
                the thread saw 1111 in the main thread's new mapping; it now holds 2222
                munmap of the thread's mapping from the main thread: 0

                """)
        }

        @Test func aProcessWhoseThreadsEndOneByOneEndsWithItsMainThreadsStatus() throws {
            try Self.expectThreads("mainexit", stdout: """
                the main thread exits with 3
                the thread still runs after the main thread's exit

                """, status: 3)
        }

        @Test func threadsWaitingInReadAndJoinAreEndedCleanlyByExitGroup() throws {
            try Self.expectThreads("blocked", stdout: "exit_group with a thread in read and one in thread_join\n", status: 9)
        }

        @Test func hundredsOfThreadsComeAndGoWithoutALeak() throws {
            try Self.expectThreads("many", stdout: "504 threads joined, statuses summed to 15288\n")
        }

        @Test func threadsJoiningInACycleAreADeadlockTheKernelEnds() throws {
            let result = try Self.expectThreads("joincycle", stdout: "A joins B, B joins A, and the main thread joins A\n", status: -1)
            let deadlocks = result.logLines.filter { $0.hasPrefix("deadlock: thread ") && $0.contains("waits until a thread of the process ends") }
            expectEqual(deadlocks.count, 3, "log:\n\(result.log)")
        }

        @Test func aForkFromAThreadCopiesThatThreadOnly() throws {
            try Self.expectThreads("forkthreads", stdout: """
                in the child, joins of the parent's other threads: -22 -22
                fork from a thread: 0
                thread and process ids distinct and positive: yes

                """)
        }

        @Test func unmappingARunningThreadsStackEndsTheProcessNotTheKernel() throws {
            let result = try Self.expectThreads("unmapstack", stdout: "the main thread unmaps a running thread's stack\n", status: -1)
            #expect(result.logLines.contains { $0.contains("of process 1: page fault at 0x4000") }, "log:\n\(result.log)")
        }

        @Test func threadsStartedUntilRefusedAreNoMemoryThenAllComeBack() throws {
            try Self.expectThreads("storm", stdout: """
                127 threads started, then -12
                all joined: 127
                a thread starts again: yes, status 5

                """)
        }

        @Test func theThreadBenchmarkPrintsItsRows() throws {
            let result = try SystemUnderTest.run("threadbench")
            #expect(result.problem == nil && result.exitStatus == 0, "log:\n\(result.log)")
            expectNothingLeakedAndNoPanic(result)
            let lines = result.stdout.split(separator: "\n").map(String.init)
            expectEqual(lines.count, 2)
            #expect(lines.first?.wholeMatch(of: /thread create \+ join: \d+ ticks/) != nil, "\(lines)")
            #expect(lines.last?.wholeMatch(of: /pipe round trip between two threads \(two switches\): \d+ ticks/) != nil, "\(lines)")
        }
    }
}

/// `hostile MODE`: attacks on threads, each answered by the kernel keeping its rules; each
/// output is exact whatever the timing.
extension PagerDependent.ThreadTests {
    static func expectHostile(_ mode: String, input: String = "", stdout: String, status: Int64 = 0,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        try expectRun("hostile", [mode], input: input, stdout: stdout, status: status, sourceLocation: sourceLocation)
    }

    @Test func threadCreateRefusesEveryStackEntryAndNameAtTheEdgesAndAcceptsAStackAcrossTwoMappings() throws {
        try Self.expectHostile("edges", stdout: """
            stack 0: -14
            stack 8: -14
            stack -1: -14
            stack at the user end: -14
            stack non-canonical: -14
            stack in the kernel: -14
            stack at the start of a mapping: -14
            stack straddling two mappings: started, join 0 status 5
            stack at the end of two mappings: started, join 0 status 5
            stack just past the hole: -14
            stack in read-only memory: -14
            stack above read-only memory: -14
            entry at the user end: -14
            entry -1: -14
            name NULL: -14
            name unterminated: -14
            name in the kernel: -14
            name at 2^63: -14

            """)
    }

    @Test func aJoinWhoseStatusPageIsUnmappedWhileItWaitsIsBadAddressAndLeavesTheThreadUnjoined() throws {
        try Self.expectHostile("joinunmap", stdout: """
            join with the status page mapped: -14
            join again: 0, status 42
            join of the unmapper: 0
            its munmap of the status page: 0

            """)
    }

    @Test func aThreadThatUnmapsItsOwnStackFaultsAndEndsItsProcess() throws {
        try Self.expectHostile("selfunmap", stdout: "", status: -1)
    }

    @Test func threadsForkingAndStartingThreadsToTheLimitsEndWithExitGroup() throws {
        try Self.expectHostile("forkstorm", stdout: "exit_group\n", status: 9)
        try Self.expectHostile("limits", stdout: "started 1\n", status: 4)
    }

    @Test func aThreadMayRunOnTheLastPageOfTheUserHalfAndItsProcessForks() throws {
        try Self.expectHostile("lastpage", stdout: """
            mmap of the last page: yes
            thread on the last page: 1, join 0, status 8
            fork: 1

            """)
    }

    @Test func threadsKeepTheirOwnSSERegistersAndMXCSRAcrossSwitchesAndWaits() throws {
        try Self.expectHostile("ssethreads", stdout: "threads whose registers changed: 0\n")
    }

    @Test func joinsAndPipeReadsOfTwoProcessesWaitingOnEachOtherAreADeadlockTheKernelEnds() throws {
        let result = try expectRun("hostile", ["deadmix"], stdout: "both wait\n", status: -1)
        expectEqual(result.logLines.filter { $0.hasPrefix("deadlock: thread ") }.count, 4, "log:\n\(result.log)")
    }

    @Test func aJoinOfAnotherProcesssThreadIsInvalidArgument() throws {
        try Self.expectHostile("crossjoin", stdout: "join of the child process: -22\n")
    }

    @Test func threadsOfSeveralProcessesReadingStandardInputAtOnceReadEveryByteOnce() throws {
        let input = String((0..<12345).map { Character(UnicodeScalar(UInt8(97 + $0 % 26))) })
        try Self.expectHostile("stdinrace", input: input, stdout: "read 12345 bytes in all\n")
        try Self.expectHostile("stdinfork", input: input, stdout: "read 12345 bytes in all\n")
    }
}
