import ApusCore
import KernelSupport

/// One run of a program (`apus run`): its first process, every process it forks and every
/// thread they start, on the kernel's scheduler, and the end of it all (ABI.md §5).
///
/// A process ends when its last thread ends (with its main thread's status), at
/// `exit_group`, or at a fault in any of its threads; its other threads are then ended
/// wherever they are (running elsewhere, or waiting in a system call). The run ends when
/// its first process ends; the processes still alive are then ended too (status −1) and
/// freed, and the run's status is the first process's. The run is the one owner of the
/// process table: every system call, fault and tick reaches the running thread through it.
final class ProcessRun {
    /// The run going on now.
    nonisolated(unsafe) static var current: ProcessRun?

    /// Processes alive at once, at most (like RLIMIT_NPROC): a fork beyond is NoMemory, so
    /// that no program can fill the kernel heap with kernel stacks.
    static let processLimit = 64
    /// Threads alive at once in the run, processes' first threads included: a
    /// `thread_create` or `fork` beyond is NoMemory (each holds a 64 KiB kernel stack).
    static let threadLimit = 128

    /// The kernel's one scheduler.
    var scheduler: KernelScheduler { Kernel.scheduler }
    /// The regions and pipes every process of the run draws on together.
    let budget = ResourceBudget()
    /// The processes alive, in the order they started.
    private(set) var processes: [ProcessControlBlock] = []
    /// The next process or thread id: they share one sequence, so a thread id is unique
    /// among every thread of the run, and a process's first thread has the process's id.
    private var nextID = 1
    private let firstID = 1
    /// The first process's status, once it has ended.
    private(set) var status: Int64?

    /// Starts `program` as the run's first process; `nil` and the reason when it cannot start.
    func start(_ program: RegularFile, arguments: [[UInt8]], pager: PagingPolicy, fileSystem: RootFileSystem,
               console: any Console) -> LaunchFailure? {
        var memory: MmStruct<DirectMap, PagingPolicy>
        do throws(KernelError) {
            memory = try MmStruct<DirectMap, PagingPolicy>(frames: Kernel.memory.frames, pager: pager, kernelTemplate: Kernel.memory.pageTable.root, budget: budget)
        } catch {
            return .outOfMemory
        }
        let start: ProgramLaunch.Start
        do throws(LaunchFailure) {
            start = try ProgramLaunch.load(program, arguments: arguments, into: &memory)
        } catch {
            return error
        }
        let process = ProcessControlBlock(id: ProcessID(nextID), parentID: 0, core: UserProcess(mm: memory, fileSystem: fileSystem, console: console, mainThread: ThreadID(nextID)))
        nextID += 1
        admit(process, thread: ThreadControlBlock(id: process.id.mainThread, process: process, frame: ProcessControlBlock.firstFrame(start), fpu: clean_fpu_state_address()))
        return nil
    }

    /// Runs the processes until the first one has ended and every other is gone; returns
    /// the first one's status.
    func run() -> Int64 {
        Timer.start()
        while true {
            scheduler.runReadyThreads()
            if scheduler.threads.isEmpty { break }
            let waiting = scheduler.waitingThreads
            guard !waiting.isEmpty else { continue }
            if idleForConsoleInput(waiting) { continue }
            // Nothing is ready and every thread left waits: no one can ever wake them.
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
        return status ?? -1
    }

    // MARK: - The running process

    private var running: (thread: ThreadControlBlock, process: ProcessControlBlock) {
        guard let thread = scheduler.current, let process = thread.process else { preconditionFailure("no process is running") }
        return (thread, process)
    }

    /// A system call of the running process.
    func systemCall(_ frame: UnsafeMutablePointer<SyscallFrame>) {
        // Borrowed, not counted: the running thread and its process live at least until the
        // call returns (an exit returns at once), and every count is an atomic instruction,
        // which software emulation runs slowly (3 pairs were 40 % of a null system call).
        unowned(unsafe) let thread = running.thread
        unowned(unsafe) let process = running.process
        let registers = frame.pointee.registers
        var arguments = SyscallArguments(registers.rdi, registers.rsi, registers.rdx, registers.r10, registers.r8, registers.r9)
        var done: Int64 = 0
        let threadID = thread.id
        while true {
            let outcome = Unmanaged.passUnretained(process)._withUnsafeGuaranteedRef { KeOSSyscalls.dispatch(registers.rax, arguments, by: threadID, in: &$0.core) }
            wakeWaiters(of: process)
            switch outcome {
            case .returns(let value):
                // A call that waited part-way returns what it did before an error.
                frame.pointee.registers.rax = UInt64(bitPattern: value < 0 && done > 0 ? done : value + done)
            case .exit(let status):
                endRunningThread(status: status)
                return
            case .exitGroup(let status):
                exitRunning(status: Int64(status))
                return
            case .fork:
                frame.pointee.registers.rax = UInt64(bitPattern: fork(frame.pointee, parent: process, thread: thread))
            case .threadCreate(let start):
                frame.pointee.registers.rax = UInt64(bitPattern: createThread(start, in: process))
            case .waits(let condition, let retry, let progress):
                done += progress
                arguments = retry
                scheduler.wait(on: condition)
                if thread.mustEnd {
                    user_exit_pending = 1
                    return
                }
                continue
            }
            break
        }
        if ReturnAddressVerdict(returningTo: registers.rcx) == .endProcess {
            log("process \(process.id): system call returns to the non-canonical address \(hexadecimal(registers.rcx)); process killed with status -1")
            exitRunning(status: -1)
        }
    }

    /// A fault of the running thread: a page its process's pager serves, or the end of the
    /// whole process with status −1 and a line in the kernel log (ABI.md §3, §5).
    func handleUserException(_ frame: UnsafeMutablePointer<TrapFrame>) {
        // Borrowed, not counted, as in `systemCall`: a page fault is as hot a path.
        unowned(unsafe) let thread = running.thread
        unowned(unsafe) let process = running.process
        let vector = frame.pointee.vector
        if vector == Traps.pageFault {
            let address = read_cr2()
            let errorCode = PageFaultErrorCode(rawValue: frame.pointee.errorCode)
            let resolution = Unmanaged.passUnretained(process)._withUnsafeGuaranteedRef {
                $0.core.mm.handlePageFault(at: VirtualAddress(address), errorCode: errorCode)
            }
            switch resolution {
            case .resolved: return
            case .segmentationFault(let cause):
                log("\(describe(thread, of: process)): page fault at \(hexadecimal(address)): \(cause) (rip \(hexadecimal(frame.pointee.rip))); process killed with status -1")
            case .outOfMemory:
                log("\(describe(thread, of: process)): page fault at \(hexadecimal(address)): no frame left for the page, the process had \(process.frameCount) frames (rip \(hexadecimal(frame.pointee.rip))); process killed with status -1")
            }
        } else {
            log("\(describe(thread, of: process)): \(exceptionName(vector)) at rip \(hexadecimal(frame.pointee.rip)); process killed with status -1")
        }
        exitRunning(status: -1)
    }

    /// A timer tick while a program ran: its time slice is over.
    func tick() {
        scheduler.preempt()
        if scheduler.current?.mustEnd == true { user_exit_pending = 1 }
    }

    /// A new thread is about to leave for ring 3 for the first time.
    func threadStarted() {
        if scheduler.current?.mustEnd == true { user_exit_pending = 1 }
    }

    // MARK: - Processes coming and going

    private func admit(_ process: ProcessControlBlock, thread: ThreadControlBlock) {
        processes.append(process)
        scheduler.add(thread)
        log("process \(process.id) started (parent \(process.parentID))")
    }

    /// Whether one more thread may start: ``threadLimit`` counts every thread not yet freed.
    private var hasRoomForThread: Bool { scheduler.threads.count < Self.threadLimit }

    /// `thread_create` in `process`: the new thread's id, or NoMemory. Unlike a process's
    /// start, a thread's start and end are not logged: a log line costs about ten times a
    /// whole create and join (the log is a serial port), and a program may start thousands.
    private func createThread(_ start: ThreadStart, in process: ProcessControlBlock) -> Int64 {
        guard hasRoomForThread else { return KernelError.noMemory.syscallReturnValue }
        do throws(KernelError) {
            try process.core.startThread(start, id: ThreadID(nextID))
        } catch {
            return error.syscallReturnValue
        }
        let id = ThreadID(nextID)
        nextID += 1
        scheduler.add(ThreadControlBlock(id: id, process: process, frame: ProcessControlBlock.threadFrame(start), fpu: clean_fpu_state_address(),
                                   name: start.name))
        return Int64(id.value)
    }

    /// The conditions the last calls of `process` changed: their waiters look again. Most
    /// calls change none: the list is looked at before it is taken (taking it copies).
    private func wakeWaiters(of process: ProcessControlBlock) {
        guard !process.core.wakeups.isEmpty else { return }
        for condition in process.core.takeWakeups() { scheduler.broadcast(condition) }
    }

    /// How the log names a thread: by its process alone when it is the process's only one
    /// (unless `always`), else by its id, its name and its process.
    private func describe(_ thread: ThreadControlBlock, of process: ProcessControlBlock, always: Bool = false) -> String {
        guard always || process.core.threads.runningCount > 1 || thread.id != process.id.mainThread else { return "process \(process.id)" }
        return "thread \(thread.id)\(named(thread)) of process \(process.id)"
    }

    /// ` "NAME"` for a thread with a name (escaped: the program chose it), else nothing.
    private func named(_ thread: ThreadControlBlock) -> String {
        thread.name.isEmpty ? "" : " \"\(LogText.escaped(thread.name))\""
    }
    /// `fork()` of `parent`: the child's id, or the error.
    private func fork(_ frame: SyscallFrame, parent: ProcessControlBlock, thread: ThreadControlBlock) -> Int64 {
        // A child starts with `iretq` at the address after the parent's `syscall`; where
        // `sysretq` could not return (ReturnAddressVerdict.swift), neither can `iretq` (Intel CPUs
        // fault in ring 0 there). The parent ends when this call returns: no child is made.
        guard ReturnAddressVerdict(returningTo: frame.registers.rcx) == .sysret else { return KernelError.invalidArgument.syscallReturnValue }
        guard processes.count < Self.processLimit, hasRoomForThread else { return KernelError.noMemory.syscallReturnValue }
        let core: UserProcess<DirectMap, PagingPolicy>
        do throws(KernelError) {
            core = try parent.core.fork(mainThread: ThreadID(nextID))
        } catch {
            return error.syscallReturnValue
        }
        let child = ProcessControlBlock(id: ProcessID(nextID), parentID: parent.id, core: core)
        nextID += 1
        fxsave(thread.fpuState) // the parent's registers as they are now
        admit(child, thread: ThreadControlBlock(id: child.id.mainThread, process: child, frame: ProcessControlBlock.childFrame(frame), fpu: thread.fpuState,
                                          segments: read_data_segments()))
        MemoryMapReport.fork(parent: parent, child: child)
        return Int64(child.id.value)
    }

    /// The running thread's `exit(status)`: it ends once its handler has returned, and its
    /// process with it when it was the last thread running.
    private func endRunningThread(status: Int32) {
        let (thread, process) = running
        let processStatus = process.core.threadEnded(thread.id, status: status)
        wakeWaiters(of: process)
        if let processStatus { finish(process, status: Int64(processStatus)) }
        user_exit_pending = 1
    }

    /// The running thread's whole process ends with `status` (`exit_group`, a fault), once
    /// the handler has returned.
    private func exitRunning(status: Int64) {
        finish(running.process, status: status)
        user_exit_pending = 1
    }

    /// What ending a process means, wherever it ends from: its descriptors close (waking
    /// whoever waits on their pipes), it leaves the table, each of its threads but the
    /// running one ends as soon as it runs (one waiting in a system call stops waiting for
    /// that), and the first process's end ends every other.
    private func finish(_ process: ProcessControlBlock, status: Int64) {
        guard process.exitStatus == nil else { return }
        process.exitStatus = status
        MemoryMapReport.end(process)
        // Its threads go to the run queue before whoever its closing files wake: the process's
        // memory goes with its last thread, so they must end first (DESIGN.md: a woken peer
        // finds the memory free).
        for thread in scheduler.threads where thread.process === process && thread !== scheduler.current && thread.state != .ended {
            scheduler.makeEnd(thread)
        }
        process.core.closeAllFiles()
        wakeWaiters(of: process)
        processes.removeAll { $0 === process }
        log("process \(process.id) ended with status \(status)")
        guard process.id == ProcessID(firstID) else { return }
        self.status = status
        if !processes.isEmpty { logProcessTable() }
        for other in processes {
            log("process \(other.id) ended with the run's first process; status -1")
            finish(other, status: -1)
        }
    }

    /// A `ps`-like view for the kernel log: every live process, its parent, its frames and
    /// each of its threads with its state.
    private func logProcessTable() {
        log("  id  parent  frames  threads")
        for process in processes {
            let threads = scheduler.threads.filter { $0.process === process }.map { thread in
                let state = switch thread.state {
                case .waiting: "waiting"
                case .ended: "ended"
                case .ready: thread === scheduler.current ? "running" : "ready"
                }
                return "\(thread.id)\(named(thread)) \(state)"
            }
            var line = "  \(process.id)  \(process.parentID)  \(process.frameCount)  "
            for (index, thread) in threads.enumerated() { line += index == 0 ? thread : ", " + thread }
            log(line)
        }
    }
}

/// What user.S leaves on the stack on `syscall`: the registers (rcx holds the user's rip,
/// r11 its rflags), then the user's rsp.
struct SyscallFrame {
    var registers: GeneralRegisters
    var userRSP: UInt64
}

@_cdecl("apus_syscall")
public func apusSyscall(_ rawFrame: UnsafeMutableRawPointer) {
    // The run lives as long as the boot: borrowed, not counted (see `systemCall`).
    guard let run = ProcessRun.current.map(Unmanaged.passUnretained) else { fatalError("system call with no process") }
    run._withUnsafeGuaranteedRef { $0.systemCall(rawFrame.assumingMemoryBound(to: SyscallFrame.self)) }
}

/// context.S: a new thread is about to leave for ring 3 for the first time.
@_cdecl("apus_thread_started")
public func apusThreadStarted() {
    Kernel.scheduler.reapEnded()
    if Kernel.scheduler.current?.process != nil { ProcessRun.current?.threadStarted() }
}

/// context.S: the running thread ends (no Swift frame of it is left on its stack). Its
/// last switch holds no reference to anything: those stay in `prepareEndOfCurrent`, which
/// has returned, so nothing is kept alive by a stack no one will return to.
@_cdecl("apus_thread_exit")
public func apusThreadExit() {
    let target = endRunningThread()
    switch_context(target.save, target.load)
    fatalError("an ended thread ran again")
}

@inline(never)
private func endRunningThread() -> (save: UnsafeMutablePointer<UInt64>, load: UInt64) {
    Kernel.scheduler.prepareEndOfCurrent()
}
