import ApusCore
import Testing

/// The model-based test of process life: seeded random runs of forks, new threads, waits,
/// wake-ups, exits and `exit_group`s on the core's process table, round-robin policy and
/// deadlock rule, against the plain ``ProcessLifeModel``. A deadlock must be found exactly
/// when the model says so, a limit must refuse exactly when the model says so, and every
/// end must go in the model's order. A failure reports the seed and the shortest action
/// list that still fails.
@Suite("Model-based test of process life")
struct ProcessLifeModelTests {
    /// 5,000 a run; 20,000 in the long tier (``TestTier``).
    static let actionsPerRun = TestTier.count(short: 5_000, long: 20_000)

    @Test(arguments: [0x11FE_0001 as UInt64, 0x11FE_0002, 0x11FE_0003, 0x11FE_0004])
    func processLifeAgreesWithTheModel(seed: UInt64) {
        var generator = LifeActionGenerator(seed: seed)
        let runner = ProcessLifeRunner()
        let (actions, divergence) = runner.run { step, _ in step < Self.actionsPerRun ? generator.next() : nil }
        if let divergence {
            let failing = Array(actions.prefix(divergence.step + 1))
            let shortest = shrink(failing) { ProcessLifeRunner.replay($0) != nil }
            Issue.record("""
                seed \(hexadecimal(seed)): \(divergence)
                shortest reproduction (\(shortest.count) actions), failing with \(ProcessLifeRunner.replay(shortest).map { "\($0)" } ?? "?"):
                \(shortest.map { "  \($0)" }.joined(separator: "\n"))
                """)
            return
        }
        // The run went through every rule, both ways.
        let counts = runner.counts
        #expect(counts.forks > 0 && counts.refusedForks > 0, "forks made \(counts.forks), refused \(counts.refusedForks)")
        #expect(counts.threads > 0 && counts.refusedThreads > 0, "threads made \(counts.threads), refused \(counts.refusedThreads)")
        #expect(counts.deadlocks > 0 && counts.outsideWaits > 0, "deadlocks \(counts.deadlocks), waits for the outside \(counts.outsideWaits)")
        #expect(counts.runs > 1 && counts.ends > 0, "runs \(counts.runs), processes ended \(counts.ends)")
    }

    @Test func aThreadWaitingForItselfIsADeadlockThatEndsTheRun() {
        // The first process's only thread waits on a condition only a thread can bring
        // about: the next step finds the deadlock and ends the process (and the run), the
        // thread then runs only to end, and the step after that starts a new run.
        let runner = ProcessLifeRunner()
        let actions: [LifeAction] = [.wait(0), .yield, .yield, .yield]
        #expect(runner.run { step, _ in step < actions.count ? actions[step] : nil }.divergence == nil)
        #expect(runner.counts.deadlocks == 1 && runner.counts.runs == 2)
    }

    @Test func aThreadWaitingForTheOutsideIsWokenNotEnded() {
        let runner = ProcessLifeRunner()
        #expect(runner.run { step, _ in step < 3 ? [.wait(ProcessLifeModel.outsideCondition), .yield, .yield][step] : nil }.divergence == nil)
        #expect(runner.counts.deadlocks == 0 && runner.counts.outsideWaits == 1 && runner.counts.runs == 1)
    }

    @Test func theLimitsRefuseTheSixtyFifthProcessAndTheHundredTwentyNinthThread() {
        let runner = ProcessLifeRunner()
        let forks = [LifeAction](repeating: .fork, count: 64)
        #expect(runner.run { step, _ in step < forks.count ? forks[step] : nil }.divergence == nil)
        #expect(runner.counts.forks == 63 && runner.counts.refusedForks == 1)
        let more = [LifeAction](repeating: .createThread, count: 65)
        #expect(runner.run { step, _ in step < more.count ? more[step] : nil }.divergence == nil)
        #expect(runner.counts.threads == 64 && runner.counts.refusedThreads == 1)
    }

    @Test func aModelWithTheWrongLimitIsCaughtAtTheStepThatCrossesIt() {
        // A model that allows a 129th thread disagrees with the table at the 128th
        // thread_create (the first thread is the process's own): the test notices there.
        let runner = ProcessLifeRunner()
        runner.model.threadLimit = 129
        let actions = [LifeAction](repeating: .createThread, count: 130)
        let divergence = runner.run { step, _ in step < actions.count ? actions[step] : nil }.divergence
        expectEqual(divergence?.step, 127)
        expectEqual(divergence?.message.contains("thread_create gave NoMemory"), true, "\(divergence.map { "\($0)" } ?? "none")")
    }
}
