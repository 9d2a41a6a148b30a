/// How the kernel log names threads and processes, and its `ps`-like view of a run.
extension ProcessRun {
    /// How the log names a thread: by its process alone when it is the process's only one
    /// (unless `always`), else by its id, its name and its process.
    func describe(_ thread: ThreadControlBlock, of process: ProcessControlBlock, always: Bool = false) -> String {
        guard always || process.core.threads.runningCount > 1 || thread.id != process.id.mainThread else { return "process \(process.id)" }
        return "thread \(thread.id)\(named(thread)) of process \(process.id)"
    }

    /// ` "NAME"` for a thread with a name (escaped: the program chose it), else nothing.
    func named(_ thread: ThreadControlBlock) -> String {
        thread.name.isEmpty ? "" : " \"\(LogText.escaped(thread.name))\""
    }

    /// A `ps`-like view for the kernel log: every process of `processes`, its parent, its
    /// frames and each of its threads with its state. Allocates nothing: it is written at
    /// the end of a run, while processes are freed.
    func logProcessTable(_ processes: [ProcessControlBlock]) {
        log("  id  parent  frames  threads")
        for process in processes {
            logPart("  \(process.id)  \(process.parentID)  \(process.frameCount)  ")
            var first = true
            for thread in scheduler.threads where thread.process === process {
                let state: StaticString = switch thread.state {
                case .waiting: "waiting"
                case .ended: "ended"
                case .ready: scheduler.isRunning(thread) ? "running" : "ready"
                }
                logPart("\(first ? "" : ", ")\(thread.id)")
                if !thread.name.isEmpty { logPart(" \"\(escaped: thread.name)\"") }
                logPart(" \(state)")
                first = false
            }
            log("")
        }
    }
}
