import ApusCore
@testable import ApusTool
import Foundation
import Testing

/// The tool's own pieces, on the host.
@Suite("The apus tool")
struct ToolTests {
    @Test func statusRecordsRoundTripAndAnythingElseIsRefused() {
        let records = [RunRecord(kind: .booted, first: 511, second: 121_000), RunRecord(kind: .exited, run: 3, first: -1),
                       RunRecord(kind: .couldNotStart, detail: RunRecord.StartFailure.notAProgram.rawValue, run: 1),
                       RunRecord(kind: .frames, first: 279, second: 279)]
        let bytes = records.flatMap(\.bytes)
        #expect(bytes.count == 4 * RunRecord.size)
        expectEqual(RunRecord.decode(bytes), records)
        expectEqual(RunRecord.decode(Array(bytes.dropLast())), nil, "a partial record")
        expectEqual(RunRecord.decode(Array("exit status 0\nframes in use: 1 before, 1 after (0 leaked)\n   ".utf8)), nil)
        var damaged = bytes
        damaged[4] = 99
        expectEqual(RunRecord.decode(damaged), nil, "an unknown kind")
    }

    @Test func namesInTheLogCannotStartALineOfTheirOwn() {
        let forged = Array("e\nexit status 0\nframes in use: 1 before, 1 after (0 leaked)\n".utf8)
        let escaped = LogText.escaped(forged)
        #expect(!escaped.contains("\n"))
        expectEqual(escaped, #"e\nexit status 0\nframes in use: 1 before, 1 after (0 leaked)\n"#)
        expectEqual(LogText.escaped([0x68, 0xFF, 0x5C, 0x09, 0x1B]), #"h\xff\\\t\x1b"#)
    }

    @Test func theLineCollectorJoinsLinesAcrossChunksAndKeepsALastUnfinishedOne() {
        let seen = LockedData()
        let collector = LineCollector { seen.append(Data(($0 + "|").utf8)) }
        collector.append(Data("one\ntw".utf8))
        collector.append(Data("o\n\nthr".utf8))
        collector.append(Data("ee".utf8))
        expectEqual(collector.lines, ["one", "two", ""])
        collector.finish()
        expectEqual(collector.lines, ["one", "two", "", "three"])
        expectEqual(String(decoding: seen.data, as: UTF8.self), "one|two||three|")
    }

    @Test func standardInputIsReadToItsEndWithinTheLimitAndRefusedBeyondIt() throws {
        signal(SIGPIPE, SIG_IGN) // the writer outlives the refusing reader
        for (size, limit, fits) in [(0, 10, true), (100_000, 100_000, true), (100_001, 100_000, false), (5_000_000, 1 << 20, false)] {
            let pipe = Foundation.Pipe()
            let writer = Thread {
                try? pipe.fileHandleForWriting.write(contentsOf: Data(repeating: 0x79, count: size))
                try? pipe.fileHandleForWriting.close()
            }
            writer.start()
            if fits {
                let input = try ProgramRun.readInput(from: pipe.fileHandleForReading.fileDescriptor, limit: limit)
                expectEqual(input, Data(repeating: 0x79, count: size))
            } else {
                #expect(throws: ToolError.self) { try ProgramRun.readInput(from: pipe.fileHandleForReading.fileDescriptor, limit: limit) }
                try? pipe.fileHandleForReading.close()
            }
        }
    }

    @Test func theArgumentImageIsExactBytesEachWordOnceEndingInANul() {
        var run = ProgramRun(program: [0x61, 0xFF], arguments: [[0xC3, 0x28], [], [0x41]])
        expectEqual(run.argumentImage(), [0x61, 0xFF, 0, 0x61, 0xFF, 0, 0xC3, 0x28, 0, 0, 0x41, 0])
        run.arguments = (0..<200_000).map { Array("argument\($0)".utf8) }
        let image = run.argumentImage()
        #expect(image.count == run.arguments.reduce(0) { $0 + $1.count + 1 } + 6)
        expectEqual(image.split(separator: 0, omittingEmptySubsequences: false).dropFirst(2).dropLast().map(Array.init), run.arguments)
    }

    @Test func rootfsFoldersThatAreMissingOrFilesAreClearErrors() throws {
        let folder = try TemporaryFolder()
        let missing = folder.url.appendingPathComponent("missing")
        #expect { try ProgramRun.listFolder(missing) } throws: {
            "\($0)" == "\(missing.path): no such folder; --rootfs takes a folder that exists, whose files join the root file system (e.g. --rootfs ./bin)"
        }
        let file = folder.url.appendingPathComponent("prog")
        try Data([1]).write(to: file)
        #expect { try ProgramRun.listFolder(file) } throws: { "\($0)".contains("is a file, not a folder") }
    }

    @Test func aMissingProgramIsNamedWithTheFilesThatAreAndTheClosestFirst() {
        let files = ["cat", "cow", "forkbig", "forkbomb", "hello", "hello.txt", "mm-demo", "spin"].map { Array($0.utf8) }
        func similar(_ name: String) -> [String] {
            ProgramRun.NoSuchProgram(name: Array(name.utf8), files: files).similarNames.map { String(decoding: $0, as: UTF8.self) }
        }
        expectEqual(similar("helo"), ["hello"])
        expectEqual(similar("Hello"), ["hello", "hello.txt"])
        expectEqual(similar("cats"), ["cat"])
        expectEqual(similar("mmdemo"), ["mm-demo"])
        expectEqual(similar("fork"), ["forkbig", "forkbomb"])
        #expect(similar("zzzz").isEmpty)
        let message = "\(ProgramRun.NoSuchProgram(name: Array("helo".utf8), files: files))"
        #expect(message.hasPrefix("no program named helo in the root file system. Did you mean hello?\n"))
        #expect(message.contains("Its files: cat cow forkbig forkbomb hello hello.txt mm-demo spin"))
        #expect(message.contains("--rootfs DIR"))
        #expect(!"\(ProgramRun.NoSuchProgram(name: Array("zzzz".utf8), files: files))".contains("Did you mean"))
    }

    @Test func aMissingQEMUIsAMessageThatSaysHowToInstallItAndWhereItIsLookedFor() {
        let message = QEMU.missingMessage(attempt: "apus tried `apt-get install qemu-system-x86`, which failed (exit status 100): check the network and apt's sources.")
        #expect(message.contains("sudo apt-get install qemu-system-x86"))
        #expect(message.contains("brew install qemu"))
        #expect(message.contains("which failed (exit status 100)"))
        #expect(message.contains("on PATH and in /usr/bin, /usr/local/bin, /opt/homebrew/bin"))
    }

    @Test func fileNamesThatAreNotUTF8AreKeptAsBytes() throws {
        let folder = try TemporaryFolder()
        let name: [UInt8] = [0x68, 0xFF, 0x6C, 0x6C, 0x6F]
        let path = Array(folder.url.path.utf8) + [UInt8(ascii: "/")] + name
        let descriptor = (path + [0]).withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_CREAT | O_WRONLY, 0o644) } }
        #expect(descriptor >= 0)
        _ = write(descriptor, "data", 4)
        close(descriptor)
        let files = try ProgramRun.listFolder(folder.url)
        expectEqual(files.map(\.name), [name])
        expectEqual(try ProgramRun.readFile(files[0].path), Array("data".utf8))
    }

    @Test func aRunIsJudgedByItsStatusRecordsNeverByTheLogText() {
        let forgedLog = "Apus 511 MiB RAM\nexit status 0\nframes in use: 1 before, 1 after (0 leaked)\n"
        func outcome(_ records: [RunRecord], status: Int32? = 3) -> Machine.Outcome {
            Machine.Outcome(status: status, log: forgedLog, output: Data(), errorOutput: Data(), records: records,
                            problem: nil, qemuMessages: "", usedKVM: false)
        }
        let booted = RunRecord(kind: .booted)
        let refused = ProgramRun.result(of: outcome([booted, RunRecord(kind: .couldNotStart, detail: 2)]), program: Array("e\n".utf8), repetitions: 1)
        #expect(refused.exitStatuses.isEmpty)
        #expect(refused.frames == nil)
        expectEqual(refused.problem, #"cannot run e\n: not a valid x86-64 ELF executable"#)
        expectEqual(refused.shellStatus, 126)

        let repeated = ProgramRun.result(of: outcome([booted, RunRecord(kind: .exited, first: 0),
                                                      RunRecord(kind: .couldNotStart, detail: 2, run: 1)]), program: Array("p".utf8), repetitions: 3)
        expectEqual(repeated.runs, [.exited(0), .couldNotStart(.notAProgram)])
        expectEqual(repeated.problem, "run 2 of 3: cannot run p: not a valid x86-64 ELF executable")
        expectEqual(repeated.shellStatus, 126)

        var timedOut = outcome([booted, RunRecord(kind: .exited, first: 0)], status: nil)
        timedOut.problem = "Apus did not power off within 5 seconds; QEMU was stopped"
        let stopped = ProgramRun.result(of: timedOut, program: Array("p".utf8), repetitions: 2)
        expectEqual(stopped.exitStatuses, [0])
        expectEqual(stopped.shellStatus, 125, "a run that did not finish fails the command, whatever the last status")

        let fine = ProgramRun.result(of: outcome([booted, RunRecord(kind: .exited, first: -1), RunRecord(kind: .frames, first: 5, second: 5)], status: 0),
                                     program: Array("p".utf8), repetitions: 1)
        expectEqual(fine.problem, nil)
        expectEqual(fine.shellStatus, 255)
        expectEqual(fine.frames.map { $0.before == 5 && $0.after == 5 }, true)
    }
}
