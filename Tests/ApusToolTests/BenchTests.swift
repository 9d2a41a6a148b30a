@testable import ApusTool
import Foundation
import Testing

/// `apus bench` on the host: reading the program's lines, putting runs together, the table,
/// the targets, and the initramfs's cpio format. (The numbers are never judged here.)
@Suite("apus bench")
struct BenchTests {
    static let second: UInt64 = 1_000_000_000

    static func run(start: UInt64, end: UInt64, rows: [String], seconds: UInt64 = 2) -> BenchOutput {
        BenchOutput(lines: [("bench start \(start)", 5 * second)] + rows.map { ($0, 6 * second) }
                    + [("bench end \(end)", (5 + seconds) * second)])
    }

    @Test func theProgramsLinesAreReadAndEverythingElseIsIgnored() {
        let output = BenchOutput(lines: [
            ("[    0.000000] Linux version 6.1.0", 1),
            ("bench start 1000\r", 10),
            ("bench row null-syscall 101 700 650 9000 null system call", 20),
            ("[    7.1] random: crng init donebench row read-64 101 1500 1400 30000 read of 64 bytes from a file\r", 30),
            ("bench row broken 101 x 1 2 label", 35),
            ("bench row fork 7 1 1 1", 36),
            ("bench end 2001000", 40),
        ])
        expectEqual(output.start, .init(ticks: 1000, hostNanoseconds: 10))
        expectEqual(output.end, .init(ticks: 2_001_000, hostNanoseconds: 40))
        expectEqual(output.rows, [
            .init(name: "null-syscall", label: "null system call", samples: 101, median: 700, minimum: 650, maximum: 9000),
            .init(name: "read-64", label: "read of 64 bytes from a file", samples: 101, median: 1500, minimum: 1400, maximum: 30000),
            .init(name: "fork", label: "fork", samples: 7, median: 1, minimum: 1, maximum: 1),
        ])
        #expect(output.isComplete)
        expectEqual(output.failure, nil)
    }

    @Test func aProgramThatGaveUpOrStoppedEarlyIsNotComplete() {
        let failed = BenchOutput(lines: [("bench start 1", 0), ("bench failed eager mmap: -12", 1), ("bench end 2", 2)])
        expectEqual(failed.failure, "eager mmap: -12")
        #expect(!failed.isComplete)
        #expect(!BenchOutput(lines: [("bench start 1", 0)]).isComplete)
    }

    @Test func theCounterIsCalibratedBetweenTheFirstAndLastLinesArrivals() throws {
        let output = Self.run(start: 1_000, end: 1_000 + 5_000_000_000, rows: [], seconds: 2)
        expectEqual(try #require(output.ticksPerSecond), 2.5e9)
        #expect(output.isLongEnoughToCalibrate)
        let short = Self.run(start: 0, end: 1_000_000, rows: [], seconds: 0)
        expectEqual(short.ticksPerSecond, nil, "no time between the lines: no rate")
        #expect(!short.isLongEnoughToCalibrate)
    }

    @Test func runsArePutTogetherByTheMedianOfMediansAndTheExtremesOfExtremes() throws {
        let runs = [
            Self.run(start: 300, end: 10, rows: ["bench row a 5 10 8 40 row a", "bench row b 5 7 7 7 row b"]),
            Self.run(start: 100, end: 10, rows: ["bench row a 5 30 5 31 row a"]),
            Self.run(start: 200, end: 10, rows: ["bench row a 5 20 9 90 row a"]),
        ]
        let summary = BenchSummary(runs: runs)
        expectEqual(summary.rows.map(\.name), [BenchSummary.bootRowName, "a", "b"])
        expectEqual(summary["boot"], .init(name: "boot", label: BenchSummary.bootRowLabel, median: 200, minimum: 100, maximum: 300, runs: 3))
        expectEqual(summary["a"], .init(name: "a", label: "row a", median: 20, minimum: 5, maximum: 90, runs: 3))
        expectEqual(summary["b"], .init(name: "b", label: "row b", median: 7, minimum: 7, maximum: 7, runs: 1))
        expectEqual(BenchSummary(runs: runs, bootRuns: [runs[1]])["boot"]?.median, 100)
        expectEqual(BenchSummary.median([4, 1, 3, 2]), 2.5)
        expectEqual(BenchSummary.median([]), 0)
    }

    @Test func durationsKeepThreeSignificantDigitsInAFittingUnit() {
        let rate = 1e9 // one tick a nanosecond
        expectEqual(BenchTable.duration(ticks: 682, ticksPerSecond: rate), "682 ns")
        expectEqual(BenchTable.duration(ticks: 1_570, ticksPerSecond: rate), "1.57 µs")
        expectEqual(BenchTable.duration(ticks: 33_900, ticksPerSecond: rate), "33.9 µs")
        expectEqual(BenchTable.duration(ticks: 136_000_000, ticksPerSecond: rate), "136 ms")
        expectEqual(BenchTable.duration(ticks: 6_910_000_000, ticksPerSecond: rate), "6.91 s")
    }

    @Test func theSideBySideTableHasARowPerOperationWithTheRatioOfMedians() {
        let apus = BenchSummary(runs: [Self.run(start: 100, end: 0, rows: ["bench row null-syscall 3 500 400 900 null system call",
                                                                          "bench row mine 3 1 1 1 only Apus"])])
        let linux = BenchSummary(runs: [Self.run(start: 4000, end: 0, rows: ["bench row null-syscall 3 1000 900 2000 null system call"])])
        let lines = BenchTable.render(apus: apus, linux: linux, ticksPerSecond: 1e9).split(separator: "\n")
        expectEqual(lines.count, 5)
        expectEqual(lines[0], "| operation | Apus median (min–max) | Linux median (min–max) | Apus/Linux |")
        expectEqual(lines[2], "| boot to the program's first line | 100 ns (100 ns–100 ns) | 4.00 µs (4.00 µs–4.00 µs) | 0.03 |")
        expectEqual(lines[3], "| null system call | 500 ns (400 ns–900 ns) | 1.00 µs (900 ns–2.00 µs) | 0.50 |")
        expectEqual(lines[4], "| only Apus | 1.00 ns (1.00 ns–1.00 ns) | – | – |")
    }

    @Test func rowsWithoutTheJournalStandBesideLinuxsRowOfTheSameOperation() {
        let journal = Self.run(start: 100, end: 0, rows: ["bench row file-fsync 3 500 400 900 fsync of a 4 KiB overwrite"])
        let noJournal = Self.run(start: 100, end: 0, rows: ["bench row file-fsync 3 250 200 300 fsync of a 4 KiB overwrite"]).marked(.withoutJournal)
        expectEqual(noJournal.rows.map(\.name), ["file-fsync-nojournal"])
        let apus = BenchSummary(runs: [journal, noJournal], bootRuns: [journal])
        let linux = BenchSummary(runs: [Self.run(start: 4000, end: 0, rows: ["bench row file-fsync 3 1000 900 2000 fsync of a 4 KiB overwrite"])])
        let lines = BenchTable.render(apus: apus, linux: linux, ticksPerSecond: 1e9).split(separator: "\n")
        expectEqual(lines.count, 5)
        expectEqual(lines[3], "| fsync of a 4 KiB overwrite | 500 ns (400 ns–900 ns) | 1.00 µs (900 ns–2.00 µs) | 0.50 |")
        expectEqual(lines[4], "| fsync of a 4 KiB overwrite (no journal) | 250 ns (200 ns–300 ns) | 1.00 µs (900 ns–2.00 µs) | 0.25 |")
        expectEqual(BenchTarget.report(apus: apus, linux: linux), ["met     fsync <= 1 x Linux: 0.50", "met     fsync, no journal, <= 1 x Linux: 0.25"])
    }

    @Test func targetsCompareWithLinuxOrWithAnotherRowAndAreSkippedWithoutTheirRows() {
        let apus = BenchSummary(runs: [Self.run(start: 1, end: 0, rows: [
            "bench row null-syscall 3 500 1 1 x", "bench row populate-per-page 3 130 1 1 x", "bench row zero-4k 3 100 1 1 x"])])
        let linux = BenchSummary(runs: [Self.run(start: 1, end: 0, rows: ["bench row null-syscall 3 1000 1 1 x"])])
        expectEqual(BenchTarget.report(apus: apus, linux: linux), [
            "not met eager populate per page <= 1.2 x zeroing 4 KiB in user space: 1.3",
            "met     null system call <= 0.5 x Linux: 0.50",
        ])
        expectEqual(BenchTarget.report(apus: apus, linux: nil).count, 1, "without Linux, only Apus's own comparisons")
    }

    /// Reads a `newc` archive back, as Linux's init/initramfs.c does.
    static func entries(of archive: Data) -> [(name: String, inode: UInt32, mode: UInt32, links: UInt32, rdev: (UInt32, UInt32), data: Data)] {
        let bytes = [UInt8](archive)
        var offset = 0
        var entries: [(name: String, inode: UInt32, mode: UInt32, links: UInt32, rdev: (UInt32, UInt32), data: Data)] = []
        func field(_ index: Int) -> UInt32 {
            let start = offset + CPIOArchive.magic.count + 8 * index
            return UInt32(String(decoding: bytes[start..<(start + 8)], as: UTF8.self), radix: 16)!
        }
        func aligned(_ value: Int) -> Int { (value + 3) & ~3 }
        while offset < bytes.count {
            expectEqual(String(decoding: bytes[offset..<(offset + 6)], as: UTF8.self), CPIOArchive.magic)
            let nameSize = Int(field(11)), fileSize = Int(field(6))
            let nameStart = offset + CPIOArchive.headerSize
            expectEqual(bytes[nameStart + nameSize - 1], 0, "names end in a NUL")
            let name = String(decoding: bytes[nameStart..<(nameStart + nameSize - 1)], as: UTF8.self)
            let dataStart = aligned(nameStart + nameSize)
            entries.append((name, field(0), field(1), field(4), (field(9), field(10)), Data(bytes[dataStart..<(dataStart + fileSize)])))
            offset = aligned(dataStart + fileSize)
            if name == CPIOArchive.trailerName { break }
        }
        expectEqual(offset, bytes.count, "nothing after the trailer")
        return entries
    }

    @Test func theInitramfsIsANewcArchiveWithTheConsoleTheProgramAsInitAndTheModules() throws {
        let program = Data("\u{7F}ELF and the rest".utf8) // 17 bytes: the data needs padding
        let archive = try LinuxMachine.initramfs(program: program, modules: [("00-virtio.ko", Data("module".utf8))])
        #expect(archive.count % CPIOArchive.alignment == 0)
        let entries = Self.entries(of: archive)
        expectEqual(entries.map(\.name), ["dev", "dev/console", "init", "proc", "mnt", "modules", "modules/00-virtio.ko", "TRAILER!!!"])
        #expect(entries[6].mode == 0o100644 && entries[6].data == Data("module".utf8))
        expectEqual(entries[0].mode, 0o040755)
        #expect(entries[1].mode == 0o020600 && entries[1].rdev == (5, 1))
        #expect(entries[2].mode == 0o100755 && entries[2].data == program)
        #expect(String(decoding: archive.prefix(CPIOArchive.headerSize), as: UTF8.self)
                == "070701" + "00000001" + "000041ED" + "00000000" + "00000000" + "00000002" + "00000000"
                + "00000000" + "00000000" + "00000000" + "00000000" + "00000000" + "00000004" + "00000000")
    }

    @Test func theHostsCpioReadsTheArchiveWhenThereIsOne() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/cpio") else {
            print("skipped: no /usr/bin/cpio on this host to cross-check the archive")
            return
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("apus-cpio-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let archive = try CPIOArchive(entries: [.init(name: "dir", kind: .directory, permissions: 0o755),
                                                .init(name: "dir/file", kind: .file(Data("hello\n".utf8)), permissions: 0o644),
                                                .init(name: "dir/link", kind: .hardLink(to: "dir/file"), permissions: 0o644)]).bytes()
        try archive.write(to: folder.appendingPathComponent("a.cpio"))
        let listing = LockedData()
        let status = try runReadingOutput(URL(fileURLWithPath: "/bin/sh"), ["-c", "cd '\(folder.path)' && cpio -i --quiet -d < a.cpio && cat dir/file dir/link && stat -c %h:%i dir/file dir/link"],
                                          onData: listing.append)
        expectEqual(status, 0)
        let lines = String(decoding: listing.data, as: UTF8.self).split(separator: "\n")
        expectEqual(lines.prefix(2), ["hello", "hello"], "the link has the file's bytes")
        #expect(lines.count == 4 && lines[2] == lines[3] && lines[2].hasPrefix("2:"), "one inode with two names: \(lines)")
    }
}
