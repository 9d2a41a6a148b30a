/// The thread system calls, as concepts (ABI.md §5): `thread_create` is checked here and
/// started by the kernel (which owns kernel stacks and hands out ids) through
/// ``UserProcess/startThread(_:id:)``; `thread_join` is decided here whole, waiting on the
/// process's ``ThreadGroup/ended`` condition while its target runs. A thread's `exit` is an
/// outcome the kernel carries out (``SyscallOutcome/exit(_:)``), which then tells the
/// process with ``UserProcess/threadEnded(_:status:)``.
extension UserProcess {
    /// The size of the return address `thread_create` leaves below the stack.
    static var returnAddressSize: UInt64 { UInt64(MemoryLayout<UInt64>.size) }
    /// The size of the `int` status `thread_join` stores.
    static var statusSize: UInt64 { UInt64(MemoryLayout<Int32>.size) }

    /// `thread_create(name, stack, fn, arg)`, checked: where the new thread would start.
    /// Nothing changes yet; the kernel starts it with ``startThread(_:id:)`` once it has the
    /// room for it. The rules are ``ThreadStart``'s; a process already holding
    /// ``ThreadGroup/memberLimit`` threads gets ``KernelError/noMemory``.
    public mutating func threadStart(name: VirtualAddress, stack: UInt64, entry: VirtualAddress, argument: UInt64) throws(KernelError) -> ThreadStart {
        var bytes: [UInt8]
        do throws(KernelError) {
            bytes = try mm.copyInCString(at: name, maximumLength: ThreadStart.maximumNameBytes)
        } catch .nameTooLong {
            throw .invalidArgument // ABI.md §5: a name is a valid string or InvalidArgument
        }
        guard isValidUTF8(bytes) else { throw .invalidArgument }
        guard stack >= Self.returnAddressSize, entry < AddressSpaceLayout.userEnd else { throw .badAddress }
        let stackPointer = VirtualAddress(stack - Self.returnAddressSize)
        guard mm.accessOK(stackPointer, length: Self.returnAddressSize, write: true) else { throw .badAddress }
        guard threads.hasRoom else { throw .noMemory }
        // The name kept is a copy of its first bytes: the thread holds it as long as it lives,
        // and the bytes read may have needed a block of more than a page.
        if bytes.count > ThreadStart.maximumNameLength { bytes = Array(bytes.prefix(ThreadStart.maximumNameLength)) }
        return ThreadStart(entry: entry, stackPointer: stackPointer, argument: argument, name: bytes)
    }

    /// The kernel starts thread `id` at `start` in this process: the 0 return address goes
    /// below the stack, and the thread joins the group. A failure (no frame for the stack's
    /// page) changes nothing.
    public mutating func startThread(_ start: ThreadStart, id: ThreadID) throws(KernelError) {
        try mm.copyOut(value: UInt64(0), to: start.stackPointer)
        threads.add(id)
    }

    /// `thread_join(target, status)` by `caller`: 0 once `target` has ended, with its status
    /// stored at `status` unless that is NULL; waits while it runs. An unknown id, the
    /// caller's own, or one joined already is ``KernelError/invalidArgument``; a `status` the
    /// program cannot write is ``KernelError/badAddress``, checked before waiting, and a
    /// failed store leaves the thread unjoined.
    ///
    /// Every thread's end wakes every joiner of the process, and each looks again: simple,
    /// and a process has few joiners at once.
    public mutating func threadJoin(_ target: ThreadID, status: VirtualAddress, by caller: ThreadID) throws(KernelError) -> CallProgress<RAM> {
        let state = threads.joinState(of: target, for: caller)
        guard state != .invalid else { throw .invalidArgument }
        if status.raw != 0, !mm.accessOK(status, length: Self.statusSize, write: true) { throw .badAddress }
        guard case .ended(let value) = state else { return .waits(threads.ended, resume: .join(target, status: status), done: 0) }
        if status.raw != 0 { try mm.copyOut(value: value, to: status) }
        threads.forget(target)
        return .finished(0)
    }

    /// `thread` ended with `status` (its `exit`, or its process's end): whoever joins it is
    /// woken. Returns the process's status when it was the last thread running.
    public mutating func threadEnded(_ thread: ThreadID, status: Int32) -> Int32? {
        wakeups.add(threads.ended)
        return threads.end(thread, status: status)
    }
}
