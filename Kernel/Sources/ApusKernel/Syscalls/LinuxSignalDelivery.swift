import ApusCore
import X86_64Support

/// Linux signals in the kernel: the mechanism under ApusCore's ``SignalState``, which holds
/// the rules. Here a signal is posted to a process or thread found in the process table
/// (`kill`, `tgkill`, a child's end) and the thread that is to take it is woken from a wait;
/// on every return to user space from a system call, the thread's deliverable signals are
/// acted on (a handler entered through a ``SignalFrame`` copied to its stack, the process
/// killed, or nothing); `rt_sigreturn` loads what the frame saved; `rt_sigsuspend` waits.
///
/// Delivery happens when a system call returns; a program that never makes one takes its
/// signals at its next call.
extension ProcessRun {
    /// How a system call that waited ended, for delivery: whether it may be restarted.
    enum InterruptedCall {
        /// It was not interrupted.
        case no
        /// It was interrupted and returns −EINTR unless a handler with `SA_RESTART` runs;
        /// then it runs again from its `syscall` instruction with its number in `rax`.
        case restartable(number: UInt64)
        /// It was interrupted and returns −EINTR whatever the handler (`rt_sigsuspend`).
        case notRestartable
    }

    /// How an interruptible wait ended.
    enum InterruptibleWait { case woken, interrupted, ended }

    /// True when a signal is to be delivered to `thread`: a Linux call that would wait
    /// returns −EINTR instead.
    func hasSignalToDeliver(_ thread: ThreadControlBlock, in process: ProcessControlBlock) -> Bool {
        process.core.personality == .linux && process.core.linux.signals.hasDeliverableSignal(thread.id)
    }

    /// The running `thread` waits on `condition` in a system call, holding the file system
    /// lock, which it lets go while it waits: `.interrupted` when a signal is to be delivered
    /// (before the wait or after it), `.ended` when its process ended meanwhile.
    func waitInterruptibly(on condition: ConditionVariable, thread: ThreadControlBlock, process: ProcessControlBlock) -> InterruptibleWait {
        if hasSignalToDeliver(thread, in: process) { return .interrupted }
        FileSystemLock.release(by: thread.id)
        thread.waitsInterruptibly = true
        scheduler.wait(on: condition)
        thread.waitsInterruptibly = false
        if thread.mustEnd || FileSystemLock.acquire(by: thread.id) == .ended { return .ended }
        return hasSignalToDeliver(thread, in: process) ? .interrupted : .woken
    }

    /// Posts `info` to Linux process `process` (to its thread `thread` when given), and wakes
    /// the thread that is to take it from an interruptible wait.
    func post(_ info: SignalInfo, to process: ProcessControlBlock, thread: ThreadID? = nil) {
        guard process.core.personality == .linux else { return }
        let outcome = thread.map { process.core.linux.signals.post(info, toThread: $0) } ?? process.core.linux.signals.post(info)
        guard let wake = outcome.wake, let woken = scheduler.threads.first(where: { $0.id == wake && $0.process === process }) else { return }
        if woken.waitsInterruptibly { scheduler.interrupt(woken) }
    }

    /// `kill`, `tgkill`, `tkill` by `sender`: 0, or −ESRCH when nothing matches.
    func send(_ signal: Signal?, to target: LinuxSignalRequest.Target, from sender: ProcessControlBlock) -> Int64 {
        let info = signal.map { SignalInfo.sent($0, byProcess: Int32(truncatingIfNeeded: sender.id.value)) }
        if case .thread(let id, let group) = target {
            guard let thread = scheduler.threads.first(where: { Int64($0.id.value) == id && $0.state != .ended }),
                  let process = thread.process, group.map({ $0 == Int64(process.id.value) }) ?? true else {
                return LinuxErrno.noSuchProcess.syscallReturnValue
            }
            if let info { post(info, to: process, thread: thread.id) }
            return 0
        }
        var found = false
        for entry in table.entries {
            let process = entry.process, pid = Int64(process.id.value)
            switch target {
            case .process(let wanted): guard pid == wanted else { continue }
            case .group(let group): guard process.core.linux.group(of: pid) == group else { continue }
            case .everyone: guard pid != Int64(ProcessTable<ProcessControlBlock>.firstProcessID.value), process !== sender else { continue }
            case .thread: continue
            }
            found = true
            if let info { post(info, to: process) }
        }
        return found ? 0 : LinuxErrno.noSuchProcess.syscallReturnValue
    }

    /// `rt_sigsuspend` by `thread` (its mask already the call's): waits until a signal is to
    /// be delivered; −EINTR, or `nil` when the process ended meanwhile.
    func suspendForSignal(thread: ThreadControlBlock, process: ProcessControlBlock) -> Int64? {
        while true {
            switch waitInterruptibly(on: signalArrives, thread: thread, process: process) {
            case .interrupted: return LinuxErrno.interrupted.syscallReturnValue
            case .ended: return nil
            case .woken: continue
            }
        }
    }

    /// `rt_sigreturn` by `thread`: the registers, mask and FPU state the signal frame below
    /// the user's stack pointer saved are loaded (rax included); a frame that cannot be read
    /// or is refused (``SignalReturn``) changes nothing and gives the thread `SIGSEGV`.
    func returnFromHandler(thread: ThreadControlBlock, process: ProcessControlBlock, frame: UnsafeMutablePointer<SyscallFrame>) {
        let address = SignalReturn.frameAddress(userStackPointer: frame.pointee.userRSP)
        do throws(KernelError) {
            let saved = try SignalReturn(frame: process.core.mm.copyIn(count: SignalFrame.size, from: VirtualAddress(address)))
            var fpu: [UInt8]?
            if let fpuAddress = saved.fpuStateAddress {
                fpu = FPUStateArea.sanitised(try process.core.mm.copyIn(count: FPUStateArea.size, from: VirtualAddress(fpuAddress)))
            }
            process.core.linux.signals.restoreMask(of: thread.id, to: saved.mask)
            if let fpu {
                fpu.withUnsafeBytes { thread.fpuState.copyMemory(from: $0.baseAddress!, byteCount: FPUStateArea.size) }
            } else {
                thread.fpuState.copyMemory(from: clean_fpu_state_address(), byteCount: FPUStateArea.size)
            }
            fxrstor(thread.fpuState)
            load(saved.registers, into: frame)
        } catch {
            _ = process.core.linux.signals.postFault(.fromKernel(.segmentationFault), toThread: thread.id)
        }
    }

    /// On the way back to user space from a system call of Linux `thread`: acts on its
    /// deliverable signals until a handler is to run or none is left. A handler's frame goes
    /// on the user stack and the handler's registers into `frame`; a signal whose action
    /// ends the process ends it (the caller sees the exit pending).
    func deliverSignals(thread: ThreadControlBlock, process: ProcessControlBlock, frame: UnsafeMutablePointer<SyscallFrame>,
                        interrupted: InterruptedCall) {
        while true {
            switch process.core.linux.signals.nextDelivery(for: thread.id) {
            case .none:
                return
            case .terminate(let signal, _):
                process.waitStatus = WaitStatus.killed(by: signal, coreDumped: false).raw
                log("process \(process.id) killed by signal \(signal.number)")
                exitRunning(status: Int64(128 + signal.number))
                return
            case .stop:
                continue // stopping is not offered: a stop signal's default does nothing
            case .handler(let run):
                if case .restartable(let number) = interrupted, run.restartsInterruptedCall {
                    frame.pointee.registers.rcx &-= 2 // back to the `syscall` instruction
                    frame.pointee.registers.rax = number
                }
                do throws(KernelError) {
                    let registers = userRegisters(frame.pointee)
                    fxsave(thread.fpuState)
                    let fpu = [UInt8](UnsafeRawBufferPointer(start: thread.fpuState, count: FPUStateArea.size))
                    let signalFrame = try SignalFrame(running: run, interrupted: registers, fpuState: fpu)
                    guard UserRegisters.isUserCodeAddress(signalFrame.handlerEntry.rip) else { throw .badAddress }
                    try process.core.mm.copyOut(signalFrame.bytes, to: VirtualAddress(signalFrame.address))
                    load(signalFrame.handlerEntry, into: frame)
                    return
                } catch {
                    process.core.linux.signals.frameFailed(run, thread: thread.id)
                }
            }
        }
    }

    /// The user registers a system call entered with (rcx holds rip, r11 rflags).
    private func userRegisters(_ frame: SyscallFrame) -> UserRegisters {
        let r = frame.registers
        var registers = UserRegisters()
        (registers.r8, registers.r9, registers.r10, registers.r11) = (r.r8, r.r9, r.r10, r.r11)
        (registers.r12, registers.r13, registers.r14, registers.r15) = (r.r12, r.r13, r.r14, r.r15)
        (registers.rdi, registers.rsi, registers.rbp, registers.rbx) = (r.rdi, r.rsi, r.rbp, r.rbx)
        (registers.rdx, registers.rax, registers.rcx, registers.rsp) = (r.rdx, r.rax, r.rcx, frame.userRSP)
        (registers.rip, registers.rflags) = (r.rcx, r.r11)
        return registers
    }

    /// `registers` into `frame`, for `sysretq`: rip in rcx and the flags in r11, which the
    /// program therefore gets back as those (as after any system call).
    private func load(_ registers: UserRegisters, into frame: UnsafeMutablePointer<SyscallFrame>) {
        let flags = UserRegisters.sanitisedFlags(registers.rflags)
        frame.pointee.registers = GeneralRegisters(
            r15: registers.r15, r14: registers.r14, r13: registers.r13, r12: registers.r12, r11: flags, r10: registers.r10,
            r9: registers.r9, r8: registers.r8, rbp: registers.rbp, rdi: registers.rdi, rsi: registers.rsi, rdx: registers.rdx,
            rcx: registers.rip, rbx: registers.rbx, rax: registers.rax)
        frame.pointee.userRSP = registers.rsp
    }
}
