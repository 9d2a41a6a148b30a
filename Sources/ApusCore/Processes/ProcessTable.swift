/// The processes of a run and the rules of their lives: who they are, whose children they
/// are, how many may live at once, and in which order one ends (ABI.md §5).
///
/// A *run* is one program started by `apus run` and every process it forks. The table hands
/// out the ids: processes and threads take theirs from one sequence, starting at 1, so a
/// thread id is unique among every thread of the run and a process's first thread has the
/// process's own number (``ProcessID/mainThread``). It keeps each live process's parent
/// (none for the run's first), and it enforces two limits, both for the kernel's sake: at
/// most ``processLimit`` processes alive at once (like `RLIMIT_NPROC`), and at most
/// ``threadLimit`` threads not yet freed, each of which holds a 64 KiB kernel stack. A
/// `fork` or `thread_create` past either is ``KernelError/noMemory``, and changes nothing.
///
/// The table is generic over what it keeps of a process (`Record`): the kernel's control
/// block in the kernel, anything at all in a host test. It keeps the rules, and the kernel
/// keeps the mechanism: it tells the table when it frees a thread
/// (``threadFreed()``), and it carries out the steps of a process's end
/// (``end(_:status:)``) in the order given.
public struct ProcessTable<Record> {
    /// Processes alive at once, at most.
    public static var processLimit: Int { 64 }
    /// Threads not yet freed at once, processes' first threads included.
    public static var threadLimit: Int { 128 }

    /// A live process: its id, its parent's (`nil` for the run's first) and what the kernel
    /// keeps of it.
    public struct Entry {
        public let id: ProcessID
        /// Its parent; the run's first process once the parent has ended (an orphan is
        /// adopted).
        public internal(set) var parent: ProcessID?
        public let process: Record
    }

    /// The processes alive, in the order they started.
    public internal(set) var entries: [Entry] = []
    /// What the kernel keeps of each, in the same order (so that the end of a run can name
    /// the survivors without making a list of them).
    private var records: [Record] = []
    /// Threads started and not yet freed, of every process (ended ones included until the
    /// kernel has freed them).
    public private(set) var threadCount = 0
    /// The run's first process, once it has started.
    public private(set) var firstProcess: ProcessID?
    /// The first process's status, once it has ended: the run's status.
    public private(set) var runStatus: Int64?
    /// The next number of the shared sequence.
    private var nextNumber = 1
    /// Processes that ended and whose parent may still wait for them (Linux's zombies:
    /// `ChildWaits.swift`).
    public internal(set) var zombies: [ZombieProcess] = []

    /// Room for every zombie the limit allows, so that a process's end, which must not
    /// allocate, can keep one.
    public init() {
        zombies.reserveCapacity(Self.processLimit)
    }

    /// The live process `id`, if it is alive.
    public func entry(_ id: ProcessID) -> Entry? {
        entries.first { $0.id == id }
    }

    /// Whether one more thread may start.
    public var hasRoomForThread: Bool { threadCount < Self.threadLimit }

    /// Whether one more process (and its first thread) may start.
    /// Zombies count, as on Linux: a parent that never waits cannot fork without end.
    public var hasRoomForProcess: Bool { entries.count + zombies.count < Self.processLimit && hasRoomForThread }

    /// The id of a run's first process: the sequence starts at 1.
    public static var firstProcessID: ProcessID { 1 }

    /// Starts the run's first process, whose id is ``firstProcessID``.
    public mutating func startFirst(_ process: Record) {
        precondition(firstProcess == nil && nextNumber == Self.firstProcessID.value, "a run has one first process, which comes first")
        admit(Entry(id: Self.firstProcessID, parent: nil, process: process))
        firstProcess = Self.firstProcessID
    }

    /// `fork` by `parent`: a child made by `make` with its id, which the table admits and
    /// returns. ``KernelError/noMemory`` when a limit leaves no room; an error of `make`
    /// passes through. Either way nothing changes then, and no id is used up.
    public mutating func fork(from parent: ProcessID, _ make: (ProcessID) throws(KernelError) -> Record) throws(KernelError) -> ProcessID {
        guard hasRoomForProcess else { throw .noMemory }
        let id = ProcessID(nextNumber)
        admit(Entry(id: id, parent: parent, process: try make(id)))
        return id
    }

    /// `thread_create` in a process: `start` starts the thread with its id (in the kernel,
    /// its kernel stack and its place in the process), and the table counts it.
    /// ``KernelError/noMemory`` at the thread limit; an error of `start` passes through.
    /// Either way nothing changes then, and no id is used up.
    public mutating func startThread(_ start: (ThreadID) throws(KernelError) -> Void) throws(KernelError) -> ThreadID {
        guard hasRoomForThread else { throw .noMemory }
        let id = ThreadID(nextNumber)
        try start(id)
        nextNumber += 1
        threadCount += 1
        return id
    }

    /// The kernel has freed a thread of the run (its kernel stack is back): its place
    /// counts no more.
    public mutating func threadFreed() {
        precondition(threadCount > 0, "more threads freed than started")
        threadCount -= 1
    }

    private mutating func admit(_ entry: Entry) {
        entries.append(entry)
        records.append(entry.process)
        nextNumber += 1
        threadCount += 1
    }

    /// Process `id` ends with `status` (its last thread's end, `exit_group`, a fault, a
    /// deadlock): it leaves the table, and the kernel carries out the returned steps in
    /// their order. A process that is not alive (it ended already) ends once: no steps.
    ///
    /// The order matters:
    /// 1. ``ProcessEndStep/record(_:status:)``: its status is kept and its memory is still
    ///    all there to report.
    /// 2. ``ProcessEndStep/endOtherThreads(_:)``: each of its threads but the running one
    ///    must end as soon as it runs (one waiting in a system call stops waiting for that),
    ///    and so goes on the run queue *before* whoever its closing files wake: a process's
    ///    memory goes with its last thread, so that a woken peer finds the memory free again
    ///    (DESIGN.md).
    /// 3. ``ProcessEndStep/closeFiles(_:)``: its descriptors close, waking whoever waits on
    ///    its pipes.
    /// 4. ``ProcessEndStep/left(_:status:)``: it is out of the table.
    ///
    /// When it is the run's first process, the run ends with it: the processes still alive
    /// end too, with status −1, each after ``ProcessEndStep/endWithRun(_:)``, once
    /// ``ProcessEndStep/endRun(status:survivors:)`` has named them all.
    public mutating func end(_ id: ProcessID, status: Int64) -> [ProcessEndStep<Record>] {
        var steps: [ProcessEndStep<Record>] = []
        end(id, status: status) { steps.append($0) }
        return steps
    }

    /// ``end(_:status:)``, with each step handed to `carryOut` in order as it is decided:
    /// the kernel's way, which allocates nothing (a process's end works however full the
    /// kernel heap is).
    public mutating func end(_ id: ProcessID, status: Int64, _ carryOut: (ProcessEndStep<Record>) -> Void) {
        guard let index = entries.firstIndex(where: { $0.id == id }) else { return }
        let ending = entries.remove(at: index).process
        records.remove(at: index)
        orphanChildren(of: id)
        Self.steps(ending: ending, status: status, carryOut)
        guard id == firstProcess else { return }
        runStatus = status
        let survivors = records
        entries.removeAll()
        records.removeAll()
        zombies.removeAll(keepingCapacity: true)
        carryOut(.endRun(status: status, survivors: survivors))
        for survivor in survivors {
            carryOut(.endWithRun(survivor))
            Self.steps(ending: survivor, status: -1, carryOut)
        }
    }

    private static func steps(ending process: Record, status: Int64, _ carryOut: (ProcessEndStep<Record>) -> Void) {
        carryOut(.record(process, status: status))
        carryOut(.endOtherThreads(process))
        carryOut(.closeFiles(process))
        carryOut(.left(process, status: status))
    }
}

/// One step of a process's end, which the kernel carries out (``ProcessTable/end(_:status:)``
/// gives them in order).
public enum ProcessEndStep<Record> {
    /// It has ended with `status`: keep it; its memory is all still there.
    case record(Record, status: Int64)
    /// Each of its threads but the running one must end as soon as it runs.
    case endOtherThreads(Record)
    /// Its descriptors close, and whoever waits on its pipes is woken.
    case closeFiles(Record)
    /// It has left the table with `status`.
    case left(Record, status: Int64)
    /// The run's first process ended with `status`: the run is over, and `survivors`, the
    /// processes still alive, end with it.
    case endRun(status: Int64, survivors: [Record])
    /// It ends because the run's first process ended (status −1).
    case endWithRun(Record)
}

extension ProcessEndStep: Equatable where Record: Equatable {}
