import X86_64Support

/// Stopping and continuing a Linux process (ApusCore's ``JobState`` keeps the rules): a
/// stop signal's default action stops it, `SIGCONT` (or `SIGKILL`) lets it go on.
///
/// A stopped process's threads run no program: each waits on ``ProcessRun/processContinues``
/// as it reaches the way back to its program (ProcessRun+SignalDelivery.swift), and one running on
/// another CPU is brought into the kernel to do so. A thread waiting in a system call stays
/// there (its program does not run either) and stops on its way back. The wait is a
/// condition only a thread can bring about (a `kill -CONT`), so when every process left is
/// stopped or waits for a thread, the deadlock rule ends them rather than idle forever.
///
/// The parent hears of each change: `wait4` with `WUNTRACED` or `WCONTINUED` collects it,
/// and `SIGCHLD` arrives unless its action for `SIGCHLD` has `SA_NOCLDSTOP`.
extension ProcessRun {
    /// `process` stops, by `signal` (nothing when it is stopped already, or when `signal` is
    /// one of the terminal's and no shell could continue its group).
    func stop(_ process: ProcessControlBlock, by signal: Signal) {
        guard !ProcessGroups.ignoresDefaultStop(by: signal, group: relations(of: process).group,
                                                among: table.entries.map { relations(of: $0.process) }) else {
            log("process \(process.id): signal \(signal.number) passes over its orphaned process group")
            return
        }
        guard process.core.linux.job.stop(by: signal) else { return }
        log("process \(process.id) stopped by signal \(signal.number)")
        for thread in scheduler.threads where thread.process === process {
            thread.signalHint = true // so that a thread running elsewhere stops on its way back
            bringIntoKernel(thread)
        }
        tellParent(of: process, .stopped(by: signal))
    }

    /// `process`, if stopped, goes on: posting `signal` (`SIGCONT`, or `SIGKILL` on its way
    /// to end it) resumed it. Only a `SIGCONT` is told to the parent.
    func resume(_ process: ProcessControlBlock, by signal: Signal) {
        guard process.core.linux.job.resume(reported: signal == .continue) else { return }
        scheduler.broadcast(processContinues)
        if signal == .continue { tellParent(of: process, .continued) }
    }

    /// `thread`, on its way back to its program holding the file system lock, waits while its
    /// process is stopped (letting the lock go meanwhile). False when its process ended
    /// meanwhile: its exit is then pending and it no longer holds the lock.
    func waitWhileStopped(_ thread: ThreadControlBlock, _ process: ProcessControlBlock) -> Bool {
        guard process.core.linux.job.isStopped && !thread.mustEnd else { return true }
        // Let go first: that may wait for the disk, and a SIGCONT or SIGKILL meanwhile would
        // find no one waiting yet. Then each look at the state and the wait are one step
        // under the kernel lock, so no wake-up falls between them.
        FileSystemLock.release(by: thread.id)
        while process.core.linux.job.isStopped && !thread.mustEnd && process.exitStatus == nil {
            scheduler.wait(on: processContinues)
        }
        if thread.mustEnd || process.exitStatus != nil || FileSystemLock.acquire(by: thread.id) == .ended {
            cpu_local_set_exit_pending()
            return false
        }
        return true
    }

    /// Tells the parent of `process` that it stopped or continued (`change`).
    private func tellParent(of process: ProcessControlBlock, _ change: WaitStatus) {
        guard let parent = table.entry(process.id)?.parent.flatMap({ table.entry($0)?.process }), parent.core.personality == .linux else { return }
        if !parent.core.linux.signals.action(for: .child).flags.contains(.noChildStop) {
            post(.childChanged(pid: Int32(truncatingIfNeeded: process.id.value), status: change), to: parent)
        }
        wakeups.add(parent.childEnded)
        wakeWaiters()
    }
}
