import ApusCore
import X86_64Support

/// Linux's `poll` and `ppoll` in the kernel: ApusCore looks at the descriptors
/// (``UserProcess/poll(_:)``); while none is ready the thread waits, interruptibly, on the
/// one condition that would make one ready when there is one (a shell's line editor polls
/// the console alone: it waits for input to arrive) and otherwise sleeps a little and looks
/// again, until the deadline.
extension ProcessRun {
    /// How long a `poll` with several conditions (or none) sleeps between looks.
    static let pollLookNanoseconds: UInt64 = 10_000_000

    /// `poll` of `request` by `thread` of `process`: how many descriptors are ready, 0 at the
    /// deadline, −EFAULT, −EINTR (a signal is to be delivered); `nil` when the process ended
    /// while the thread waited.
    func poll(_ request: LinuxPollRequest, thread: ThreadControlBlock, process: ProcessControlBlock) -> Int64? {
        while true {
            let look: PollLook
            do throws(KernelError) {
                look = try process.core.poll(request)
            } catch {
                return error.syscallReturnValue
            }
            guard case .waits(let condition) = look else { return look.readyCount }
            let now = LinuxPersonality.monotonicNanoseconds()
            if let deadline = request.deadline, now >= deadline { return 0 }
            if let condition, request.deadline == nil {
                switch waitInterruptibly(on: condition, thread: thread, process: process) {
                case .interrupted: return LinuxErrno.interrupted.syscallReturnValue
                case .ended: return nil
                case .woken: continue
                }
            }
            let (later, overflow) = now.addingReportingOverflow(Self.pollLookNanoseconds)
            let until = min(request.deadline ?? .max, overflow ? .max : later)
            guard let slept = sleep(until: until, remaining: VirtualAddress(0), thread: thread, process: process) else { return nil }
            if slept != 0 { return slept }
        }
    }
}
