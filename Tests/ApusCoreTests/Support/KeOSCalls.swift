import ApusCore

extension UserProcess where RAM == HostMemory {
    /// Makes KeOS system call `number` with `arguments`, as `thread` (the main thread unless
    /// named), through the KeOS decoding layer: what a program's `syscall` does.
    mutating func dispatch(_ number: UInt64, _ arguments: SyscallArguments, by thread: ThreadID? = nil) -> SyscallOutcome<HostMemory> {
        KeOSSyscalls.dispatch(number, arguments, by: thread ?? threads.main, in: &self)
    }

    /// Goes on with `call`, which waited, as `thread` (the main thread unless named): what
    /// the kernel does once the thread is woken.
    mutating func resume(_ call: WaitingCall<HostMemory>, by thread: ThreadID? = nil) -> SyscallOutcome<HostMemory> {
        KeOSSyscalls.resume(call, by: thread ?? threads.main, in: &self)
    }

    /// The conditions the calls since the last look put on the wake-up list, in order; the
    /// list is empty afterwards.
    func takeWakeups() -> [ConditionVariable] {
        var taken: [ConditionVariable] = []
        wakeups.drain { taken.append($0) }
        return taken
    }
}
