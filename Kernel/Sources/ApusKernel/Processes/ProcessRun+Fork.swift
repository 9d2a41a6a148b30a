import X86_64Support

/// `fork()` in the kernel (ABI.md §5): the process table gives the child its id (or refuses
/// it at a limit: NoMemory for a KeOS program, EAGAIN for a Linux one), the process copies
/// itself (``UserProcess/fork(mainThread:)``: its memory copy-on-write, its descriptors),
/// and the kernel gives the child its one thread, which starts where the parent's `syscall`
/// returns, with 0 in `rax`.
extension ProcessRun {
    /// `fork()` of `parent` by `thread`: the child's id, or the error.
    func fork(_ frame: TrapFrame, parent: ProcessControlBlock, thread: ThreadControlBlock) -> Int64 {
        // A child starts with `iretq` at the address after the parent's `syscall`; where
        // `sysretq` could not return (ReturnAddressVerdict.swift), neither can `iretq` (Intel
        // CPUs fault in ring 0 there). The parent ends when this call returns: no child is made.
        guard ReturnAddressVerdict(returningTo: frame.rip) == .sysret else { return KernelError.invalidArgument.syscallReturnValue }
        var child: ProcessControlBlock?
        do throws(KernelError) {
            _ = try table.fork(from: parent.id) { (id) throws(KernelError) in
                let process = ProcessControlBlock(id: id, parentID: parent.id, core: try parent.core.fork(mainThread: id.mainThread))
                process.core.linux.parentProcess = Int64(parent.id.value)
                child = process
                return process
            }
        } catch {
            // The table refuses at its limit before it asks for anything: still full now.
            guard parent.core.personality == .linux else { return error.syscallReturnValue }
            return LinuxSyscalls.forkRefusal(error, atProcessLimit: !table.hasRoomForProcess).syscallReturnValue
        }
        let made = child!
        fxsave(thread.fpuState) // the parent's registers as they are now
        let childThread = ThreadControlBlock(id: made.id.mainThread, process: made, frame: ProcessControlBlock.childFrame(frame), fpu: thread.fpuState,
                                       segments: read_data_segments())
        childThread.threadPointer = thread.threadPointer
        admit(made, thread: childThread)
        MemoryMapReport.fork(parent: parent, child: made)
        return Int64(made.id.value)
    }
}
