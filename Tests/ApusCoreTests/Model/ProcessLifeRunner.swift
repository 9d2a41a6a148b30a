import ApusCore

/// What the running thread does in one step of the process-life test. The thread is whoever
/// the scheduling policy picks, so a list of actions replays exactly.
enum LifeAction: Hashable, CustomStringConvertible {
    /// Its time slice ends.
    case yield
    /// It waits on condition `k` (0–3; 3 is the outside's).
    case wait(Int)
    /// It wakes every waiter of condition `k`, then yields.
    case wake(Int)
    /// It exits with a status.
    case exit(Int32)
    /// Its process ends with a status.
    case exitGroup(Int32)
    /// It forks, then yields.
    case fork
    /// It starts a thread of its process, then yields.
    case createThread

    var description: String {
        switch self {
        case .yield: "yield"
        case .wait(let k): "wait(\(k))"
        case .wake(let k): "wake(\(k))"
        case .exit(let status): "exit(\(status))"
        case .exitGroup(let status): "exitGroup(\(status))"
        case .fork: "fork"
        case .createThread: "createThread"
        }
    }
}

/// Where the core and the model first disagreed.
struct LifeDivergence: Error, CustomStringConvertible {
    var step: Int
    var action: LifeAction
    var message: String
    var description: String { "step \(step), \(action): \(message)" }
}

/// What a run of the test went through, to show that it reached every rule.
struct LifeCounts {
    var runs = 0, forks = 0, refusedForks = 0, threads = 0, refusedThreads = 0
    var deadlocks = 0, outsideWaits = 0, ends = 0
}

/// Runs ``LifeAction``s on the core's process table, round-robin policy, wait queues,
/// thread groups and deadlock rule, driven the way the kernel drives them (the mechanism is
/// this runner: it switches, makes threads wait and wake, frees ended threads at the next
/// step), and on the plain ``ProcessLifeModel``, and compares after every step: who runs,
/// the ids a fork or a new thread gets or the refusal, the steps of every process's end,
/// the live processes and their parents, the threads counted, the verdict when no thread is
/// ready, and each run's status.
final class ProcessLifeRunner {
    struct SimulatedThread {
        let id: ThreadID
        let process: ProcessID
        var state = ThreadState.ready
        var mustEnd = false
    }

    var model = ProcessLifeModel()
    var counts = LifeCounts()
    private var table = ProcessTable<ProcessID>()
    private var policy = RoundRobin<ThreadID>()
    private var threads: [SimulatedThread] = []
    private var groups: [ProcessID: ThreadGroup] = [:]
    private let conditions = (0..<ProcessLifeModel.conditionCount).map { index in
        ConditionVariable("condition", source: index == ProcessLifeModel.outsideCondition ? .outside : .threads)
    }

    init() { startRun() }

    static func replay(_ actions: [LifeAction]) -> LifeDivergence? {
        let runner = ProcessLifeRunner()
        return runner.run { step, _ in step < actions.count ? actions[step] : nil }.divergence
    }

    /// Runs the actions `next` gives (by step and model) until it returns `nil` or the two
    /// sides disagree.
    func run(_ next: (Int, ProcessLifeModel) -> LifeAction?) -> (actions: [LifeAction], divergence: LifeDivergence?) {
        var actions: [LifeAction] = []
        var step = 0
        while let action = next(step, model) {
            actions.append(action)
            if let message = perform(action) ?? compare() {
                return (actions, LifeDivergence(step: step, action: action, message: message))
            }
            step += 1
        }
        return (actions, nil)
    }

    private func startRun() {
        table = ProcessTable()
        policy = RoundRobin()
        threads = []
        groups = [:]
        let first = ProcessTable<ProcessID>.firstProcessID
        table.startFirst(first)
        admit(first.mainThread, of: first)
        groups[first] = ThreadGroup(main: first.mainThread)
        model.startRun()
        counts.runs += 1
    }

    private func admit(_ thread: ThreadID, of process: ProcessID) {
        threads.append(SimulatedThread(id: thread, process: process))
        policy.enqueue(thread)
    }

    private func index(of thread: ThreadID) -> Int { threads.firstIndex { $0.id == thread }! }

    /// One step: free what ended, then either the next ready thread acts, or, with none
    /// ready, the machine does what the deadlock rule says.
    private func perform(_ action: LifeAction) -> String? {
        for thread in threads where thread.state == .ended { table.threadFreed() }
        threads.removeAll { $0.state == .ended }
        model.threads.removeAll { $0.state == .ended }
        guard let thread = policy.next() else { return idle() }
        let expected = model.line.isEmpty ? nil : model.line.removeFirst()
        guard thread.value == expected else { return "thread \(thread) runs, the model runs \(expected.map { "\($0)" } ?? "none")" }
        let me = index(of: thread)
        if threads[me].mustEnd {
            threads[me].state = .ended
            model.threads[model.index(ofThread: thread.value)!].state = .ended
            return nil
        }
        let process = threads[me].process
        switch action {
        case .yield:
            policy.enqueue(thread)
            model.line.append(thread.value)
        case .wait(let k):
            conditions[k].enqueue(thread)
            threads[me].state = .waiting(conditions[k].waiters)
            model.threads[model.index(ofThread: thread.value)!].state = .waiting(k)
            model.waiters[k].append(thread.value)
        case .wake(let k):
            broadcast(k)
            model.wake(k)
            policy.enqueue(thread)
            model.line.append(thread.value)
        case .exit(let status):
            let processStatus = groups[process]!.end(thread, status: status)
            broadcast(ProcessLifeModel.threadEndCondition)
            threads[me].state = .ended
            let steps = processStatus.map { finish(process, status: Int64($0), running: thread) } ?? []
            let expected = model.exitThread(thread.value, status: status)
            if steps != expected { return "the end went \(steps), the model says \(expected)" }
        case .exitGroup(let status):
            let steps = finish(process, status: Int64(status), running: thread)
            threads[me].state = .ended
            model.threads[model.index(ofThread: thread.value)!].state = .ended
            let expected = model.end(process.value, status: Int64(status), running: thread.value)
            if steps != expected { return "the end went \(steps), the model says \(expected)" }
        case .fork:
            let child = try? table.fork(from: process) { id in id }
            if let child {
                admit(child.mainThread, of: child)
                groups[child] = ThreadGroup(main: child.mainThread)
            }
            child == nil ? (counts.refusedForks += 1) : (counts.forks += 1)
            let expected = model.fork(from: process.value)
            if child?.value != expected { return "fork gave \(child.map { "\($0)" } ?? "NoMemory"), the model says \(expected.map { "\($0)" } ?? "NoMemory")" }
            policy.enqueue(thread)
            model.line.append(thread.value)
        case .createThread:
            let new = try? table.startThread { id in groups[process]!.add(id) }
            if let new { admit(new, of: process) }
            new == nil ? (counts.refusedThreads += 1) : (counts.threads += 1)
            let expected = model.createThread(in: process.value)
            if new?.value != expected { return "thread_create gave \(new.map { "\($0)" } ?? "NoMemory"), the model says \(expected.map { "\($0)" } ?? "NoMemory")" }
            policy.enqueue(thread)
            model.line.append(thread.value)
        }
        return nil
    }

    /// No thread is ready: the deadlock rule decides, as in the kernel's run loop.
    private func idle() -> String? {
        let verdict = DeadlockRule.verdict(threads.map(\.state))
        guard verdict == model.verdict else { return "the rule says \(verdict), the model says \(model.verdict)" }
        switch verdict {
        case .runs:
            return "a thread is ready but the policy has none"
        case .over:
            guard table.runStatus == model.runStatus, table.entries.isEmpty else {
                return "the run ended with \(table.runStatus.map { "\($0)" } ?? "no status"), the model says \(model.runStatus.map { "\($0)" } ?? "none")"
            }
            startRun()
        case .waitsForOutside:
            counts.outsideWaits += 1
            broadcast(ProcessLifeModel.outsideCondition)
            model.wake(ProcessLifeModel.outsideCondition)
        case .deadlock:
            counts.deadlocks += 1
            let waiting = threads.filter { if case .waiting = $0.state { true } else { false } }
            for thread in waiting {
                let steps = finish(thread.process, status: -1, running: nil)
                let expected = model.end(thread.process.value, status: -1, running: nil)
                if steps != expected { return "the deadlock's end went \(steps), the model says \(expected)" }
            }
        }
        return nil
    }

    private func broadcast(_ k: Int) {
        for id in conditions[k].broadcast() { makeReady(id) }
    }

    private func makeReady(_ id: ThreadID) {
        guard let index = threads.firstIndex(where: { $0.id == id }), case .waiting = threads[index].state else { return }
        threads[index].state = .ready
        policy.enqueue(id)
    }

    /// Carries out the table's steps of `process`'s end, as the kernel does.
    private func finish(_ process: ProcessID, status: Int64, running: ThreadID?) -> [ProcessEndStep<ProcessID>] {
        let steps = table.end(process, status: status)
        for step in steps {
            switch step {
            case .endOtherThreads(let ending):
                for index in threads.indices where threads[index].process == ending && threads[index].id != running && threads[index].state != .ended {
                    threads[index].mustEnd = true
                    if case .waiting(let queue) = threads[index].state {
                        queue.remove(threads[index].id)
                        threads[index].state = .ready
                        policy.enqueue(threads[index].id)
                    }
                }
            case .closeFiles:
                broadcast(ProcessLifeModel.filesCondition)
            case .left:
                counts.ends += 1
            case .record, .endRun, .endWithRun:
                break
            }
        }
        return steps
    }

    /// The table against the model, after every step.
    private func compare() -> String? {
        let live = table.entries.map { "\($0.id)<\($0.parent.map { "\($0)" } ?? "-")" }
        let expected = model.processes.map { "\($0.id)<\($0.parent.map { "\($0)" } ?? "-")" }
        if live != expected { return "live processes \(live), the model has \(expected)" }
        if table.threadCount != model.threads.count { return "\(table.threadCount) threads counted, the model has \(model.threads.count)" }
        let states = threads.map { "\($0.id):\($0.state == .ready ? "r" : $0.state == .ended ? "e" : "w")\($0.mustEnd ? "!" : "")" }
        let modelStates = model.threads.map { "\($0.id):\($0.state == .ready ? "r" : $0.state == .ended ? "e" : "w")\($0.mustEnd ? "!" : "")" }
        if states != modelStates { return "threads \(states), the model has \(modelStates)" }
        return nil
    }
}

/// Random actions, mostly ones that make processes and threads, with enough waiting and
/// ending that runs deadlock, idle for the outside and end.
struct LifeActionGenerator {
    var random: SeededRandom

    init(seed: UInt64) { random = SeededRandom(seed: seed) }

    mutating func next() -> LifeAction {
        let roll = Int.random(in: 0..<100, using: &random)
        switch roll {
        case 0..<28: return .fork
        case 28..<50: return .createThread
        case 50..<62: return .yield
        case 62..<74: return .wait(Int.random(in: 0..<ProcessLifeModel.conditionCount, using: &random))
        case 74..<86: return .wake(Int.random(in: 0..<ProcessLifeModel.conditionCount, using: &random))
        case 86..<97: return .exit(Int32.random(in: -2...9, using: &random))
        default: return .exitGroup(Int32.random(in: -2...9, using: &random))
        }
    }
}
