import X86_64Support

/// `thread_create` in the kernel (ABI.md §5): the process checked where the thread starts
/// (``UserProcess/threadStart(name:stack:entry:argument:)``); the process table gives it an id
/// (or refuses it at the thread limit); the process writes its 0 return address and counts
/// it (``UserProcess/startThread(_:id:)``); and the kernel gives it a kernel stack and puts
/// it on the run queue.
extension ProcessRun {
    /// `thread_create` in `process`: the new thread's id, or NoMemory. Unlike a process's
    /// start, a thread's start and end are not logged: a log line costs about ten times a
    /// whole create and join (the log is a serial port), and a program may start thousands.
    func createThread(_ start: ThreadStart, in process: ProcessControlBlock) -> Int64 {
        do throws(KernelError) {
            let id = try table.startThread { (id) throws(KernelError) in try process.core.startThread(start, id: id) }
            scheduler.add(ThreadControlBlock(id: id, process: process, frame: ProcessControlBlock.threadFrame(start), fpu: clean_fpu_state_address(),
                                             name: start.name))
            return Int64(id.value)
        } catch {
            return error.syscallReturnValue
        }
    }
}
