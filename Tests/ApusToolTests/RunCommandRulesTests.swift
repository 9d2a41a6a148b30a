import ApusCore
@testable import ApusTool
@testable import apus
import ArgumentParser
import Foundation
import Testing

/// The rules of `apus run` that need no machine: the command line, the status of repeated
/// runs, writing the output, and the trace's writer.
@Suite("apus run's rules")
struct RunCommandRulesTests {
    static func words(_ words: [String]) -> [[UInt8]] { words.map { Array($0.utf8) } }

    @Test func aValueThatStartsWithADashIsTheOptionsValue() {
        let split = ProgramCommandLine.split(Self.words(["run", "--repeat", "-1", "--rootfs", "-odd", "hello"]))
        expectEqual(split.parsed, Self.words(["run", "--repeat=-1", "--rootfs=-odd", "hello"]))
        expectEqual(split.program, Array("hello".utf8))
    }

    @Test func traceTakesAFileOnlyWhenOneIsGiven() {
        let file = ProgramCommandLine.split(Self.words(["run", "--trace", "out/t.txt", "cat", "hello.txt"]))
        expectEqual(file.parsed, Self.words(["run", "--trace-file", "out/t.txt", "cat"]))
        let joined = ProgramCommandLine.split(Self.words(["--trace=t", "cat"]))
        expectEqual(joined.parsed, Self.words(["--trace-file=t", "cat"]))
        let plain = ProgramCommandLine.split(Self.words(["run", "--trace", "cat", "hello.txt"]))
        expectEqual(plain.parsed, Self.words(["run", "--trace", "cat"]))
        expectEqual(plain.arguments, Self.words(["hello.txt"]))
    }

    @Test func aMissingProgramWithTheToolsOptionsAfterItSaysWhereOptionsGo() {
        let hint = optionsHint(program: Array("helo".utf8), arguments: Self.words(["--stats", "x", "--repeat=3"]))
        expectEqual(hint?.contains("Options go before the program's name"), true)
        expectEqual(hint?.contains("(--stats --repeat=3 came after it)"), true, "\(hint ?? "")")
        expectEqual(optionsHint(program: Array("--verbose".utf8), arguments: [])?.contains("--verbose, after --, was taken for the name"), true)
        expectEqual(optionsHint(program: Array("helo".utf8), arguments: Self.words(["-l", "--long"])), nil, "not the tool's options")
    }

    func result(_ runs: [ProgramRun.RunEnding]) -> ProgramRun.Result {
        var result = ProgramRun.Result(output: Data(), errorOutput: Data(), log: "")
        result.tally = RunTally(runs.enumerated().map { run, ending in
            switch ending {
            case .exited(let status): RunRecord(kind: .exited, run: UInt32(run), first: status)
            case .couldNotStart(let reason): RunRecord(kind: .couldNotStart, detail: reason.rawValue, run: UInt32(run))
            }
        })
        return result
    }

    @Test func repeatedRunsExitWithTheFirstFailingStatus() {
        let failing = result([.exited(0), .exited(3), .exited(5), .exited(0)])
        expectEqual(failing.shellStatus, 3)
        #expect(failing.firstFailure?.run == 1 && failing.firstFailure?.status == 3)
        expectEqual(result([.exited(0), .exited(0)]).shellStatus, 0)
        expectEqual(result([.exited(0), .exited(-1)]).shellStatus, 255)
        expectEqual(result([.exited(4)]).shellStatus, 4)
    }

    @Test func writingToAFullDiskFailsWithItsErrorAndAFullNonBlockingPipeIsWaitedFor() throws {
        let full = open("/dev/full", O_WRONLY)
        defer { close(full) }
        expectEqual(FileOutput.writeAll(full, [1, 2, 3]), ENOSPC)
        var ends: [Int32] = [-1, -1]
        try #require(pipe(&ends) == 0)
        _ = fcntl(ends[1], F_SETFL, fcntl(ends[1], F_GETFL) | O_NONBLOCK)
        let bytes = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let received = LockedData()
        let readEnd = ends[0]
        let reader = Thread {
            usleep(200_000)
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(readEnd, &buffer, buffer.count)
                if count <= 0 { break }
                received.append(Data(buffer[0..<count]))
            }
        }
        reader.start()
        expectEqual(FileOutput.writeAll(ends[1], bytes), nil, "a megabyte through a 64 KiB pipe that is full at first")
        close(ends[1])
        while !reader.isFinished { usleep(1000) }
        close(ends[0])
        expectEqual(received.data, Data(bytes))
    }

    @Test func theTraceWriterJoinsARecordCutBetweenDeliveriesAndSaysWhenTheStreamIsDamaged() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("apus-trace-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let descriptor = open(folder.path, O_WRONLY | O_CREAT, 0o600)
        try #require(descriptor >= 0)
        var record = [UInt8](repeating: 0, count: SyscallTrace.headerSize)
        record[0] = UInt8(SyscallTrace.headerSize)
        record[2] = SyscallTrace.Flags.returned.rawValue
        record[4] = UInt8(KeOSSyscallNumber.tell.rawValue)
        record[8] = 1
        record[12] = 1
        record[16] = 3
        record[64] = 9
        let writer = TraceWriter(descriptor: descriptor)
        writer.append(Data(record + record.prefix(10)))
        writer.append(Data(record.dropFirst(10)))
        expectEqual(writer.finish(), nil)
        close(descriptor)
        expectEqual(try String(contentsOf: folder, encoding: .utf8), "[1.1] tell(3) = 9\n[1.1] tell(3) = 9\n")
        let damaged = TraceWriter(descriptor: STDERR_FILENO)
        damaged.append(Data([3, 0, 0, 0]))
        expectEqual(damaged.finish()?.contains("damaged"), true)
        let cut = TraceWriter(descriptor: STDERR_FILENO)
        cut.append(Data(record.prefix(20)))
        expectEqual(cut.finish()?.contains("middle of a record"), true)
    }

    @Test func aPictureThatCannotBeWrittenIsAWrongCommandLine() throws {
        #expect(throws: ExitCode(2)) { try requireWritable("/no/such/folder/m.svg", for: "--memory-map") }
        #expect(throws: ExitCode(2)) { try requireWritable("/", for: "--memory-map") }
        try requireWritable(FileManager.default.temporaryDirectory.appendingPathComponent("m.svg").path, for: "--memory-map")
    }

    @Test func twoDescriptorsOfOneFileAreTheSameFile() throws {
        var ends: [Int32] = [-1, -1]
        try #require(pipe(&ends) == 0)
        let copy = dup(ends[1])
        let null = open("/dev/null", O_WRONLY)
        defer { [ends[0], ends[1], copy, null].forEach { close($0) } }
        #expect(sameFile(ends[1], copy))
        #expect(!sameFile(ends[0], null))
    }
}
