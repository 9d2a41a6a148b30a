import ApusCore
import ApusTool
import Foundation
import Testing

/// A call that waits keeps the open file it started with, and a pipe write of at most 4,096
/// bytes is never interleaved (ABI.md §5), as programs that depend on it see.
@Suite("Waiting calls and whole pipe writes")
struct WaitingCallProgramTests {
    @Test func aWaitingReadTakesThePipesBytesThoughItsNumberWasReusedForAFile() throws {
        _ = try expectRun("keepfile", ["read"], stdout: """
            closed 3, hello.txt opened as 3
            write of 10 bytes to the pipe: 10
            the waiting read returned 10
            it read "pipe bytes"
            a later read of 3 returned 5
            from hello.txt: "Hello"

            """)
    }

    @Test func aWaitingWriteFinishesIntoThePipeAndLeavesTheFileAlone() throws {
        _ = try expectRun("keepfile", ["write"], stdout: """
            closed 4, hello.txt opened as 4
            read 10240 bytes from the pipe, in order; then -32
            the waiting write returned 8192
            hello.txt holds "Hello, file!/"

            """)
    }

    /// Two writers, 200 records of 3,000 bytes each, ten runs in one boot: no record mixed.
    @Test func recordsOfAtMost4096BytesFromTwoWritersComeOutWhole() throws {
        let result = try SystemUnderTest.run("pipeatomic") { $0.repetitions = 10 }
        expectEqual(result.problem, nil, "kernel log:\n\(result.log)")
        expectEqual(result.stdout, String(repeating: "400 records of 3000 bytes from two writers, 0 mixed; then -32\n", count: 10))
        expectEqual(result.exitStatuses, Array(repeating: 0, count: 10))
    }

    @Test func recordsOfExactly4096BytesComeOutWhole() throws {
        _ = try expectRun("pipeatomic", ["4096"], stdout: "400 records of 4096 bytes from two writers, 0 mixed; then -32\n")
    }

    /// A whole write that waits for room nobody will make is a deadlock like any other.
    @Test func aWholeWriteStuckOnAPipeNobodyReadsIsEndedAsADeadlock() throws {
        let result = try expectRun("pipeatomic", ["stuck"], stdout: "wrote 4000 bytes; now 100 more\n", status: -1)
        #expect(result.logLines.contains { $0.hasPrefix("deadlock: ") && $0.contains("waits until the pipe has room or no read end") },
                "log:\n\(result.log)")
    }

    /// Larger writes may interleave; every byte still arrives.
    @Test func recordsOfMoreThan4096BytesAllArrive() throws {
        _ = try expectRun("pipeatomic", ["5000"], stdout: "400 records of 5000 bytes from two writers; then -32\n")
    }
}
