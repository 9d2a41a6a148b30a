import X86_64Support

/// How a process ends (ABI.md §5): when its last thread ends (with its main thread's
/// status), at `exit_group`, at a fault in any of its threads, or in a deadlock; and the
/// run with its first process. The order of the steps is the process table's
/// (``ProcessTable/end(_:status:)``); here each step is carried out.
extension ProcessRun {
    /// The running thread's `exit(status)`: it ends once its handler has returned, and its
    /// process with it when it was the last thread running. Allocates nothing.
    func endRunningThread(status: Int32) {
        KernelHeap.whileFreeing {
            let (thread, process) = running
            let processStatus = process.core.threadEnded(thread.id, status: status)
            wakeWaiters()
            if let processStatus { finish(process, status: Int64(processStatus)) }
        }
        cpu_local_set_exit_pending()
    }

    /// The running thread's whole process ends with `status` (`exit_group`, a fault), once
    /// the handler has returned.
    func exitRunning(status: Int64) {
        finish(running.process, status: status)
        cpu_local_set_exit_pending()
    }

    /// Ends `process` with `status`, wherever it ends from: the table's steps, in order.
    /// Allocates nothing (``KernelHeap/whileFreeing(_:)``).
    func finish(_ process: ProcessControlBlock, status: Int64) {
        let parent = table.entry(process.id)?.parent.flatMap { table.entry($0)?.process }
        KernelHeap.whileFreeing {
            table.end(process.id, status: status) { step in carryOut(step) }
        }
        if process.core.linux.alarm.isSet { alarmsChanged() } // its alarm goes with it
        // A Linux parent may wait for it: it stays a zombie until then (ChildWaits.swift).
        if let parent, parent.core.personality == .linux {
            let waitStatus = process.waitStatus ?? (status == -1 ? WaitStatus.killed(by: .segmentationFault, coreDumped: false)
                                                                  : WaitStatus.exited(Int32(truncatingIfNeeded: status))).raw
            table.keep(ZombieProcess(id: process.id, parent: parent.id, group: process.core.linux.group(of: Int64(process.id.value)), status: waitStatus))
            if let change = WaitStatus(raw: waitStatus) {
                post(.childChanged(pid: Int32(truncatingIfNeeded: process.id.value), status: change), to: parent)
            }
            wakeups.add(parent.childEnded)
            wakeWaiters()
        }
    }

    private func carryOut(_ step: ProcessEndStep<ProcessControlBlock>) {
        switch step {
        case .record(let ending, let status):
            ending.exitStatus = status
            MemoryMapReport.end(ending)
        case .endOtherThreads(let ending):
            for thread in scheduler.threads where thread.process === ending && thread !== scheduler.current && thread.state != .ended {
                scheduler.makeEnd(thread)
            }
        case .closeFiles(let ending):
            ending.core.closeAllFiles()
            wakeWaiters()
        case .left(let ending, let status):
            log("process \(ending.id) ended with status \(status)")
        case .endRun(_, let survivors):
            if !survivors.isEmpty { logProcessTable(survivors) }
        case .endWithRun(let ending):
            log("process \(ending.id) ended with the run's first process; status -1")
        }
    }
}
