/// The thread system calls (ABI.md §5): `thread_create` is checked here and started by the
/// kernel (which owns kernel stacks and ids); `thread_join` is decided here whole, waiting
/// on the process's ``ThreadGroup/ended`` condition while its target runs; `exit` and
/// `exit_group` are outcomes the kernel carries out.
extension Process {
    /// `thread_create(name, stack, fn, arg)`: the checked start of the new thread, after the
    /// 0 return address is written below `stack`. Errors change nothing the program can see
    /// (the return address slot is below the stack the program handed over).
    mutating func threadStart(_ arguments: SyscallArguments) throws(KernelError) -> ThreadStart {
        var name = try memory.copyInCString(at: arguments.address(0), maximumLength: ThreadStart.maximumNameBytes)
        guard validUTF8(name) else { throw .invalidArgument }
        let stack = arguments[1], entry = arguments.address(2)
        guard stack >= 8, entry < AddressSpaceLayout.userEnd else { throw .badAddress }
        let stackPointer = VirtualAddress(stack - 8)
        guard memory.accessOK(stackPointer, length: 8, write: true) else { throw .badAddress }
        guard threads.hasRoom else { throw .noMemory }
        try memory.copyOut(value: UInt64(0), to: stackPointer)
        if name.count > ThreadStart.maximumNameLength { name.removeLast(name.count - ThreadStart.maximumNameLength) }
        return ThreadStart(entry: entry, stackPointer: stackPointer, argument: arguments[3], name: name)
    }

    /// `thread_join(tid, status)` by `caller`: 0 once `tid` has ended, with its status stored
    /// at `status` unless that is NULL; waits while it runs. An unknown tid, the caller's own,
    /// or one joined already is ``KernelError/invalidArgument``; a `status` the program
    /// cannot write is ``KernelError/badAddress``, checked before waiting, and a failed store
    /// leaves the thread unjoined.
    mutating func threadJoin(_ arguments: SyscallArguments, by caller: Int) throws(KernelError) -> SyscallOutcome {
        let target = Int(arguments.fileDescriptor(0))
        let status = arguments.address(1)
        guard threads.join(target, by: caller) != .invalid else { throw .invalidArgument }
        if status.raw != 0, !memory.accessOK(status, length: 4, write: true) { throw .badAddress }
        guard case .ended(let value) = threads.join(target, by: caller) else {
            return .waits(threads.ended, retry: arguments, done: 0)
        }
        if status.raw != 0 { try memory.copyOut(value: value, to: status) }
        threads.forget(target)
        return .returns(0)
    }

    /// `thread`, new, runs in this process (the kernel started it for a `thread_create`).
    public mutating func threadStarted(_ thread: Int) {
        threads.add(thread)
    }

    /// `thread` ended with `status` (its `exit`, or its process's end): whoever joins it is
    /// woken. Returns the process's status when it was the last thread running.
    public mutating func threadEnded(_ thread: Int, status: Int32) -> Int32? {
        wakeups.append(threads.ended)
        return threads.end(thread, status: status)
    }
}
