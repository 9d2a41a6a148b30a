import X86_64Support

/// syscall_entry.S: a program's `syscall`, its registers in a ``TrapFrame`` (rcx and r11 hold
/// what `syscall` put there: the `rip` and `rflags` of the frame). The CPU takes the kernel
/// lock here; it lets it go on the way back to ring 3 (`apus_leave_kernel`).
@_cdecl("apus_syscall")
public func apusSyscall(_ rawFrame: UnsafeMutableRawPointer) {
    KernelLock.enter()
    // The run lives as long as the boot: borrowed, not counted (see `systemCall`).
    guard let run = ProcessRun.current.map(Unmanaged.passUnretained) else { fatalError("system call with no process") }
    run._withUnsafeGuaranteedRef { $0.systemCall(rawFrame.assumingMemoryBound(to: TrapFrame.self)) }
}

/// A system call in the kernel: the registers go to the process's personality
/// (``KeOSSyscalls``, which decodes them and runs the concept that serves the call), and
/// the kernel carries out what the call asks of it: a value in `rax`, a thread's or a
/// process's end, a new thread or process, or a wait on a condition, after which the call
/// goes on with what is left of it (a `WaitingCall`, which holds the open file the call
/// started with).
///
/// The call runs holding the file system lock (FileSystemLock.swift), which it lets go only
/// while it waits on a condition. A call refused memory is run again after the file
/// system's caches wrote dirty pages back and gave frames up, twice as many each time, for
/// as long as they have any to give (every call changes nothing when it fails, so running it
/// again is safe; an eager `mmap` may need thousands of frames at once).
extension ProcessRun {
    /// A system call of the running process.
    func systemCall(_ frame: UnsafeMutablePointer<TrapFrame>) {
        // Borrowed, not counted: the running thread and its process live at least until the
        // call returns (an exit returns at once), and every count is an atomic instruction,
        // which software emulation runs slowly (3 pairs were 40 % of a null system call).
        unowned(unsafe) let thread = running.thread
        let process = Unmanaged.passUnretained(running.process)
        // Its process ended while it ran on this CPU (another thread's exit_group or fault, or
        // the end of the run's first process): it ends now, before the call does anything.
        if thread.mustEnd || process._withUnsafeGuaranteedRef({ $0.exitStatus != nil }) {
            cpu_local_set_exit_pending()
            return
        }
        let registers = frame.pointee.registers
        let threadID = thread.id
        guard FileSystemLock.acquire(by: threadID) != .ended else {
            cpu_local_set_exit_pending()
            return
        }
        SyscallTracing.enter(registers, by: threadID, in: process)
        var outcome = dispatch(registers, by: threadID, in: process)
        var batch = RootVolume.writeBackBatch
        while case .returns(KernelError.noMemory.syscallReturnValue) = outcome, RootVolume.releaseFramesWritingBack(batch) > 0 {
            batch *= 2
            outcome = dispatch(registers, by: threadID, in: process)
        }
        var done: Int64 = 0
        var endedWhileWaiting = false
        var interrupted = InterruptedCall.no
        while case .waits(let condition, let rest, let progress) = outcome {
            wakeWaiters()
            done += progress
            // Never wait for another thread holding the file system lock (let go meanwhile).
            let end = waitInterruptibly(on: condition, thread: thread, process: process.takeUnretainedValue())
            if end == .ended {
                endedWhileWaiting = true
                outcome = .returns(0)
                break
            }
            if end == .interrupted { // a signal is to be delivered: what was done, or −EINTR
                outcome = .returns(LinuxErrno.interrupted.syscallReturnValue)
                if done == 0 { interrupted = .restartable(number: registers.rax) }
                break
            }
            outcome = process._withUnsafeGuaranteedRef {
                $0.core.personality == .linux ? LinuxSyscalls.resume(rest, by: threadID, in: &$0.core)
                                              : KeOSSyscalls.resume(rest, by: threadID, in: &$0.core)
            }
        }
        // The waits are over, and with them every open file a waiting call held: a pipe end
        // that closed with one wakes its other side here.
        wakeWaiters()
        if endedWhileWaiting {
            cpu_local_set_exit_pending() // its process ended while it waited
            return
        }
        switch outcome {
        case .returns(let value):
            // A call that waited part-way returns what it did before an error.
            frame.pointee.registers.rax = UInt64(bitPattern: value < 0 && done > 0 ? done : value + done)
        case .exit(let status):
            if process._withUnsafeGuaranteedRef({ $0.core.personality == .linux }) {
                process._withUnsafeGuaranteedRef { $0.waitStatus = WaitStatus.exited(status).raw }
            }
            endRunningThread(status: status)
            FileSystemLock.release(by: threadID)
            return
        case .exitGroup(let status):
            process._withUnsafeGuaranteedRef { $0.waitStatus = WaitStatus.exited(status).raw }
            exitRunning(status: Int64(status))
            FileSystemLock.release(by: threadID)
            return
        case .fork:
            let child = fork(frame.pointee, parent: process.takeUnretainedValue(), thread: thread)
            frame.pointee.registers.rax = UInt64(bitPattern: child)
            // Linux's clone(CLONE_CHILD_SETTID, …, child_tid): the child's id in its own memory.
            if child > 0, registers.rax == LinuxSyscallNumber.clone.rawValue, registers.rdi & 0x0100_0000 != 0,
               let made = table.entry(ProcessID(Int(child)))?.process {
                try? made.core.mm.copyOut(value: Int32(truncatingIfNeeded: child), to: VirtualAddress(registers.r10))
            }
        case .waitsForChild(let selector, _, let status, let usage, let options):
            guard let result = waitForChild(selector, status: status, usage: usage, options: options, thread: thread, process: process.takeUnretainedValue()) else {
                cpu_local_set_exit_pending() // its process ended while it waited
                return
            }
            frame.pointee.registers.rax = UInt64(bitPattern: result)
            if result == LinuxErrno.interrupted.syscallReturnValue { interrupted = .restartable(number: registers.rax) }
        case .signal(let request):
            switch request {
            case .suspend:
                guard let result = suspendForSignal(thread: thread, process: process.takeUnretainedValue()) else {
                    cpu_local_set_exit_pending() // its process ended while it waited
                    return
                }
                frame.pointee.registers.rax = UInt64(bitPattern: result)
                interrupted = .notRestartable
            case .returnFromHandler:
                returnFromHandler(thread: thread, process: process.takeUnretainedValue(), frame: frame)
            case .alternateStack(let new, let old):
                let result = process._withUnsafeGuaranteedRef {
                    LinuxSyscalls.alternateStack(new: new, old: old, by: threadID, stackPointer: frame.pointee.rsp, in: &$0.core)
                }
                frame.pointee.registers.rax = UInt64(bitPattern: result)
            case .send(let signal, let target):
                frame.pointee.registers.rax = UInt64(bitPattern: send(signal, to: target, from: process.takeUnretainedValue()))
            case .alarmChanged(let secondsLeft):
                alarmsChanged()
                frame.pointee.registers.rax = UInt64(bitPattern: secondsLeft)
            }
        case .jobControl(let request):
            let (result, restartable) = jobControl(request, by: thread, of: process.takeUnretainedValue())
            frame.pointee.registers.rax = UInt64(bitPattern: result)
            if restartable { interrupted = .restartable(number: registers.rax) }
        case .sleeps(let deadline, let remaining):
            guard let result = sleep(until: deadline, remaining: remaining, thread: thread, process: process.takeUnretainedValue()) else {
                cpu_local_set_exit_pending() // its process ended while it waited
                return
            }
            frame.pointee.registers.rax = UInt64(bitPattern: result)
        case .polls(let request):
            guard let result = poll(request, thread: thread, process: process.takeUnretainedValue()) else {
                cpu_local_set_exit_pending() // its process ended while it waited
                return
            }
            frame.pointee.registers.rax = UInt64(bitPattern: result)
            if result == LinuxErrno.interrupted.syscallReturnValue { interrupted = .notRestartable }
        case .execute(let request):
            if let failure = execute(request, thread: thread, process: process.takeUnretainedValue(), frame: frame) {
                frame.pointee.registers.rax = UInt64(bitPattern: failure)
            }
        case .threadCreate(let start):
            frame.pointee.registers.rax = UInt64(bitPattern: createThread(start, in: process.takeUnretainedValue()))
        case .setsThreadPointer(let base):
            thread.threadPointer = base
            LinuxPersonality.loadThreadPointer(base)
            frame.pointee.registers.rax = 0
        case .waits:
            preconditionFailure("a call still waits after its waits")
        }
        SyscallTracing.leave(registers, result: frame.pointee.registers.rax, by: threadID, in: process)
        if process._withUnsafeGuaranteedRef({ $0.core.personality == .linux }) {
            guard deliverSignals(thread: thread, process: process.takeUnretainedValue(), frame: frame, interrupted: interrupted) else { return }
            if thread.mustEnd || process._withUnsafeGuaranteedRef({ $0.exitStatus != nil }) {
                FileSystemLock.release(by: threadID)
                cpu_local_set_exit_pending()
                return
            }
        }
        if ReturnAddressVerdict(returningTo: frame.pointee.rip) == .endProcess {
            log("process \(process.takeUnretainedValue().id): system call returns to the non-canonical address \(hexadecimal(frame.pointee.rip)); process killed with status -1")
            exitRunning(status: -1)
        }
        FileSystemLock.release(by: threadID)
    }

    /// The call in `registers`, decoded by the process's personality and run. `munmap` and
    /// `close` only give back: they must ask the heap for nothing. The inodes a call let go
    /// of are freed when the file system lock is let go (FileSystemLock.release).
    private func dispatch(_ registers: GeneralRegisters, by thread: ThreadID, in process: Unmanaged<ProcessControlBlock>) -> SyscallOutcome<DirectMap> {
        let arguments = SyscallArguments(registers.rdi, registers.rsi, registers.rdx, registers.r10, registers.r8, registers.r9)
        if process._withUnsafeGuaranteedRef({ $0.core.personality == .linux }) {
            let serve = { process._withUnsafeGuaranteedRef { LinuxSyscalls.serve(registers.rax, arguments, by: thread, in: &$0.core, machine: LinuxPersonality.machine) } }
            if registers.rax == LinuxSyscallNumber.close.rawValue { return KernelHeap.whileFreeing(serve) }
            let outcome = serve()
            // A call the table does not serve: one line in the log names it.
            if case .returns(LinuxErrno.noSuchCall.syscallReturnValue) = outcome {
                log("process \(process.takeUnretainedValue().id): \(LinuxSyscalls.unknownCall(registers.rax))")
            }
            return outcome
        }
        let serve = { process._withUnsafeGuaranteedRef { KeOSSyscalls.serve(registers.rax, arguments, by: thread, in: &$0.core) } }
        return KeOSSyscalls.onlyGivesBack(registers.rax) ? KernelHeap.whileFreeing(serve) : serve()
    }
}
