import ApusCore

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
    /// frames and each of its threads with its state.
    func logProcessTable(_ processes: [ProcessControlBlock]) {
        log("  id  parent  frames  threads")
        for process in processes {
            let threads = scheduler.threads.filter { $0.process === process }.map { thread in
                let state = switch thread.state {
                case .waiting: "waiting"
                case .ended: "ended"
                case .ready: scheduler.isRunning(thread) ? "running" : "ready"
                }
                return "\(thread.id)\(named(thread)) \(state)"
            }
            var line = "  \(process.id)  \(process.parentID)  \(process.frameCount)  "
            for (index, thread) in threads.enumerated() { line += index == 0 ? thread : ", " + thread }
            log(line)
        }
    }
}
