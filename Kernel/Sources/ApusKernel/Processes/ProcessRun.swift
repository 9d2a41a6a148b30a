import X86_64Support

/// One run of a program (`apus run`): its first process, every process it forks and every
/// thread they start, on the kernel's scheduler, and the end of it all (ABI.md §5).
///
/// The rules of the run are ApusCore's, tested on the host: the ``ProcessTable`` hands out
/// ids, knows parents and limits and gives the order of a process's end; the
/// ``DeadlockRule`` says when waiting threads can never be woken. The run carries them out
/// with what only the kernel has: control blocks, kernel stacks, CR3 and the FPU state, the
/// scheduler. It is the one owner of the process table: every system call, fault and tick
/// of a program reaches the running thread through it (SystemCallEntry.swift,
/// UserExceptions.swift), `fork` and `thread_create` add to it (ProcessRun+Fork.swift,
/// ThreadCreation.swift), and a process's end takes from it (ProcessEnd.swift).
final class ProcessRun {
    /// The run going on now.
    nonisolated(unsafe) static var current: ProcessRun? {
        didSet { pollsOutside = current?.outsideSources.isEmpty == false }
    }
    /// Whether the run going on looks at sources outside the threads (readable without the
    /// kernel lock, for the ticks).
    nonisolated(unsafe) static var pollsOutside = false

    /// The kernel's one scheduler.
    var scheduler: KernelScheduler { Kernel.scheduler }
    /// The regions and pipes every process of the run draws on together.
    let budget = ResourceBudget()
    /// The conditions the run's calls and ends may have made true, to broadcast. Owned by
    /// the kernel lock (``LockMap``): every call and end adds to it, and drains it, holding it.
    let wakeups = WakeupList()
    /// The processes alive, their ids and parents, and the run's status once it is over.
    /// Owned by the kernel lock (``LockMap``), like every process in it.
    var table = ProcessTable<ProcessControlBlock>()
    /// What outside the threads may wake a waiting thread (Scheduling/OutsideWakeSource.swift).
    var outsideSources: [any OutsideWakeSource] = []
    /// Where Linux threads sleep, watched from the first sleep on.
    let sleepTimer = SleepTimer()
    /// Where Linux threads wait in `rt_sigsuspend` (a posted signal takes each out,
    /// ``Scheduler/interrupt(_:)``).
    let signalArrives = ConditionVariable("a signal arrives")
    /// The waits of the threads in `poll` now, woken by every change of a pipe (PollWait.swift).
    var polls: [PollWait] = []
    /// Where the processes' alarms ring (AlarmClock.swift).
    let alarmClock = AlarmClock()
    /// Where the threads of stopped processes wait (ProcessStops.swift).
    let processContinues = ConditionVariable("a stopped process is continued")
    /// The console as the controlling terminal of the first process's session: its
    /// foreground process group (JobControlCalls.swift, TerminalInterrupts.swift).
    var terminal = ControllingTerminal(session: Int64(ProcessTable<ProcessControlBlock>.firstProcessID.value),
                                       foregroundGroup: Int64(ProcessTable<ProcessControlBlock>.firstProcessID.value))

    /// Starts `program` as the run's first process; `nil` and the reason when it cannot start.
    /// `path` is the program's absolute path (a Linux program's `/proc/self/exe`).
    func start(_ program: InodeHandle<DirectMap>, path: [UInt8], arguments: [[UInt8]], pager: PagingPolicy, fileSystem: FileSystem<DirectMap>,
               console: any Console) -> LaunchFailure? {
        var mm: MmStruct<DirectMap, PagingPolicy>
        do throws(KernelError) {
            mm = try MmStruct(frames: Kernel.memory.frames, pager: pager, kernelTemplate: Kernel.memory.pageTable.root, budget: budget)
        } catch {
            return .outOfMemory
        }
        let start: ProgramLaunch.Start
        do throws(LaunchFailure) {
            start = try ProgramLaunch.load(program, arguments: arguments, into: &mm, unmarked: LinuxPersonality.unmarked,
                                           linux: LinuxPersonality.context(path: path))
        } catch {
            return error
        }
        let id = ProcessTable<ProcessControlBlock>.firstProcessID
        let first = ProcessControlBlock(id: id, parentID: 0, core: UserProcess(mm: mm, fileSystem: fileSystem, console: console,
                                                                               mainThread: id.mainThread, wakeups: wakeups))
        first.core.personality = start.personality
        first.core.linux = LinuxProcessState(programBreak: start.programBreak, path: path, mainThread: id.mainThread)
        table.startFirst(first)
        admit(first, thread: ThreadControlBlock(id: id.mainThread, process: first, frame: ProcessControlBlock.firstFrame(start), fpu: clean_fpu_state_address()))
        routeInterrupts()
        return nil
    }

    /// Runs the processes until the first one has ended and every other is gone; returns
    /// the first one's status.
    func run() -> Int64 {
        while true {
            scheduler.runReadyThreads()
            if scheduler.threads.isEmpty { break }
            switch DeadlockRule.verdict(scheduler.threads.lazy.map { $0.state }, alarmIsSet: alarmIsSet) {
            case .runs:
                // Other CPUs run the threads left: wait for a tick or a wake-up, then look
                // outside (their ticks do not: only this CPU's do).
                scheduler.idle()
                pollOutside()
            case .over:
                continue
            case .waitsForOutside:
                idleForOutside()
            case .deadlock:
                endDeadlock(scheduler.waitingThreads)
            }
        }
        return table.runStatus ?? -1
    }

    /// Every thread left waits for what only a thread could bring about: each is named in
    /// the log with its condition, and its process ends with status −1.
    private func endDeadlock(_ waiting: [ThreadControlBlock]) {
        for thread in waiting {
            guard case .waiting(let queue) = thread.state else { continue }
            guard let process = thread.process else {
                fatalError("kernel thread \(thread.id) waits until \(queue.condition) during a run")
            }
            log("deadlock: \(describe(thread, of: process, always: true)) waits until \(queue.condition), which no thread can bring about; process ended with status -1")
        }
        for thread in waiting {
            if let process = thread.process { finish(process, status: -1) }
        }
    }

    /// The thread running now and its process.
    var running: (thread: ThreadControlBlock, process: ProcessControlBlock) {
        guard let thread = CPU.this.current, let process = thread.process else { preconditionFailure("no process is running") }
        return (thread, process)
    }

    /// A process, new in the table, starts with its first thread.
    func admit(_ process: ProcessControlBlock, thread: ThreadControlBlock) {
        scheduler.add(thread)
        log("process \(process.id) started (parent \(process.parentID))")
    }

    /// A thread of the run was freed (its kernel stack is back): the table counts it no more.
    func threadFreed() {
        table.threadFreed()
    }

    /// The conditions the last calls and ends changed: their waiters look again, and so does
    /// every thread in `poll`. Most calls change none. Allocates nothing.
    func wakeWaiters() {
        guard wakeups.changedSinceDrain else { return }
        wakeups.drain { scheduler.broadcast($0) }
        for wait in polls { scheduler.broadcast(wait.condition) }
    }
}
