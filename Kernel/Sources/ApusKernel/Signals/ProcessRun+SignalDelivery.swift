import X86_64Support

/// Delivering Linux signals: the mechanism under ApusCore's ``SignalState``, which holds the
/// rules. Whenever a thread of a Linux process goes back to its program, after a system
/// call (SystemCallEntry.swift) or after an interrupt or exception that came from the
/// program (a tick, a wake-up, a page fault: Trap.swift), its deliverable signals are acted
/// on: a handler entered through a ``SignalFrame`` copied to its stack, the process killed
/// or stopped, or nothing. So a program that never makes a system call still takes its
/// signals, at its next tick (a `SIGKILL` from another CPU reaches it at once: the poster
/// interrupts its CPU, ProcessRun+SignalPosting.swift).
///
/// Every entry leaves the program's registers in a ``TrapFrame``, so delivery reads and
/// writes one shape. Which registers count differs: after a `syscall`, rcx and r11 hold
/// only the return address and flags (the instruction clobbered the program's values);
/// after an interrupt they hold the program's own, which a handler's frame must save and
/// `rt_sigreturn` must restore. The frame keeps both: rcx and r11 in its registers, `rip`
/// and `rflags` apart; the way back from a system call uses `sysretq` only where they agree
/// and `iretq` otherwise (syscall_entry.S).
extension ProcessRun {
    /// How a system call that waited ended, for delivery: whether it may be made again.
    enum InterruptedCall {
        /// It was not interrupted.
        case no
        /// It was interrupted and returns −EINTR, unless it is made again: after a handler
        /// with `SA_RESTART`, or when no handler ran (the signal stopped the process, which
        /// then went on); then it runs again from its `syscall` instruction with its number
        /// in `rax`, as Linux does with `ERESTARTSYS`.
        case restartable(number: UInt64)
        /// It was interrupted and returns −EINTR whatever happens (`rt_sigsuspend`).
        case notRestartable
    }

    /// On the way back to the program of Linux `thread`, holding the file system lock: acts
    /// on its deliverable signals until a handler is to run or none is left (waiting while
    /// its process is stopped). A handler's frame goes on the user stack and the handler's
    /// registers into `frame`. Returns false when the thread is to end instead (its process
    /// was killed, or ended while it was stopped): then its exit is pending and it no longer
    /// holds the file system lock.
    func deliverSignals(thread: ThreadControlBlock, process: ProcessControlBlock, frame: UnsafeMutablePointer<TrapFrame>,
                        interrupted: InterruptedCall) -> Bool {
        thread.signalHint = false
        var interrupted = interrupted
        while true {
            guard waitWhileStopped(thread, process) else { return false }
            switch process.core.linux.signals.nextDelivery(for: thread.id) {
            case .none:
                if case .restartable(let number) = interrupted { restart(frame, number: number) }
                return true
            case .terminate(let signal, _):
                process.waitStatus = WaitStatus.killed(by: signal, coreDumped: false).raw
                log("process \(process.id) killed by signal \(signal.number)")
                exitRunning(status: Int64(128 + signal.number))
                FileSystemLock.release(by: thread.id)
                return false
            case .stop(let signal):
                stop(process, by: signal)
            case .handler(let run):
                if case .restartable(let number) = interrupted, run.restartsInterruptedCall { restart(frame, number: number) }
                // Decided once, at the first handler, whether its frame is built or not: a
                // SIGSEGV for a frame that failed must not move the return address back again.
                interrupted = .no
                do throws(KernelError) {
                    let registers = userRegisters(frame.pointee)
                    fxsave(thread.fpuState)
                    let fpu = [UInt8](UnsafeRawBufferPointer(start: thread.fpuState, count: FPUStateArea.size))
                    let signals = process.core.linux.signals.signals(of: thread.id)
                    let signalFrame = try SignalFrame(running: run, interrupted: registers, fpuState: fpu, fault: signals?.lastFault ?? .none,
                                                      alternateStack: signals?.alternateStack ?? .disabled)
                    guard UserRegisters.isUserCodeAddress(signalFrame.handlerEntry.rip) else { throw .badAddress }
                    try process.core.mm.copyOut(signalFrame.bytes, to: VirtualAddress(signalFrame.address))
                    process.core.linux.signals.handlerEntered(thread.id)
                    load(signalFrame.handlerEntry, into: frame)
                    return true
                } catch {
                    process.core.linux.signals.frameFailed(run, thread: thread.id)
                }
            }
        }
    }

    /// On the way back to the running thread's program from an interrupt or an exception
    /// that came from it, holding the kernel lock: its exit if its process ended meanwhile,
    /// else the signals it is to take (a Linux process's), as after a system call, but no
    /// call to make again.
    func returnToProgram(_ frame: UnsafeMutablePointer<TrapFrame>) {
        guard cpu_local_exit_pending() == 0 else { return }
        unowned(unsafe) let thread = running.thread
        unowned(unsafe) let process = running.process
        if thread.mustEnd || process.exitStatus != nil {
            cpu_local_set_exit_pending()
            return
        }
        guard process.core.personality == .linux else { return }
        guard process.core.linux.job.isStopped || process.core.linux.signals.hasDeliverableSignal(thread.id) else {
            thread.signalHint = false
            return
        }
        // A handler's frame is a copy into user memory, which may fault a file's page in.
        guard FileSystemLock.acquire(by: thread.id) != .ended else {
            cpu_local_set_exit_pending()
            return
        }
        guard deliverSignals(thread: thread, process: process, frame: frame, interrupted: .no) else { return }
        FileSystemLock.release(by: thread.id)
        if thread.mustEnd { cpu_local_set_exit_pending() }
    }

    /// `rt_sigreturn` by `thread`: the registers, mask and FPU state the signal frame below
    /// the user's stack pointer saved are loaded (rax, rcx and r11 included), and the
    /// alternate stack it saved is set again, judged at the stack pointer of the call, as
    /// Linux does (so a handler still on the alternate stack leaves it as it is); a frame that
    /// cannot be read or is refused (``SignalReturn``) changes nothing and gives the thread
    /// `SIGSEGV`.
    func returnFromHandler(thread: ThreadControlBlock, process: ProcessControlBlock, frame: UnsafeMutablePointer<TrapFrame>) {
        let address = SignalReturn.frameAddress(userStackPointer: frame.pointee.rsp)
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
            process.core.linux.signals.restoreAlternateStack(of: thread.id, to: saved.alternateStack, stackPointer: frame.pointee.rsp)
            load(saved.registers, into: frame)
        } catch {
            _ = process.core.linux.signals.postFault(.fromKernel(.segmentationFault), toThread: thread.id)
        }
    }

    /// The interrupted system call `number` is made again: back to its `syscall` instruction
    /// (two bytes before the return address), its number in `rax`.
    private func restart(_ frame: UnsafeMutablePointer<TrapFrame>, number: UInt64) {
        frame.pointee.rip &-= 2
        frame.pointee.registers.rax = number
    }

    /// The user registers in `frame`.
    private func userRegisters(_ frame: TrapFrame) -> UserRegisters {
        let r = frame.registers
        var registers = UserRegisters()
        (registers.r8, registers.r9, registers.r10, registers.r11) = (r.r8, r.r9, r.r10, r.r11)
        (registers.r12, registers.r13, registers.r14, registers.r15) = (r.r12, r.r13, r.r14, r.r15)
        (registers.rdi, registers.rsi, registers.rbp, registers.rbx) = (r.rdi, r.rsi, r.rbp, r.rbx)
        (registers.rdx, registers.rax, registers.rcx, registers.rsp) = (r.rdx, r.rax, r.rcx, frame.rsp)
        (registers.rip, registers.rflags) = (frame.rip, frame.rflags)
        return registers
    }

    /// `registers` into `frame`, the flags limited to what a program may set and the user
    /// selectors loaded (whatever `registers` came from).
    private func load(_ registers: UserRegisters, into frame: UnsafeMutablePointer<TrapFrame>) {
        frame.pointee.registers = GeneralRegisters(
            r15: registers.r15, r14: registers.r14, r13: registers.r13, r12: registers.r12, r11: registers.r11, r10: registers.r10,
            r9: registers.r9, r8: registers.r8, rbp: registers.rbp, rdi: registers.rdi, rsi: registers.rsi, rdx: registers.rdx,
            rcx: registers.rcx, rbx: registers.rbx, rax: registers.rax)
        frame.pointee.rip = registers.rip
        frame.pointee.rflags = UserRegisters.sanitisedFlags(registers.rflags)
        frame.pointee.rsp = registers.rsp
        (frame.pointee.cs, frame.pointee.ss) = (UserSegments.code, UserSegments.data)
    }
}
