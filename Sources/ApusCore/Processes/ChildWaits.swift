/// Linux's parents and children (ABI.md §7): a child that ends stays a *zombie*, its wait
/// status kept, until its parent waits for it (`wait4`); a process whose parent ended is
/// adopted by the run's first process, and the zombies of an ended parent go with it.
///
/// Only children of Linux processes become zombies: a KeOS program has no `wait`, and its
/// children leave nothing behind (ABI.md §5).
///
/// A live child can have something to report too: it stopped, or it continued (``JobState``),
/// which a `wait4` asking for it collects without reaping the child.
extension ProcessTable {
    /// Keeps `zombie` until its parent waits, if the parent is alive.
    public mutating func keep(_ zombie: ZombieProcess) {
        guard entry(zombie.parent) != nil, zombies.count < Self.processLimit else { return }
        zombies.append(zombie)
    }

    /// `wait4` by `parent` for the children `selector` names: a zombie first, then the first
    /// live child, in the order they started, for which `change` collects a stop or a
    /// continue (``JobState/collect(_:)``: it forgets what it returns). `group` gives the
    /// process group of a live process (for group selectors).
    public mutating func reap(by parent: ProcessID, _ selector: ChildSelector, group: (Record) -> Int64,
                              change: (Record) -> WaitStatus? = { _ in nil }) -> ChildWaitResult {
        if let index = zombies.firstIndex(where: { $0.parent == parent && selector.matches($0.id, group: $0.group) }) {
            return .reaped(zombies.remove(at: index))
        }
        var running = false
        for entry in entries where entry.parent == parent && selector.matches(entry.id, group: group(entry.process)) {
            running = true
            if let status = change(entry.process) { return .changed(entry.id, status) }
        }
        return running ? .childrenRunning : .noChild
    }

    /// Process `id` has ended: its live children are adopted by the run's first process, and
    /// its zombies are gone (no one can wait for them now).
    mutating func orphanChildren(of id: ProcessID) {
        for index in entries.indices where entries[index].parent == id { entries[index].parent = firstProcess }
        zombies.removeAll { $0.parent == id }
    }
}

/// What is left of a process that ended: its id, its parent, its process group and
/// its wait status (Linux's encoding, ``WaitStatus/raw``).
public struct ZombieProcess: Equatable, Sendable {
    public var id: ProcessID
    public var parent: ProcessID
    public var group: Int64
    public var status: Int32

    public init(id: ProcessID, parent: ProcessID, group: Int64, status: Int32) {
        self.id = id
        self.parent = parent
        self.group = group
        self.status = status
    }

    /// Whether `kill` aimed at `target` finds this zombie: it is still a process to Linux
    /// until reaped, so `kill(pid, 0)` and `kill -CONT` of an unreaped child succeed (and do
    /// nothing) instead of failing with `ESRCH`. A thread target never finds one.
    public func isFound(by target: LinuxSignalRequest.Target) -> Bool {
        switch target {
        case .process(let pid): Int64(id.value) == pid
        case .group(let wanted): group == wanted
        case .everyone: true
        case .thread: false
        }
    }
}

/// Which children a `wait4` waits for, from its `pid` argument: −1 any, > 0 that one,
/// 0 the caller's group, < −1 the group −pid.
public enum ChildSelector: Equatable, Sendable {
    case any
    case process(ProcessID)
    case group(Int64)

    /// The selector of `wait4(pid, …)` called by a process of group `callerGroup`.
    public init(pid: Int64, callerGroup: Int64) {
        switch pid {
        case -1: self = .any
        case 0: self = .group(callerGroup)
        case ..<0: self = .group(-pid)
        default: self = .process(ProcessID(Int(pid)))
        }
    }

    func matches(_ id: ProcessID, group: Int64) -> Bool {
        switch self {
        case .any: true
        case .process(let wanted): id == wanted
        case .group(let wanted): group == wanted
        }
    }
}

/// What a wait finds.
public enum ChildWaitResult: Equatable, Sendable {
    /// A zombie it selects, now gone from the table.
    case reaped(ZombieProcess)
    /// A live child it selects that stopped or continued (it stays in the table).
    case changed(ProcessID, WaitStatus)
    /// Children it selects are alive, none has ended yet.
    case childrenRunning
    /// No child it selects exists (−ECHILD).
    case noChild
}

