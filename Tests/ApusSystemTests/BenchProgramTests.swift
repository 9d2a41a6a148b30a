import ApusCore
import ApusTool
import Foundation
import Testing

/// The benchmark program and `apus bench`: the output's format and every row there, never
/// a number (benchmarks measure; tests do not time).
@Suite("apus bench")
struct BenchProgramTests {
    /// The rows each kind of run reports, in order (short mode: the crowd is 2,000, not 100,000).
    static let lazyRows = ["null-syscall", "read-64", "mmap-munmap-page", "mmap-among-10", "mmap-among-1000",
                           "mmap-among-2000", "zero-4k", "copy-4k", "first-touch-per-page", "fork", "cow-per-page",
                           "pipe-round-trip", "thread-create-join"]
    static let eagerRows = ["populate-per-page", "munmap-per-page"]
    /// The file rows, measured on a disk with a journal and again on one without.
    static let fileRows = ["file-read-cold", "file-read-warm", "file-create-write-fsync-unlink", "file-fsync", "file-create-unlink",
                           "file-stat", "file-readdir"]
    /// Busybox's rows, measured by the program's Linux build with the host's busybox.
    static let busyboxRows = ["exec-true", "shell-loop", "shell-loop-per-iteration", "shell-exec-loop", "shell-exec-loop-per-iteration"]

    /// Every line is one of the program's three kinds, with numbers where numbers go.
    static func expectFormat(_ stdout: String, rows: [String]) {
        let lines = stdout.split(separator: "\n", omittingEmptySubsequences: false)
        expectEqual(lines.last, "", "the output ends with a newline")
        let body = lines.dropLast()
        #expect(body.first?.wholeMatch(of: /bench start \d+/) != nil, "first line: \(body.first ?? "")")
        #expect(body.last?.wholeMatch(of: /bench end \d+/) != nil, "last line: \(body.last ?? "")")
        let rowLines = body.dropFirst().dropLast()
        #expect(rowLines.allSatisfy { $0.wholeMatch(of: /bench row [a-z0-9-]+ [1-9]\d* \d+ \d+ \d+ [^ ].*/) != nil }, "\(stdout)")
        let output = BenchOutput(lines: body.map { (String($0), 0) })
        #expect(output.isComplete)
        expectEqual(output.rows.map(\.name), rows)
        #expect(output.rows.allSatisfy { $0.minimum <= $0.median && $0.median <= $0.maximum }, "\(output.rows)")
    }

    /// Runs `bench ROWS short` with `pager`, and checks its format and that it leaked nothing.
    static func expectShortRun(_ rows: String, pager: PagingPolicy, reports expected: [String],
                               sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try SystemUnderTest.run("bench", [rows, "short"]) { $0.pager = pager }
        expectEqual(result.exitStatus, 0, "\(result.stdout)\nlog:\n\(result.log)", sourceLocation: sourceLocation)
        expectFormat(result.stdout, rows: expected)
        expectNothingLeakedAndNoPanic(result, sourceLocation: sourceLocation)
    }

    @Test func inShortModeTheProgramPrintsEveryLazyRowAndLeaksNothing() throws {
        try Self.expectShortRun("lazy", pager: .lazy, reports: Self.lazyRows)
    }

    @Test func withTheEagerPagerTheProgramPrintsThePopulateRows() throws {
        try Self.expectShortRun("eager", pager: .eager, reports: Self.eagerRows)
    }

    @Test func anUnknownArgumentIsNamedAndBusyboxsRowsAreTheLinuxBuilds() throws {
        try expectRun("bench", ["fast"], stdout: "bench: unknown argument fast (lazy, eager, files, busybox, short)\n", status: 2)
        try expectRun("bench", ["busybox"], stdout: "bench: busybox's rows are the Linux build's (KeOS has no execve)\n", status: 2)
    }

    @Test func apusBenchPrintsATableWithARowPerOperationAndTheTargets() throws {
        try #require(BenchRun.hostBusybox != nil, "busybox's rows need the host's busybox at /usr/bin/busybox (apt-get install busybox-static; .ci/run installs it)")
        // Apus alone, even when the environment names a Linux kernel (empty means none).
        let finished = try CommandTests.apus(["bench", "--short", "--rounds", "1"], environment: ["APUS_LINUX_KERNEL": ""])
        expectEqual(finished.status, 0, "\(finished.stderr)")
        let lines = String(decoding: finished.stdout, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        expectEqual(lines.first?.hasPrefix("Apus: 1 round (short); QEMU software emulation (TCG), -cpu \(Machine.cpuModel), 512 MiB, 1 CPU for Apus; host: "), true, "\(lines.first ?? "")")
        let table = lines.filter { $0.hasPrefix("|") }
        expectEqual(table.first, "| operation | median (min–max) |")
        // The header, its rule, the boot, every row of the lazy and eager runs, the file rows
        // twice (with the journal and without), and busybox's.
        #expect(table.count == 2 + 1 + Self.lazyRows.count + Self.eagerRows.count + 2 * Self.fileRows.count + Self.busyboxRows.count,
                "\(table.joined(separator: "\n"))")
        #expect(table.dropFirst(2).allSatisfy { line in
            line.wholeMatch(of: /\| [^|]+ \| [0-9.]+ (ns|µs|ms|s) \([0-9.]+ (ns|µs|ms|s)–[0-9.]+ (ns|µs|ms|s)\) \|/) != nil
        }, "\(table.joined(separator: "\n"))")
        #expect(lines.contains("Targets, from the medians:"))
        #expect(finished.stderr.contains("apus bench: round 1 of 1: Apus, eager pager"))
        #expect(finished.stderr.contains("apus bench: round 1 of 1: Apus, file rows with a journal, then without"))
        #expect(finished.stderr.contains("apus bench: round 1 of 1: Apus, busybox's rows (the program built for Linux)"))
        expectEqual(table.suffix(Self.busyboxRows.count).first?.hasPrefix("| fork + execve + wait of busybox true | "), true, "\(table.joined(separator: "\n"))")
    }

    @Test func aBusyboxThatIsMissingOrIsNoBusyboxIsRefusedBeforeAnyBoot() throws {
        let missing = try CommandTests.apus(["bench", "--short", "--rounds", "1", "--busybox", "/nonexistent/busybox"], environment: ["APUS_LINUX_KERNEL": ""])
        expectEqual(missing.status, 2)
        #expect(missing.stderr.contains("apus: --busybox /nonexistent/busybox: no such program (a static x86-64 Linux busybox"), "\(missing.stderr)")
        let notBusybox = try CommandTests.apus(["bench", "--short", "--rounds", "1", "--busybox", "/bin/true"], environment: ["APUS_LINUX_KERNEL": ""])
        expectEqual(notBusybox.status, 125)
        #expect(notBusybox.stderr.contains("apus: /bin/true: busybox --list exited with status 0 and listed 0 applets; is it a busybox?"), "\(notBusybox.stderr)")
        #expect(!notBusybox.stderr.contains("round 1"), "no boot: \(notBusybox.stderr)")
    }

    /// A Linux kernel image for the side-by-side test, from `APUS_LINUX_KERNEL`.
    static let linuxKernel = ProcessInfo.processInfo.environment["APUS_LINUX_KERNEL"].flatMap { $0.isEmpty ? nil : $0 }

    @Test(.enabled(if: linuxKernel != nil, "skipped: set APUS_LINUX_KERNEL to a Linux kernel image (e.g. /boot/vmlinuz-*) to run the same program on Linux"))
    func theSameProgramRunsOnLinuxAndReportsTheSameRows() throws {
        try #require(BenchRun.hostBusybox != nil, "busybox's rows need the host's busybox at /usr/bin/busybox (apt-get install busybox-static)")
        var bench = BenchRun()
        bench.short = true
        bench.rounds = 1
        bench.linuxKernel = URL(fileURLWithPath: try #require(Self.linuxKernel))
        let build = UserlandBuild()
        let result = try bench.run(kernel: SystemUnderTest.kernel.get(), programs: SystemUnderTest.programs.get(), data: build.dataFiles,
                                   linuxProgram: build.buildForLinux(program: BenchRun.program))
        let linux = try #require(result.linuxSummary)
        let withJournal = [BenchSummary.bootRowName] + Self.lazyRows + Self.eagerRows + Self.fileRows
        #expect(linux.rows.map(\.name) == withJournal + Self.busyboxRows)
        #expect(result.apus.rows.map(\.name) == withJournal + Self.fileRows.map { $0 + BenchOutput.Setting.withoutJournal.nameSuffix } + Self.busyboxRows)
    }
}
