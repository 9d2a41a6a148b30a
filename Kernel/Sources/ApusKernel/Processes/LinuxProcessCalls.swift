import X86_64Support

/// Linux's `wait4` and `execve` in the kernel (ABI.md §7): what ApusCore decoded
/// (``SyscallOutcome/waitsForChild(selector:pid:status:usage:options:)``,
/// ``SyscallOutcome/execute(_:)``) carried out with the process table, the scheduler and
/// the CPU's registers.
extension ProcessRun {
    /// `wait4` by `thread` of `process`: the id of a child that ended, or stopped or
    /// continued when `options` asks for it (its wait status stored at `status`), 0
    /// (`WNOHANG`, children running), −ECHILD, −EINTR (a signal is to be delivered); `nil`
    /// when the process ended while the thread waited.
    func waitForChild(_ selector: ChildSelector, status: VirtualAddress, usage: VirtualAddress, options: WaitOptions,
                      thread: ThreadControlBlock, process: ProcessControlBlock) -> Int64? {
        while true {
            let found = table.reap(by: process.id, selector, group: { $0.core.linux.group(of: Int64($0.id.value)) },
                                   change: { $0.core.linux.job.collect(options) })
            switch found {
            case .reaped(let zombie):
                return report(child: zombie.id, status: zombie.status, at: status, usage: usage, to: process)
            case .changed(let child, let change):
                return report(child: child, status: change.raw, at: status, usage: usage, to: process)
            case .noChild:
                return LinuxErrno.noChild.syscallReturnValue
            case .childrenRunning:
                if options.contains(.noHang) { return 0 }
                wakeWaiters()
                switch waitInterruptibly(on: process.childEnded, thread: thread, process: process) {
                case .interrupted: return LinuxErrno.interrupted.syscallReturnValue
                case .ended: return nil
                case .woken: continue
                }
            }
        }
    }

    /// What `wait4` returns for `child`, whose wait status `raw` it stores at `status` (and
    /// an empty `struct rusage` at `usage`), each unless 0: its id, or −EFAULT.
    private func report(child: ProcessID, status raw: Int32, at status: VirtualAddress, usage: VirtualAddress,
                        to process: ProcessControlBlock) -> Int64 {
        if status.raw != 0, (try? process.core.mm.copyOut(value: raw, to: status)) == nil {
            return LinuxErrno.fault.syscallReturnValue
        }
        if usage.raw != 0, (try? process.core.mm.copyOut(LinuxStructures.emptyResourceUsage, to: usage)) == nil {
            return LinuxErrno.fault.syscallReturnValue
        }
        return Int64(child.value)
    }

    /// `execve` of `request` by `thread` of `process`: on success the process runs the new
    /// program from its entry point (its registers in `frame` replaced, its memory a new
    /// address space, its close-on-exec descriptors closed, its personality the new
    /// program's) and this returns `nil`; otherwise −errno, and nothing changed.
    func execute(_ request: LinuxExec.Request, thread: ThreadControlBlock, process: ProcessControlBlock,
                 frame: UnsafeMutablePointer<TrapFrame>) -> Int64? {
        let program: InodeHandle<DirectMap>
        do throws(KernelError) {
            program = try InodeHandle.open(request.path, from: process.core.currentDirectory.inode, in: process.core.fileSystem)
        } catch {
            return error.syscallReturnValue
        }
        guard program.type == .regular else { return KernelError.invalidAccess.syscallReturnValue }
        let path = LinuxPaths.resolve(request.path, from: process.core.linux.workingDirectory)
        var context = LinuxPersonality.context(path: path)
        context.environment = request.environment
        var mm: MmStruct<DirectMap, PagingPolicy>
        let start: ProgramLaunch.Start
        do throws(KernelError) {
            mm = try MmStruct(frames: Kernel.memory.frames, pager: process.core.mm.pager, kernelTemplate: Kernel.memory.pageTable.root, budget: budget)
        } catch {
            return error.syscallReturnValue
        }
        do throws(LaunchFailure) {
            start = try ProgramLaunch.load(program, arguments: request.arguments.isEmpty ? [request.path] : request.arguments,
                                           into: &mm, unmarked: LinuxPersonality.unmarked, linux: context)
        } catch {
            switch error {
            case .outOfMemory: return KernelError.noMemory.syscallReturnValue
            case .unreadable: return KernelError.ioError.syscallReturnValue
            case .argumentsTooLarge: return LinuxErrno.argumentsTooLong.syscallReturnValue
            default: return KernelError.noExec.syscallReturnValue
            }
        }
        // The new address space goes in, and the CPU onto it, before the old one goes.
        swap(&process.core.mm, &mm)
        write_cr3(process.pageTableRoot)
        CPU.this.loadedRoot = process.pageTableRoot
        _ = consume mm
        process.core.files.closeOnExec()
        process.core.personality = start.personality
        var state = process.core.linux
        state.breakStart = start.programBreak
        state.breakEnd = start.programBreak
        state.executablePath = path
        state.signals.resetForExecve(keeping: thread.id)
        state.hasExecuted = true
        process.core.linux = state
        if process.id == ProcessTable<ProcessControlBlock>.firstProcessID { routeInterrupts() }
        thread.threadPointer = 0
        LinuxPersonality.loadThreadPointer(0)
        // rcx and r11 as `syscall` leaves them, so the way back is `sysretq`.
        var registers = GeneralRegisters.zero
        registers.rdi = start.stack.argumentCount
        registers.rsi = start.stack.argumentVector
        registers.rcx = start.entry.raw
        registers.r11 = UserSegments.initialFlags
        frame.pointee.registers = registers
        (frame.pointee.rip, frame.pointee.rflags, frame.pointee.rsp) = (start.entry.raw, UserSegments.initialFlags, start.stack.stackPointer)
        log("process \(process.id) runs \(LogText.escaped(path)) (execve)")
        return nil
    }
}
