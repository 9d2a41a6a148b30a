import ApusCore

/// The plain model of process life that the model-based test holds the core against: a
/// run's processes and threads as arrays, written from ABI.md §5 and the kernel's contract,
/// not from the core's code.
///
/// * Ids count up from 1, one sequence for processes and threads; the first process of a
///   run has none for parent. A process whose parent ends is adopted by the first process
///   (ABI.md §7).
/// * A fork is refused (NoMemory) with 64 processes alive or 128 threads not yet freed; a
///   new thread with 128 threads not yet freed. A refused call uses no id.
/// * Ready threads run first come, first served; a thread that waits leaves the line, a
///   woken one joins its end.
/// * A process ends when its last thread ends (with its main thread's status), or at
///   `exit_group`; its other threads must end (a waiting one joins the line for that)
///   before the waiters of its files are woken. The first process's end ends every other,
///   in the order they started, with status −1.
/// * With no thread ready: none waiting means the run is over; one waiting on the outside
///   condition means the machine idles until the outside wakes its waiters; otherwise the
///   waiting threads are deadlocked, and their processes end with status −1.
struct ProcessLifeModel {
    enum State: Equatable {
        case ready
        case waiting(Int)
        case ended
    }

    struct Thread {
        let id: Int
        let process: Int
        var state = State.ready
        var mustEnd = false
    }

    struct Process {
        let id: Int
        var parent: Int?
        /// Its threads that have not ended (by their own exit).
        var running: [Int]
        let main: Int
        var mainStatus: Int32?
    }

    /// The limits (ABI.md §5); a test may set them wrong on purpose.
    var processLimit = 64
    var threadLimit = 128
    /// Condition 0 is woken when a process's files close; 1 when a thread ends; 3 is the
    /// one the outside can bring about.
    static let conditionCount = 4
    static let filesCondition = 0, threadEndCondition = 1, outsideCondition = 3

    var nextID = 1
    var processes: [Process] = []
    /// Threads not yet freed, in the order they started.
    var threads: [Thread] = []
    var line: [Int] = []
    var waiters = [[Int]](repeating: [], count: conditionCount)
    var firstProcess: Int?
    var runStatus: Int64?

    /// A new run: its first process, with its one thread ready.
    mutating func startRun() {
        self = ProcessLifeModel(processLimit: processLimit, threadLimit: threadLimit)
        firstProcess = 1
        addProcess(parent: nil)
    }

    private mutating func addProcess(parent: Int?) {
        let id = nextID
        nextID += 1
        processes.append(Process(id: id, parent: parent, running: [id], main: id))
        threads.append(Thread(id: id, process: id))
        line.append(id)
    }

    func index(ofThread id: Int) -> Int? { threads.firstIndex { $0.id == id } }

    /// `fork` by a thread of `parent`: the child's id, or nil when refused.
    mutating func fork(from parent: Int) -> Int? {
        guard processes.count < processLimit, threads.count < threadLimit else { return nil }
        let child = nextID
        addProcess(parent: parent)
        return child
    }

    /// `thread_create` in `process`: the thread's id, or nil when refused.
    mutating func createThread(in process: Int) -> Int? {
        guard threads.count < threadLimit else { return nil }
        let id = nextID
        nextID += 1
        threads.append(Thread(id: id, process: process))
        line.append(id)
        if let index = processes.firstIndex(where: { $0.id == process }) { processes[index].running.append(id) }
        return id
    }

    mutating func makeReady(_ id: Int) {
        guard let index = index(ofThread: id), case .waiting(let condition) = threads[index].state else { return }
        waiters[condition].removeAll { $0 == id }
        threads[index].state = .ready
        line.append(id)
    }

    mutating func wake(_ condition: Int) {
        for id in waiters[condition] { makeReady(id) }
        waiters[condition] = []
    }

    /// Thread `id` of `process` exits with `status`; the steps of its process's end if it
    /// was the last.
    mutating func exitThread(_ id: Int, status: Int32) -> [ProcessEndStep<ProcessID>] {
        threads[index(ofThread: id)!].state = .ended
        wake(Self.threadEndCondition)
        guard let index = processes.firstIndex(where: { $0.running.contains(id) }) else { return [] }
        processes[index].running.removeAll { $0 == id }
        if id == processes[index].main { processes[index].mainStatus = status }
        guard processes[index].running.isEmpty, let status = processes[index].mainStatus else { return [] }
        return end(processes[index].id, status: Int64(status), running: id)
    }

    /// Process `id` ends with `status`, `running` being the thread that runs now (or none).
    mutating func end(_ id: Int, status: Int64, running: Int?) -> [ProcessEndStep<ProcessID>] {
        guard processes.contains(where: { $0.id == id }) else { return [] }
        var steps = endOne(id, status: status, running: running)
        guard id == firstProcess else { return steps }
        runStatus = status
        let survivors = processes.map(\.id)
        steps.append(.endRun(status: status, survivors: survivors.map { ProcessID($0) }))
        for survivor in survivors {
            steps.append(.endWithRun(ProcessID(survivor)))
            steps += endOne(survivor, status: -1, running: running)
        }
        return steps
    }

    private mutating func endOne(_ id: Int, status: Int64, running: Int?) -> [ProcessEndStep<ProcessID>] {
        processes.removeAll { $0.id == id }
        for index in processes.indices where processes[index].parent == id { processes[index].parent = 1 }
        for index in threads.indices where threads[index].process == id && threads[index].id != running && threads[index].state != .ended {
            threads[index].mustEnd = true
            if case .waiting(let condition) = threads[index].state {
                waiters[condition].removeAll { $0 == threads[index].id }
                threads[index].state = .ready
                line.append(threads[index].id)
            }
        }
        wake(Self.filesCondition)
        let process = ProcessID(id)
        return [.record(process, status: status), .endOtherThreads(process), .closeFiles(process), .left(process, status: status)]
    }

    /// What the deadlock rule must say with no thread ready.
    var verdict: DeadlockRule.Verdict {
        if threads.contains(where: { $0.state == .ready }) { return .runs }
        let waiting = threads.filter { if case .waiting = $0.state { true } else { false } }
        if waiting.isEmpty { return .over }
        return waiting.contains { $0.state == .waiting(Self.outsideCondition) } ? .waitsForOutside : .deadlock
    }
}
