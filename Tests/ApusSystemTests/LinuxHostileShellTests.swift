import ApusCore
import ApusTool
import Foundation
import Testing

/// What a hostile shell user does to the kernel through Debian's busybox (ABI.md §7):
/// fork bombs and a full descriptor table. The process table's limit answers the bombs
/// with EAGAIN, as Linux's `RLIMIT_NPROC` does, the descriptor table's with EMFILE; the
/// shells end as on Linux, and the kernel gives every frame and kernel stack back.
///
/// The bombs run with the lazy pager whatever the suite's: under the eager one, each busybox
/// a bomb starts takes the frames of its whole 8 MiB stack at once, so memory runs out
/// (`execve` is ENOMEM) before the process limit is reached.
@Suite("Linux programs: hostile shells")
struct LinuxHostileShellTests {
    /// The processes a run may have at once; the run's first is the shell of the script.
    static let processLimit = ProcessTable<Never>.processLimit

    /// One boot, two attacks, each ended by a limit:
    /// * a shell opens a file on every descriptor from 3 on until the table is full (EMFILE);
    ///   its EXIT trap says which descriptor was refused;
    /// * a bounded bomb, twice: a shell forks sleepers until fork fails with EAGAIN, which
    ///   ends a non-interactive shell with status 2; its EXIT trap then ends the sleepers
    ///   and waits for each, so the second round finds every process back.
    static let script = """
        busybox sh -c 'trap "echo \\"descriptor \\$i refused\\"" EXIT; i=3; while :; do eval "exec $i</script.sh"; i=$((i+1)); done' 2>&1
        echo "descriptors: status $?"
        for round in 1 2; do
            busybox sh -c 'trap "kill \\$pids; wait; echo \\"forked \\$n, all ended\\"" EXIT; n=0; while :; do busybox sleep 1000 & pids="$pids $!"; n=$((n+1)); done' 2>&1
            echo "bounded bomb: status $?"
        done
        """

    /// What the script prints: busybox's messages are Linux's (checked on Linux with
    /// `prlimit --nofile=1024` and, as a user other than root, `--nproc`), the counts
    /// Apus's limits. The bounded bomb's shell is the script's child: beside the two shells,
    /// the table holds ``processLimit`` − 2 sleepers.
    static var expectedOutput: String {
        let bounded = """
            sh: can't fork: Resource temporarily unavailable
            forked \(processLimit - 2), all ended
            bounded bomb: status 2

            """
        return """
            sh: eval: line 0: can't open /script.sh: Too many open files
            descriptor \(fileDescriptorLimit) refused
            descriptors: status 1

            """ + bounded + bounded
    }

    /// Runs `script` as `/script.sh` with busybox, on `cpus` CPUs and the lazy pager; a run
    /// that has not ended after `timeout` seconds fails. `prepare` may add files to the
    /// folder that joins the root (nil: no busybox on this host, an issue recorded).
    static func run(_ script: String, cpus: Int, timeout: TimeInterval,
                    files prepare: (URL) throws -> Void = { _ in }) throws -> ProgramRun.Result? {
        var result: ProgramRun.Result?
        try LinuxProgramTests.withBusybox { _, files in
            try Data(script.utf8).write(to: files.appendingPathComponent("script.sh"))
            try prepare(files)
            result = try SystemUnderTest.run("busybox", ["sh", "/script.sh"], rootfs: [files]) { run in
                run.pager = .lazy
                run.machine.cpus = cpus
                run.machine.timeout = timeout
            }
        }
        return result
    }

    static func expectLimitsAnswered(cpus: Int) throws {
        guard let result = try run(script, cpus: cpus, timeout: 60) else { return }
        expectEqual(result.problem, nil, "kernel log:\n\(result.log)")
        expectEqual(result.stdout, Self.expectedOutput)
        expectEqual(result.exitStatus, 0)
        expectNothingLeakedAndNoPanic(result)
    }

    @Test func boundedForkBombsAndAFullDescriptorTableEndAtTheLimitsAndGiveEverythingBack() throws {
        try Self.expectLimitsAnswered(cpus: SystemUnderTest.cpus)
    }

    @Test func boundedForkBombsOnTwoCPUsEndAtTheLimitsAndGiveEverythingBack() throws {
        try Self.expectLimitsAnswered(cpus: max(SystemUnderTest.cpus, 2))
    }

    static let longTests = TestTier.isLong

    /// The classic bomb, `f() { f | f & }; f`, until the process limit answers (`grep`,
    /// started beside it, reads the bombs' errors and ends at the first "can't fork"); the
    /// script then exits with 3, and the processes still forking end with the run. A long
    /// test: the bombs' orphans are the run's first process's to reap (ABI.md §7), and a
    /// shell that competes with 60 bombs for the CPU takes seconds to reap them.
    static let classicScript = """
        f() { f | f & }
        f 2>&1 | busybox grep -q "can't fork: Resource temporarily unavailable" && echo "the process limit answered"
        exit 3
        """

    @Test(.enabled(if: longTests, "a long test: APUS_LONG_TESTS=1"), arguments: [1, 2])
    func theClassicForkBombEndsAtTheProcessLimitAndTheRunEndsItsSurvivors(cpus: Int) throws {
        guard let result = try Self.run(Self.classicScript, cpus: cpus, timeout: 120) else { return }
        expectEqual(result.problem, nil, "kernel log:\n\(result.log)")
        expectEqual(result.stdout, "the process limit answered\n")
        expectEqual(result.exitStatus, 3)
        expectNothingLeakedAndNoPanic(result)
    }

    /// The classic bomb beside a program that holds every frame but 2 MiB (Fixtures/
    /// linuxhold.c): frames and processes run out at once. Forks fail with ENOMEM and with
    /// EAGAIN (the bombs say so on standard error), bombs whose faults find no frame end,
    /// and the script's shell ends the run once the sleeper it started first has ended; the
    /// run gives everything back. With so few frames, any process whose next page is not in
    /// memory may be one whose fault finds none, the script's shell too; then the run's
    /// status says so.
    static let raceScript = """
        busybox sleep 10 & timer=$!
        busybox sleep 1000 | /linuxhold 2 >/tmp/held &
        until [ -s /tmp/held ]; do :; done
        f() { f | f & }
        f
        wait $timer
        exit 3
        """

    @Test(.enabled(if: longTests, "a long test: APUS_LONG_TESTS=1"), arguments: [1, 2])
    func aForkBombBesideAProgramHoldingEveryFrameStopsNothing(cpus: Int) throws {
        let result = try Self.run(Self.raceScript, cpus: cpus, timeout: 120) { files in
            try LinuxProgramTests.buildWithHostCompiler("linuxhold", into: files)
        }
        guard let result else { return }
        expectEqual(result.problem, nil, "kernel log:\n\(result.log)")
        #expect(result.stderr.contains("can't fork: Resource temporarily unavailable"), "the process limit answered")
        #expect(result.stderr.contains("can't fork: Cannot allocate memory"), "memory ran out")
        #expect(result.logLines.contains { $0.contains(": page fault at ") && $0.contains("no frame left") }, "faults found no frame")
        let shellStarved = result.logLines.contains { $0.hasPrefix("process 1: page fault") && $0.contains("no frame left") }
        expectEqual(result.exitStatus, (shellStarved ? -1 : 3))
        expectNothingLeakedAndNoPanic(result)
    }
}
