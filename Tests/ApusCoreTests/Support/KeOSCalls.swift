import ApusCore

extension UserProcess {
    /// Makes KeOS system call `number` with `arguments`, as `thread` (the main thread unless
    /// named), through the KeOS decoding layer: what a program's `syscall` does.
    mutating func dispatch(_ number: UInt64, _ arguments: SyscallArguments, by thread: ThreadID? = nil) -> SyscallOutcome {
        KeOSSyscalls.dispatch(number, arguments, by: thread ?? threads.main, in: &self)
    }
}
