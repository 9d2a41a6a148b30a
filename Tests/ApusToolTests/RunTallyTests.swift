import ApusCore
@testable import ApusTool
import Foundation
import Testing

/// A boot of many runs (`apus run --repeat N`, N up to a million) is read as it goes: each
/// run's end is handed on when the kernel reports it, and what is kept does not grow with N.
@Suite("Runs folded as they end")
struct RunTallyTests {
    static func exited(_ run: Int, _ status: Int64) -> RunRecord {
        RunRecord(kind: .exited, run: UInt32(run), first: status)
    }

    @Test func aTallyOfManyRunsKeepsTheirCountTheFirstFailureAndTheLastStatusButOnlyTheFirstEndings() {
        var tally = RunTally()
        let count = 5 * RunTally.keptRuns
        for run in 0..<count {
            let status: Int64 = run == 3_456 || run == 4_000 ? 7 : (run == count - 1 ? 9 : 0)
            expectEqual(tally.add(Self.exited(run, status)), .exited(status))
            expectEqual(tally.add(RunRecord(kind: .pageCache, run: UInt32(run), first: 1, second: 2)), nil)
        }
        expectEqual(tally.count, count)
        expectEqual(tally.endings.count, RunTally.keptRuns)
        expectEqual(tally.pageCache.count, RunTally.keptRuns)
        #expect(tally.firstFailure?.run == 3_456 && tally.firstFailure?.status == 7)
        expectEqual(tally.lastExitStatus, 9)
        #expect(tally.firstStartFailure == nil)
    }

    @Test func theFirstRunThatCouldNotStartIsKeptWithItsReason() {
        let tally = RunTally([Self.exited(0, 0), RunRecord(kind: .booted), RunRecord(kind: .couldNotStart, detail: 2, run: 1),
                              RunRecord(kind: .couldNotStart, detail: 1, run: 2)])
        expectEqual(tally.count, 3)
        #expect(tally.firstStartFailure?.run == 1 && tally.firstStartFailure?.reason == .notAProgram)
        expectEqual(tally.endings, [.exited(0), .couldNotStart(.notAProgram), .couldNotStart(.noSuchFile)])
    }

    /// A fake QEMU writes half its runs' records, waits until the tool has seen a run end
    /// (or 5 s), then writes the rest: the tool hands each run on while the machine still
    /// runs, sees all of them, and keeps only the first in the outcome.
    @Test func statusRecordsAreHandedOnWhileTheMachineRunsAndTheOutcomeKeepsABoundedNumber() throws {
        let folder = try TemporaryFolder()
        let runs = 4 * RunTally.keptRuns
        func records(_ range: Range<Int>) -> [UInt8] { range.flatMap { Self.exited($0, $0 == runs - 1 ? 3 : 0).bytes } }
        let first = folder.url.appendingPathComponent("first"), rest = folder.url.appendingPathComponent("rest")
        try Data(RunRecord(kind: .booted).bytes + records(0..<runs / 2)).write(to: first)
        try Data(records(runs / 2..<runs) + RunRecord(kind: .frames, first: 5, second: 5).bytes).write(to: rest)
        let seen = folder.url.appendingPathComponent("seen"), streamed = folder.url.appendingPathComponent("streamed")
        var machine = try MachineTests.machine("""
            cat '\(first.path)' >> status
            i=0
            while [ ! -e '\(seen.path)' ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
            [ -e '\(seen.path)' ] && : > '\(streamed.path)'
            cat '\(rest.path)' >> status
            exit 33
            """, in: folder)
        let endings = LockedValue(0)
        let seenPath = seen.path
        machine.onStatusRecord = { record in
            guard record.kind == .exited else { return }
            endings.update { $0 += 1 }
            _ = FileManager.default.createFile(atPath: seenPath, contents: nil)
        }
        let outcome = try MachineTests.boot(machine)
        expectEqual(outcome.status, 0)
        #expect(FileManager.default.fileExists(atPath: streamed.path), "the first runs were handed on before QEMU ended")
        expectEqual(endings.value, runs)
        expectEqual(outcome.records.filter { $0.kind == .exited }.count, Machine.keptRunRecords)
        expectEqual(outcome.records.last, RunRecord(kind: .frames, first: 5, second: 5), "records of the boot itself are all kept")
        let result = ProgramRun.result(of: outcome, program: Array("p".utf8), repetitions: runs)
        expectEqual(result.runs.count, RunTally.keptRuns)
    }

    @Test func aLogLongerThanTheLimitKeepsItsStartAndEndInWholeLines() throws {
        let folder = try TemporaryFolder()
        let log = folder.url.appendingPathComponent("log")
        let lines = (0..<10_000).map { "line \($0)\n" }.joined()
        try Data(lines.utf8).write(to: log)
        expectEqual(KernelLogFile.read(log.path), lines)
        let kept = KernelLogFile.read(log.path, keeping: 4_096)
        #expect(kept.hasPrefix("line 0\nline 1\n") && kept.hasSuffix("line 9999\n"))
        #expect(kept.utf8.count < 4_096 + 100)
        let marker = try #require(kept.split(separator: "\n").first { $0.hasPrefix("[") })
        #expect(marker.contains("bytes of the kernel log left out here"))
        #expect(kept.split(separator: "\n").allSatisfy { $0.hasPrefix("line ") || $0 == marker })
    }
}
