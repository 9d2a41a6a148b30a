import X86_64Support

/// Posting signals in the kernel: a signal is posted to a process or thread found in the
/// process table (`kill`, `tgkill`, a child's end, Ctrl-C at the terminal) by ApusCore's
/// rules (``SignalState/post(_:)``), and the thread that is to take it is brought to take it
/// soon: woken from an interruptible wait (its call returns −EINTR or is made again), or,
/// running a program on another CPU, interrupted by a wake-up IPI so that it enters the
/// kernel and takes it on its way back (ProcessRun+SignalDelivery.swift). A thread running
/// on this CPU, or ready on a queue, takes it at its next return to its program anyway.
///
/// A KeOS program has no signal calls, so every signal does its default action there: those
/// whose default is to end the process end it, the others do nothing. So a Linux shell can
/// end, with Ctrl-C or `kill`, a KeOS program it runs.
extension ProcessRun {
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
        // Letting go may wait for the disk while other threads run: a change of the condition
        // or a signal then finds no one waiting yet, so both are looked at again first, and
        // the caller checks its condition again instead of waiting.
        let announced = condition.announcements
        FileSystemLock.release(by: thread.id)
        if condition.announcements == announced && !hasSignalToDeliver(thread, in: process) && !thread.mustEnd {
            thread.waitsInterruptibly = true
            scheduler.wait(on: condition)
            thread.waitsInterruptibly = false
        }
        if thread.mustEnd || FileSystemLock.acquire(by: thread.id) == .ended { return .ended }
        return hasSignalToDeliver(thread, in: process) ? .interrupted : .woken
    }

    /// Posts `info` to `process` (to its thread `thread` when given): a stopped process
    /// continued by it goes on, and the thread that is to take it is brought to it. A KeOS
    /// process does the signal's default action.
    func post(_ info: SignalInfo, to process: ProcessControlBlock, thread: ThreadID? = nil) {
        guard process.exitStatus == nil else { return }
        guard process.core.personality == .linux else {
            endByDefault(process, info.signal)
            return
        }
        let outcome = thread.map { process.core.linux.signals.post(info, toThread: $0) } ?? process.core.linux.signals.post(info)
        if outcome.resumesProcess { resume(process, by: info.signal) }
        guard let wake = outcome.wake, let woken = scheduler.threads.first(where: { $0.id == wake && $0.process === process }) else { return }
        woken.signalHint = true
        if woken.waitsInterruptibly {
            scheduler.interrupt(woken)
        } else {
            bringIntoKernel(woken)
        }
    }

    /// `thread`, if it runs a program on another CPU, enters the kernel there (a wake-up
    /// IPI), where it ends or takes its signals (Trap.swift).
    func bringIntoKernel(_ thread: ThreadControlBlock) {
        guard let cpu = CPU.all.first(where: { $0.current === thread }), cpu.index != CPU.thisIndex else { return }
        LocalAPIC.sendInterrupt(InterruptVectors.wake, to: cpu.apicID)
    }

    /// A KeOS process that gets `signal`: it ends when the signal's default is to end a
    /// process (its Linux parent sees it killed by the signal), and nothing happens otherwise.
    private func endByDefault(_ process: ProcessControlBlock, _ signal: Signal) {
        switch signal.defaultAction {
        case .terminate, .terminateWithCore:
            process.waitStatus = WaitStatus.killed(by: signal, coreDumped: false).raw
            log("process \(process.id) killed by signal \(signal.number); status -1")
            finish(process, status: -1)
        case .ignore, .stop, .continue:
            break
        }
    }

    /// `kill`, `tgkill`, `tkill` by `sender` (`SI_USER`, or `SI_TKILL` for a thread): 0, or
    /// −ESRCH when nothing matches.
    func send(_ signal: Signal?, to target: LinuxSignalRequest.Target, from sender: ProcessControlBlock) -> Int64 {
        let toThread = if case .thread = target { true } else { false }
        return send(signal.map { SignalInfo.sent($0, byProcess: Int32(truncatingIfNeeded: sender.id.value), toThread: toThread) },
                    to: target, sender: sender)
    }

    /// Posts `info` to `target` (nothing but the search when `info` is `nil`); `sender` is
    /// the process `kill(-1, …)` spares (the kernel's own signals have none): 0, or −ESRCH
    /// when nothing matches, not even a zombie.
    func send(_ info: SignalInfo?, to target: LinuxSignalRequest.Target, sender: ProcessControlBlock?) -> Int64 {
        if case .thread(let id, let group) = target {
            guard let thread = scheduler.threads.first(where: { Int64($0.id.value) == id && $0.state != .ended }),
                  let process = thread.process, group.map({ $0 == Int64(process.id.value) }) ?? true else {
                return LinuxErrno.noSuchProcess.syscallReturnValue
            }
            if let info { post(info, to: process, thread: thread.id) }
            return 0
        }
        var found = false
        forEachProcessWhilePosting { process in
            let pid = Int64(process.id.value)
            switch target {
            case .process(let wanted): guard pid == wanted else { return }
            case .group(let group): guard process.core.linux.group(of: pid) == group else { return }
            case .everyone: guard pid != Int64(ProcessTable<ProcessControlBlock>.firstProcessID.value), process !== sender else { return }
            case .thread: return
            }
            found = true
            if let info { post(info, to: process) }
        }
        return found || table.zombies.contains(where: { $0.isFound(by: target) }) ? 0 : LinuxErrno.noSuchProcess.syscallReturnValue
    }

    /// Calls `body` with each process of the table in turn, looked up afresh by index: a
    /// signal `body` posts may end the process, and a KeOS process that ends leaves the
    /// table at once, the next one taking its place.
    func forEachProcessWhilePosting(_ body: (ProcessControlBlock) -> Void) {
        var index = 0
        while index < table.entries.count {
            let process = table.entries[index].process
            body(process)
            if index < table.entries.count, table.entries[index].process === process { index += 1 }
        }
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
}
