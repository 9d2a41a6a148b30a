import ApusCore
import Testing

/// One step of the simulated machine: CPUs tick, threads start, wait, wake and end.
enum CPUAction: Equatable, CustomStringConvertible {
    /// A new thread becomes ready.
    case spawn
    /// CPU `n`'s timer ticks: its thread's slice ends (or, idle, it looks for work).
    case tick(Int)
    /// CPU `n`'s thread waits.
    case block(Int)
    /// The `n`-th waiting thread (modulo how many wait) is woken.
    case wake(Int)
    /// CPU `n`'s thread ends.
    case end(Int)

    var description: String {
        switch self {
        case .spawn: "spawn"
        case .tick(let cpu): "tick(\(cpu))"
        case .block(let cpu): "block(\(cpu))"
        case .wake(let index): "wake(\(index))"
        case .end(let cpu): "end(\(cpu))"
        }
    }
}

/// N simulated CPUs driving ``PerCPURunQueues`` as the kernel's scheduler does, against a
/// plain model: the set of ready threads, the thread each CPU runs, the waiting ones.
struct PerCPUSimulation {
    let cpuCount: Int
    var policy: PerCPURunQueues<Int>
    var running: [Int?]
    var lastCPU: [Int: CPUIndex] = [:]
    var ready: Set<Int> = []
    var waiting: [Int] = []
    var nextID = 1
    /// How many slices each CPU ran, and which CPUs ran each thread.
    var slices: [Int]
    var cpusOf: [Int: Set<Int>] = [:]

    init(cpuCount: Int) {
        self.cpuCount = cpuCount
        policy = PerCPURunQueues(cpuCount: cpuCount)
        running = Array(repeating: nil, count: cpuCount)
        slices = Array(repeating: 0, count: cpuCount)
    }

    /// `cpu` asks for its next thread: it must come from the ready set, and only an empty
    /// ready set may leave the CPU idle (stealing).
    mutating func dispatch(_ cpu: Int) -> String? {
        guard let thread = policy.next(on: CPUIndex(cpu)) else {
            running[cpu] = nil
            return ready.isEmpty ? nil : "CPU \(cpu) idles while \(ready.count) threads are ready"
        }
        guard ready.remove(thread) != nil else {
            return running.contains(thread) ? "thread \(thread) runs twice at once" : "thread \(thread) ran but was not ready"
        }
        running[cpu] = thread
        lastCPU[thread] = CPUIndex(cpu)
        slices[cpu] += 1
        cpusOf[thread, default: []].insert(cpu)
        return nil
    }

    /// `thread` is ready; an idle CPU that takes it runs it at once (the kernel interrupts
    /// it), unless it is `asking`, which looks for its next thread itself.
    mutating func enqueue(_ thread: Int, _ reason: ReadyReason, asking: Int? = nil) -> String? {
        guard let target = policy.enqueue(thread, reason) else { return "the policy took a thread for no CPU" }
        ready.insert(thread)
        if running[target.value] == nil, target.value != asking { return dispatch(target.value) }
        return nil
    }

    /// Applies `action`; the first broken promise, if any.
    mutating func apply(_ action: CPUAction) -> String? {
        switch action {
        case .spawn:
            let thread = nextID
            nextID += 1
            return enqueue(thread, .new)
        case .tick(let cpu):
            guard let thread = running[cpu] else { return dispatch(cpu) }
            // The CPU has switched away from the thread before another may run it.
            running[cpu] = nil
            if let failure = enqueue(thread, .preempted(on: CPUIndex(cpu)), asking: cpu) { return failure }
            return dispatch(cpu)
        case .block(let cpu):
            guard let thread = running[cpu] else { return nil }
            running[cpu] = nil
            waiting.append(thread)
            return dispatch(cpu)
        case .wake(let index):
            guard !waiting.isEmpty else { return nil }
            let thread = waiting.remove(at: index % waiting.count)
            // Woken by a thread running on some CPU (or by the kernel, with no thread).
            let waker = running.indices.first { running[$0] != nil && ($0 + index) % 3 == 0 }.map { CPUIndex($0) }
            return enqueue(thread, .woken(lastCPU: lastCPU[thread]!, by: waker))
        case .end(let cpu):
            guard running[cpu] != nil else { return nil }
            running[cpu] = nil
            return dispatch(cpu)
        }
    }

    /// The model and the policy agree on how many threads are ready.
    func check() -> String? {
        policy.readyCount == ready.count ? nil : "the policy holds \(policy.readyCount) ready threads, the model \(ready.count)"
    }

    /// Every CPU takes what is left: exactly the model's ready threads come out, once each.
    mutating func drain() -> String? {
        var seen: Set<Int> = []
        for cpu in 0..<cpuCount {
            while let thread = policy.next(on: CPUIndex(cpu)) {
                guard seen.insert(thread).inserted else { return "thread \(thread) came out twice" }
            }
        }
        return seen == ready ? nil : "drained \(seen.sorted()), the model had \(ready.sorted()) ready"
    }

    /// Runs `actions`; the index and description of the first divergence, if any.
    static func replay(_ actions: [CPUAction], cpus: Int) -> (step: Int, reason: String)? {
        var simulation = PerCPUSimulation(cpuCount: cpus)
        for (step, action) in actions.enumerated() {
            if let failure = simulation.apply(action) ?? simulation.check() { return (step, failure) }
        }
        if let failure = simulation.drain() { return (actions.count, failure) }
        return nil
    }
}

/// The per-CPU run queues on N simulated CPUs: random spawns, ticks, waits, wake-ups and
/// ends against a plain model. No thread is lost or runs on two CPUs at once, no CPU idles
/// while a thread is ready (it steals), every CPU gets work when there is enough, and none
/// runs all of it. A failure reports the seed and the shortest action list that still fails.
@Suite("Model-based test of per-CPU run queues")
struct PerCPUSchedulingModelTests {
    static func randomActions(seed: UInt64, count: Int, cpus: Int) -> [CPUAction] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in
            let cpu = Int.random(in: 0..<cpus, using: &random)
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<12: return .spawn
            case 12..<60: return .tick(cpu)
            case 60..<75: return .block(cpu)
            case 75..<92: return .wake(Int.random(in: 0..<64, using: &random))
            default: return .end(cpu)
            }
        }
    }

    @Test(arguments: [(0x5C_0001 as UInt64, 2), (0x5C_0002, 4), (0x5C_0003, 4), (0x5C_0004, 7), (0x5C_0005, 16)])
    func thePolicyAgreesWithTheModel(seed: UInt64, cpus: Int) {
        let actions = Self.randomActions(seed: seed, count: 20_000, cpus: cpus)
        guard let divergence = PerCPUSimulation.replay(actions, cpus: cpus) else { return }
        let failing = Array(actions.prefix(divergence.step + 1))
        let shortest = shrink(failing) { PerCPUSimulation.replay($0, cpus: cpus) != nil }
        Issue.record("""
            seed \(hexadecimal(seed)), \(cpus) CPUs, step \(divergence.step): \(divergence.reason)
            shortest reproduction: \(shortest)
            """)
    }

    @Test(arguments: [2, 4, 16])
    func withEnoughWorkEveryCPURunsSomeAndNoneRunsAll(cpus: Int) {
        // 40 threads that never wait, the timers of all CPUs ticking in turn.
        var simulation = PerCPUSimulation(cpuCount: cpus)
        for _ in 0..<40 { expectEqual(simulation.apply(.spawn), nil) }
        for round in 0..<400 { expectEqual(simulation.apply(.tick(round % cpus)), nil) }
        let total = simulation.slices.reduce(0, +)
        #expect(simulation.slices.allSatisfy { $0 > 0 }, "every CPU ran threads: \(simulation.slices)")
        #expect(simulation.slices.allSatisfy { $0 < total }, "no CPU ran all of them")
        expectEqual(simulation.cpusOf.count, 40, "every thread ran")
    }

    @Test func newThreadsGoToTheLeastLoadedCPU() {
        var policy = PerCPURunQueues<Int>(cpuCount: 3)
        expectEqual(policy.enqueue(1, .new), 0)
        expectEqual(policy.next(on: 0), 1, "CPU 0 runs thread 1")
        #expect(policy.enqueue(2, .new) == 1 && policy.enqueue(3, .new) == 2, "then the idle CPUs")
        expectEqual(policy.enqueue(4, .new), 0, "then the least loaded, lowest first")
        expectEqual(policy.enqueue(5, .new), 1)
        #expect(policy.load(of: 0) == 2 && policy.load(of: 1) == 2 && policy.load(of: 2) == 1)
    }

    @Test func aCPUWhoseQueueRunsDryStealsFromTheBusiest() {
        var policy = PerCPURunQueues<Int>(cpuCount: 3)
        for thread in 1...3 { _ = policy.enqueue(thread, .new) }
        for cpu in 0..<3 { #expect(policy.next(on: CPUIndex(cpu)) == cpu + 1, "each CPU runs one") }
        _ = policy.enqueue(4, .new)
        _ = policy.enqueue(5, .new)
        _ = policy.enqueue(6, .new)
        #expect((0..<3).allSatisfy { policy.readyCount(on: CPUIndex($0)) == 1 }, "one more each")
        #expect(policy.next(on: 2) == 6 && policy.steals == 0, "CPU 2's thread waits: the next is its own")
        // That one waits too: CPU 2's queue is empty.
        expectEqual(policy.next(on: 2), 4, "it takes the front of the busiest queue, CPU 0's")
        #expect(policy.steals == 1 && policy.readyCount(on: 0) == 0 && policy.readyCount(on: 1) == 1)
    }

    @Test func aThreadQueuedForAnIdleCPUIsLeftToItButAnOfflineCPUsAreTaken() {
        var policy = PerCPURunQueues<Int>(cpuCount: 3)
        _ = policy.enqueue(1, .new)
        expectEqual(policy.next(on: 0), 1)
        expectEqual(policy.enqueue(2, .new), 1, "CPU 1 idles: the thread is queued for it")
        #expect(policy.next(on: 2) == nil && policy.steals == 0, "CPU 2 leaves it to CPU 1, which the kernel woke")
        expectEqual(policy.next(on: 1), 2)
        policy.setOnline(CPUSet([0, 1] as [CPUIndex]))
        #expect(policy.enqueue(3, .new) == 0 || policy.enqueue(3, .new) == 1)
        #expect(policy.enqueue(4, .woken(lastCPU: 2)) != 2, "CPU 2 is not online: never placed there")
        var stranded = PerCPURunQueues<Int>(cpuCount: 2)
        _ = stranded.enqueue(5, .woken(lastCPU: 1))
        stranded.setOnline(CPUSet([0] as [CPUIndex]))
        expectEqual(stranded.next(on: 0), 5, "a thread left on a CPU that went offline is taken")
    }

    @Test func aWokenThreadGoesToItsWakersCPUWhenNothingElseWaitsThere() {
        var policy = PerCPURunQueues<Int>(cpuCount: 3)
        _ = policy.enqueue(1, .new)
        expectEqual(policy.next(on: 0), 1, "thread 1 runs on CPU 0")
        expectEqual(policy.enqueue(2, .woken(lastCPU: 2, by: 0)), 0, "thread 1 woke it: it waits for CPU 0, which 1 will soon leave")
        expectEqual(policy.enqueue(3, .woken(lastCPU: 2, by: 0)), 2, "CPU 0 has a thread queued now: back to its own, idle")
    }

    @Test func aWokenThreadGoesBackToItsCPUUnlessAnotherHasLessLoad() {
        var policy = PerCPURunQueues<Int>(cpuCount: 2)
        _ = policy.enqueue(1, .new)
        _ = policy.next(on: 0)
        expectEqual(policy.enqueue(2, .woken(lastCPU: 1)), 1, "its last CPU is idle")
        _ = policy.next(on: 1)
        expectEqual(policy.enqueue(3, .woken(lastCPU: 1)), 1, "equal load: it stays with its caches")
        expectEqual(policy.enqueue(5, .woken(lastCPU: 1)), 0, "CPU 0 has less load now")
    }

    @Test func aPreemptedThreadMovesOnlyWhenAnotherCPUHasTwoLessLoad() {
        var policy = PerCPURunQueues<Int>(cpuCount: 2)
        _ = policy.enqueue(1, .preempted(on: 0))
        _ = policy.next(on: 0)
        _ = policy.enqueue(2, .preempted(on: 0))
        // CPU 0 runs 1 with 2 queued; CPU 1 idles: 1 ends its slice.
        expectEqual(policy.enqueue(1, .preempted(on: 0)), 1, "two less load on CPU 1: it moves there")
        expectEqual(policy.migrations, 1)
        var single = PerCPURunQueues<Int>(cpuCount: 2)
        _ = single.enqueue(1, .new)
        _ = single.next(on: 0)
        expectEqual(single.enqueue(1, .preempted(on: 0)), 0, "alone, it stays")
    }
}
