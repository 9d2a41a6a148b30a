import X86_64Support

/// What the CPU raises while a program runs (Trap.swift sends it here): a page fault, which
/// the process's memory may serve (``MmStruct/handlePageFault(at:errorCode:)``), another
/// exception, and the timer's tick, which ends the time slice. A fault nothing serves ends a
/// KeOS process; a Linux process's thread gets the signal Linux gives for it
/// (``FaultSignal``: SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP), which its handler may catch.
///
/// A fault is served holding the file system lock (FileSystemLock.swift): its page may be a
/// file's, read through the page cache. A fault that finds no frame is served once more after
/// the caches wrote dirty pages back and gave their frames up, before the process is ended.
extension ProcessRun {
    /// An exception of the running thread: a page its process's pager serves, a signal for a
    /// Linux thread, or the end of the whole process with status −1 and a line in the kernel
    /// log (ABI.md §3, §5).
    func handleUserException(_ frame: UnsafeMutablePointer<TrapFrame>) {
        // Borrowed, not counted, as in `systemCall`: a page fault is as hot a path.
        unowned(unsafe) let thread = running.thread
        unowned(unsafe) let process = running.process
        let vector = frame.pointee.vector
        let address = read_cr2()
        let threadID = thread.id
        let acquisition = FileSystemLock.acquire(by: threadID)
        guard acquisition != .ended else {
            cpu_local_set_exit_pending()
            return
        }
        defer { FileSystemLock.release(by: threadID) }
        if vector == Traps.pageFault {
            let errorCode = PageFaultErrorCode(rawValue: frame.pointee.errorCode)
            // A thread that waited for the lock may find its page served by another thread
            // of its process (which faulted on it too): that is no stale translation.
            let waited = acquisition == .afterWaiting
            var resolution = Unmanaged.passUnretained(process)._withUnsafeGuaranteedRef {
                $0.core.mm.handlePageFault(at: VirtualAddress(address), errorCode: errorCode,
                                           remembering: &thread.faultMemory, mayBeServedAlready: waited)
            }
            if resolution == .outOfMemory, RootVolume.releaseFramesWritingBack() > 0 {
                resolution = Unmanaged.passUnretained(process)._withUnsafeGuaranteedRef {
                    $0.core.mm.handlePageFault(at: VirtualAddress(address), errorCode: errorCode, remembering: &thread.faultMemory)
                }
            }
            switch resolution {
            case .resolved: return
            case .segmentationFault(let cause) where process.core.personality == .linux:
                let inRegion = process.core.mm.region(containing: VirtualAddress(address)) != nil
                let fault = FaultSignal.pageFault(cause, at: address, inRegion: inRegion, errorCode: errorCode.rawValue)
                if post(fault, thread: thread, process: process) {
                    log("\(describe(thread, of: process)): page fault at \(hexadecimal(address)): \(cause) (rip \(hexadecimal(frame.pointee.rip))); \(fault.info.signal)")
                }
                return
            case .segmentationFault(let cause):
                log("\(describe(thread, of: process)): page fault at \(hexadecimal(address)): \(cause) (rip \(hexadecimal(frame.pointee.rip))); process killed with status -1")
            case .outOfMemory:
                log("\(describe(thread, of: process)): page fault at \(hexadecimal(address)): no frame left for the page, the process had \(process.frameCount) frames (rip \(hexadecimal(frame.pointee.rip))); process killed with status -1")
            }
        } else if process.core.personality == .linux, let fault = signal(forException: vector, frame: frame.pointee, thread: thread, process: process) {
            frame.pointee.rip &+= fault.resumeOffset
            if post(fault, thread: thread, process: process) {
                log("\(describe(thread, of: process)): \(exceptionName(vector)) at rip \(hexadecimal(frame.pointee.rip)); \(fault.info.signal)")
            }
            return
        } else {
            log("\(describe(thread, of: process)): \(exceptionName(vector)) at rip \(hexadecimal(frame.pointee.rip)); process killed with status -1")
        }
        exitRunning(status: -1)
    }

    /// Posts the signal of `fault` to the Linux `thread` that caused it, to be delivered on
    /// its way back to the program (Trap.swift): a handler runs, or the process ends. True
    /// when it will end the process (no handler, or the signal blocked or ignored, which
    /// forces the default), for the log to say what the fault was.
    private func post(_ fault: FaultSignal, thread: ThreadControlBlock, process: ProcessControlBlock) -> Bool {
        _ = process.core.linux.signals.postFault(fault, toThread: thread.id)
        thread.signalHint = true
        return process.core.linux.signals.action(for: fault.info.signal).handler == .default
    }

    /// The signal exception `vector` (not a page fault) gives the Linux `thread` (``FaultSignal``),
    /// or `nil`. A floating-point exception needs the thread's FPU state, and a #GP the
    /// instruction's first byte (it may be an `int3` through the closed breakpoint gate).
    private func signal(forException vector: UInt64, frame: TrapFrame, thread: ThreadControlBlock, process: ProcessControlBlock) -> FaultSignal? {
        switch vector {
        case FaultSignal.x87FloatingPoint, FaultSignal.simdFloatingPoint:
            fxsave(thread.fpuState)
            let image = [UInt8](UnsafeRawBufferPointer(start: thread.fpuState, count: FPUStateArea.size))
            return FaultSignal.floatingPoint(vector, instruction: frame.rip, fpuState: image)
        case FaultSignal.generalProtection:
            let opcode = (try? process.core.mm.copyIn(count: 1, from: VirtualAddress(frame.rip)))?.first
            return FaultSignal.exception(vector, errorCode: frame.errorCode, instruction: frame.rip, opcode: opcode)
        default:
            return FaultSignal.exception(vector, errorCode: frame.errorCode, instruction: frame.rip)
        }
    }

    /// A timer tick while a program ran: its time slice is over.
    func tick() {
        scheduler.preempt()
        if scheduler.current?.mustEnd == true { cpu_local_set_exit_pending() }
    }
}
