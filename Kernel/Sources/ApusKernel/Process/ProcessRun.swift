import ApusCore
import KernelSupport

/// One run of a program (`apus run`): its first process, every process it forks, the
/// scheduler they share, and the end of it all (ABI.md §5).
///
/// The run ends when its first process ends; the processes still alive are then ended too
/// (status −1) and freed, and the run's status is the first process's. The run is the one
/// owner of the process table: every system call, fault and tick reaches the running process
/// through it.
final class ProcessRun {
    /// The run going on now.
    nonisolated(unsafe) static var current: ProcessRun?

    /// Processes alive at once, at most (like RLIMIT_NPROC): a fork beyond is NoMemory, so
    /// that no program can fill the kernel heap with kernel stacks.
    static let processLimit = 64

    let scheduler = Scheduler(policy: RoundRobin())
    /// The regions and pipes every process of the run draws on together.
    let budget = ResourceBudget()
    /// The processes alive, in the order they started.
    private(set) var processes: [UserProcess] = []
    private var nextID = 1
    private let firstID = 1
    /// The first process's status, once it has ended.
    private(set) var status: Int64?

    /// Starts `program` as the run's first process; `nil` and the reason when it cannot start.
    func start(_ program: RegularFile, arguments: [[UInt8]], pager: PagingPolicy, fileSystem: RootFileSystem,
               console: any Console) -> LaunchFailure? {
        var memory: UserProcess.Memory
        do throws(KernelError) {
            memory = try UserProcess.Memory(frames: Kernel.memory.frames, pager: pager, kernelTemplate: Kernel.memory.pageTable.root, budget: budget)
        } catch {
            return .outOfMemory
        }
        let start: ProgramLaunch.Start
        do throws(LaunchFailure) {
            start = try ProgramLaunch.load(program, arguments: arguments, into: &memory)
        } catch {
            return error
        }
        let process = UserProcess(id: nextID, parentID: 0, core: Process(memory: memory, fileSystem: fileSystem, console: console))
        nextID += 1
        admit(process, thread: KernelThread(id: process.id, process: process, frame: UserProcess.firstFrame(start), fpu: clean_fpu_state_address()))
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
            // Nothing is ready and every thread left waits: no one can ever wake them.
            for thread in waiting {
                guard let process = thread.process, case .waiting(let queue) = thread.state else { continue }
                log("deadlock: process \(process.id) waits until \(queue.condition), which no process can bring about; ended with status -1")
            }
            for thread in waiting { end(thread, status: -1) }
        }
        return status ?? -1
    }

    // MARK: - The running process

    private var running: (thread: KernelThread, process: UserProcess) {
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
        while true {
            let outcome = Unmanaged.passUnretained(process)._withUnsafeGuaranteedRef { $0.core.dispatch(registers.rax, arguments) }
            // Most calls wake no one: the list is looked at before it is taken (taking it copies).
            if !process.core.wakeups.isEmpty {
                for queue in process.core.takeWakeups() { scheduler.wake(queue) }
            }
            switch outcome {
            case .returns(let value):
                // A call that waited part-way returns what it did before an error.
                frame.pointee.registers.rax = UInt64(bitPattern: value < 0 && done > 0 ? done : value + done)
            case .exit(let status):
                exitRunning(status: Int64(status))
                return
            case .fork:
                frame.pointee.registers.rax = UInt64(bitPattern: fork(frame.pointee, parent: process, thread: thread))
            case .waits(let queue, let retry, let progress):
                done += progress
                arguments = retry
                scheduler.wait(on: queue)
                if thread.mustEnd {
                    user_exit_pending = 1
                    return
                }
                continue
            }
            break
        }
        if SyscallReturn(to: registers.rcx) == .endProcess {
            log("process \(process.id): system call returns to the non-canonical address \(hexadecimal(registers.rcx)); process killed with status -1")
            exitRunning(status: -1)
        }
    }

    /// A fault of the running process: a page its pager serves, or the end of the process
    /// with status −1 and a line in the kernel log (ABI.md §3).
    func fault(_ frame: UnsafeMutablePointer<TrapFrame>) {
        let (_, process) = running
        let vector = frame.pointee.vector
        if vector == Traps.pageFault {
            let address = read_cr2()
            switch process.core.memory.handleUserPageFault(at: VirtualAddress(address), errorCode: PageFaultErrorCode(rawValue: frame.pointee.errorCode)) {
            case .resolved: return
            case .segmentationFault(let cause):
                log("process \(process.id): page fault at \(hexadecimal(address)): \(cause) (rip \(hexadecimal(frame.pointee.rip))); process killed with status -1")
            case .outOfMemory:
                log("process \(process.id): page fault at \(hexadecimal(address)): no frame left for the page, the process had \(process.frameCount) frames (rip \(hexadecimal(frame.pointee.rip))); process killed with status -1")
            }
        } else {
            log("process \(process.id): \(exceptionName(vector)) at rip \(hexadecimal(frame.pointee.rip)); process killed with status -1")
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
        scheduler.reapEnded()
        if scheduler.current?.mustEnd == true { user_exit_pending = 1 }
    }

    // MARK: - Processes coming and going

    private func admit(_ process: UserProcess, thread: KernelThread) {
        processes.append(process)
        scheduler.add(thread)
        log("process \(process.id) started (parent \(process.parentID))")
    }

    /// `fork()` of `parent`: the child's id, or the error.
    private func fork(_ frame: SyscallFrame, parent: UserProcess, thread: KernelThread) -> Int64 {
        // A child starts with `iretq` at the address after the parent's `syscall`; where
        // `sysretq` could not return (SyscallReturn.swift), neither can `iretq` (Intel CPUs
        // fault in ring 0 there). The parent ends when this call returns: no child is made.
        guard SyscallReturn(to: frame.registers.rcx) == .sysret else { return KernelError.invalidArgument.syscallReturnValue }
        guard processes.count < Self.processLimit else { return KernelError.noMemory.syscallReturnValue }
        let core: Process<DirectMap, PagingPolicy>
        do throws(KernelError) {
            core = try parent.core.fork()
        } catch {
            return error.syscallReturnValue
        }
        let child = UserProcess(id: nextID, parentID: parent.id, core: core)
        nextID += 1
        fxsave(thread.fpuState) // the parent's registers as they are now
        admit(child, thread: KernelThread(id: child.id, process: child, frame: UserProcess.childFrame(frame), fpu: thread.fpuState,
                                          segments: read_data_segments()))
        return Int64(child.id)
    }

    /// The running process ends with `status`, once its handler has returned.
    private func exitRunning(status: Int64) {
        finish(running.process, status: status)
        user_exit_pending = 1
    }

    /// `thread`'s process, which is not running, ends with `status`; the thread ends as
    /// soon as it runs.
    private func end(_ thread: KernelThread, status: Int64) {
        if let process = thread.process { finish(process, status: status) }
        scheduler.makeEnd(thread)
    }

    /// What ending a process means, wherever it ends from: its descriptors close (waking
    /// whoever waits on their pipes), it leaves the table, and the first process's end ends
    /// every other.
    private func finish(_ process: UserProcess, status: Int64) {
        guard process.exitStatus == nil else { return }
        process.exitStatus = status
        process.core.closeAllFiles()
        for queue in process.core.takeWakeups() { scheduler.wake(queue) }
        processes.removeAll { $0 === process }
        log("process \(process.id) ended with status \(status)")
        guard process.id == firstID else { return }
        self.status = status
        if !processes.isEmpty { logProcessTable() }
        for thread in scheduler.threads where thread.process !== process && thread.process?.exitStatus == nil {
            log("process \(thread.process!.id) ended with the run's first process; status -1")
            end(thread, status: -1)
        }
    }

    /// A `ps`-like view for the kernel log: every live process, its parent, its state and
    /// its frames.
    private func logProcessTable() {
        log("  id  parent  state    frames")
        for process in processes {
            let thread = scheduler.threads.first { $0.process === process }
            let state = switch thread?.state {
            case .waiting: "waiting"
            case .ended: "ended  "
            default: thread === scheduler.current ? "running" : "ready  "
            }
            log("  \(process.id)  \(process.parentID)  \(state)  \(process.frameCount)")
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
    ProcessRun.current?.threadStarted()
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
    guard let run = ProcessRun.current else { fatalError("a thread ended with no run") }
    return run.scheduler.prepareEndOfCurrent()
}
