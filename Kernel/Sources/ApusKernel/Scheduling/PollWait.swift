import X86_64Support

/// Where a Linux thread waits in `poll`, `ppoll`, `select` or `pselect6` (ApusCore's
/// LinuxPoll.swift and LinuxSelect.swift hold the rules; the waiting is here).
///
/// A poll watches several files at once, but a thread waits on one condition: each wait has
/// a condition of its own, which the run broadcasts whenever any call may have changed a pipe
/// (``ProcessRun/wakeWaiters()``), and which, as an outside source, wakes at a tick once the
/// poll's deadline has passed or console input it watches has arrived. Woken, the thread
/// looks at every entry again, so a change it does not care about costs one look, and a
/// change it does care about is never missed: the look and the joining of the queue happen
/// under the kernel lock, as every change does.
final class PollWait: OutsideWakeSource {
    let condition: ConditionVariable
    /// When the poll's time is up (monotonic nanoseconds); `nil`: never.
    let deadline: UInt64?
    /// The console whose input the poll waits for, if any.
    let console: (any Console)?

    /// A wait until `deadline` or a change of a pipe, or input of `console`. With neither a
    /// deadline nor a console, only another thread can end it (a deadlock when none can).
    init(deadline: UInt64?, console: (any Console)?) {
        self.deadline = deadline
        self.console = console
        let outside = deadline != nil || console != nil
        condition = ConditionVariable("a polled file is ready or the poll's time is up", source: outside ? .outside : .threads)
    }

    /// Whether the time is up or the console's input is ready.
    var waiterCanGoOn: Bool {
        if let deadline, LinuxPersonality.monotonicNanoseconds() >= deadline { return true }
        return console.map(FileReadiness.consoleInputIsReady) ?? false
    }

    /// Whether something outside the threads can end the wait.
    var watchesOutside: Bool { deadline != nil || console != nil }
}

extension ProcessRun {
    /// `poll`, `ppoll`, `select` or `pselect6` by `thread` of `process`, which found nothing ready at first: waits
    /// and looks again until an entry is ready (their count), the deadline passes (0) or a
    /// signal is to be delivered (−EINTR); `nil` when the process ended meanwhile.
    func poll(_ request: LinuxPollRequest, thread: ThreadControlBlock, process: ProcessControlBlock) -> Int64? {
        while true {
            let check = LinuxSyscalls.pollAgain(request, by: thread.id, at: LinuxPersonality.monotonicNanoseconds(), in: &process.core)
            guard case .nothingReady(let watchesConsole) = check else {
                if case .done(let result) = check { return result }
                return nil
            }
            let now = LinuxPersonality.monotonicNanoseconds()
            if let deadline = request.deadline, now >= deadline {
                return LinuxSyscalls.finishPoll(request, by: thread.id, interrupted: false, at: now, in: &process.core)
            }
            let wait = PollWait(deadline: request.deadline, console: watchesConsole ? process.core.console : nil)
            polls.append(wait)
            if wait.watchesOutside { watch(wait) }
            let end = waitInterruptibly(on: wait.condition, thread: thread, process: process)
            polls.removeAll { $0 === wait }
            if wait.watchesOutside { unwatch(wait) }
            switch end {
            case .ended: return nil
            case .interrupted:
                return LinuxSyscalls.finishPoll(request, by: thread.id, interrupted: true, at: LinuxPersonality.monotonicNanoseconds(), in: &process.core)
            case .woken: continue
            }
        }
    }
}
