/// The threads of one process, as `thread_join` and the end of a process see them
/// (ABI.md §5).
///
/// A process starts with one thread, its *main* thread, whose id is the process's id; the
/// program adds more with `thread_create`. They all share the process's memory and files;
/// what each has of its own (a kernel stack, registers, SSE state) is the kernel's
/// `ThreadControlBlock`. This type keeps what the process must know of them:
///
/// * which are still running, so that the process ends when the last one ends, with its
///   main thread's status;
/// * the status of each that ended and was not joined yet, so that a later `thread_join`
///   finds it. A joined thread is forgotten: joining it again is an error, as for an id
///   that was never a thread of this process.
///
/// A thread that waits in `thread_join` waits on ``ended``, which every end broadcasts.
///
/// The members live in a ``ChunkedArray``: a program that never joins keeps up to
/// ``memberLimit`` statuses, and they never ask the kernel heap for more than a page at once.
public struct ThreadGroup {
    /// The most threads a process may have that are running or ended and not yet joined:
    /// a `thread_create` beyond is ``KernelError/noMemory``, so that a program that never
    /// joins cannot fill the kernel with statuses.
    public static let memberLimit = 1024

    /// One thread of the process: its id, and its status once it has ended.
    struct Member {
        let id: ThreadID
        var status: Int32?
    }

    /// The main thread's id (the process's).
    public let main: ThreadID
    /// The main thread's status once it has ended (kept even when it was joined: it is the
    /// process's status if the main thread is not the last to end).
    public private(set) var mainStatus: Int32?
    private var members = ChunkedArray<Member>()
    /// Broadcast at every thread's end: the condition `thread_join` waits for.
    public let ended = ConditionVariable("a thread of the process ends")

    public init(main: ThreadID) {
        self.main = main
        members.append(Member(id: main))
    }

    /// Threads that have not ended.
    public var runningCount: Int { members.count { $0.status == nil } }

    /// Whether `thread` is a thread of this process that has not ended.
    public func isRunning(_ thread: ThreadID) -> Bool {
        members.contains { $0.id == thread && $0.status == nil }
    }

    /// Whether one more thread may start (``memberLimit``).
    public var hasRoom: Bool { members.count < Self.memberLimit }

    /// `thread`, new, runs in this process.
    public mutating func add(_ thread: ThreadID) {
        precondition(!members.contains { $0.id == thread }, "a thread id used twice")
        members.append(Member(id: thread))
    }

    /// `thread` ended with `status`. Returns the process's status when it was the last one
    /// running (the main thread's status), `nil` while others run on.
    public mutating func end(_ thread: ThreadID, status: Int32) -> Int32? {
        guard let index = members.firstIndex(where: { $0.id == thread }), members[index].status == nil else {
            preconditionFailure("a thread that is not running ended")
        }
        members[index].status = status
        if thread == main { mainStatus = status }
        return runningCount == 0 ? mainStatus : nil
    }

    /// What `thread_join(target)` by `caller` finds.
    public enum Join: Equatable {
        /// `target` is not a thread of this process, is the caller, or was joined already.
        case invalid
        /// `target` still runs: the caller waits on ``ended`` and looks again.
        case running
        /// `target` ended with this status.
        case ended(Int32)
    }

    /// What `caller`'s `thread_join` of `target` finds, changing nothing.
    public func joinState(of target: ThreadID, for caller: ThreadID) -> Join {
        guard target != caller, let member = members.first(where: { $0.id == target }) else { return .invalid }
        return member.status.map { .ended($0) } ?? .running
    }

    /// `target`, which ended, has been joined: it is forgotten.
    public mutating func forget(_ target: ThreadID) {
        guard let index = members.firstIndex(where: { $0.id == target && $0.status != nil }) else { return }
        members.swapRemove(at: index)
    }
}
