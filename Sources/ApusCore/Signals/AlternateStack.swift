/// A thread's alternate signal stack: memory the program set aside with `sigaltstack` for
/// handlers installed with `SA_ONSTACK`, so that a handler can run when the thread's own stack
/// is unusable (the classic case: it overflowed, and the `SIGSEGV` that says so needs a stack
/// to run on).
///
/// It is Linux's `stack_t`, 24 bytes in user memory:
///
/// ```
/// offset  0  ss_sp     pointer  the lowest address of the stack
/// offset  8  ss_flags  int      SS_ONSTACK 1, SS_DISABLE 2, SS_AUTODISARM 1 << 31
/// offset 16  ss_size   size_t   its size in bytes
/// ```
///
/// The rules are Linux's (`do_sigaltstack` in `kernel/signal.c`):
/// * a thread is **on** its alternate stack when its stack pointer lies in
///   (`ss_sp`, `ss_sp + ss_size`]; with `SS_AUTODISARM` it never counts as on it;
/// * the flags a query reports are `SS_DISABLE` when there is no stack (size 0), else
///   `SS_ONSTACK` while the thread is on it, plus `SS_AUTODISARM` when it was set;
/// * a change is refused with `EPERM` while the thread is on the stack, `EINVAL` for flags
///   other than 0, `SS_ONSTACK` or `SS_DISABLE` (each with `SS_AUTODISARM` or not), and
///   `ENOMEM` for an enabled stack smaller than `MINSIGSTKSZ` (2048); a change to exactly
///   what is set succeeds at once; `SS_DISABLE` forgets the address and size;
/// * with `SS_AUTODISARM`, entering a handler disables the stack; `rt_sigreturn` sets it
///   again from the frame's `uc_stack` (``SignalState/restoreAlternateStack(of:to:stackPointer:)``).
///
/// The kernel never touches the memory itself until a frame is built there, which may fail
/// (``SignalFrame``): a stack at a bad address is the program's affair, and costs it a `SIGSEGV`.
public struct AlternateStack: Hashable, Sendable {
    /// `ss_sp`: the lowest address.
    public var base: UInt64
    /// `ss_size` in bytes.
    public var size: UInt64
    /// `ss_flags` as the program set them (`SS_DISABLE` for a stack never set).
    public var flags: UInt32

    /// The `ss_flags` bits (`<asm-generic/signal-defs.h>`, `<linux/signal.h>`).
    public static let onStack: UInt32 = 1
    public static let disable: UInt32 = 2
    public static let autoDisarm: UInt32 = 1 << 31
    /// `MINSIGSTKSZ` on x86-64: the smallest stack `sigaltstack` accepts.
    public static let minimumSize: UInt64 = 2048
    /// The size of a `stack_t` in bytes.
    public static let byteCount = 24

    @inlinable public init(base: UInt64, size: UInt64, flags: UInt32) {
        (self.base, self.size, self.flags) = (base, size, flags)
    }

    /// What every thread starts with, and `execve` leaves: no alternate stack.
    public static let disabled = AlternateStack(base: 0, size: 0, flags: disable)

    /// The `stack_t` at the start of `bytes` (24 bytes, as copied from the program).
    public init(stackT bytes: [UInt8]) {
        base = UInt64(littleEndianBytes: bytes, at: 0)
        flags = UInt32(littleEndianBytes: bytes, at: 8)
        size = UInt64(littleEndianBytes: bytes, at: 16)
    }

    /// The 24 bytes of a `stack_t` holding `base`, `flags` and `size`.
    static func stackT(base: UInt64, flags: UInt32, size: UInt64) -> [UInt8] {
        base.littleEndianBytes + flags.littleEndianBytes + [0, 0, 0, 0] + size.littleEndianBytes
    }

    /// The stack as a signal frame's `uc_stack` saves it: the flags as set, not as reported.
    public var frameBytes: [UInt8] { AlternateStack.stackT(base: base, flags: flags, size: size) }

    /// The stack as `sigaltstack` reports it to a thread whose stack pointer is `stackPointer`.
    public func reportBytes(stackPointer: UInt64) -> [UInt8] {
        AlternateStack.stackT(base: base, flags: reportedFlags(stackPointer: stackPointer), size: size)
    }

    /// True when `address` lies in (`base`, `base + size`]: where a stack pointer into this
    /// stack can be (`__on_sig_stack`).
    @inlinable public func contains(_ address: UInt64) -> Bool {
        address > base && address &- base <= size
    }

    /// True when a thread whose stack pointer is `stackPointer` runs on this stack; never
    /// with `SS_AUTODISARM` (`on_sig_stack`).
    @inlinable public func isOn(stackPointer: UInt64) -> Bool {
        flags & AlternateStack.autoDisarm == 0 && contains(stackPointer)
    }

    /// `ss_flags` as a query reports them: `SS_DISABLE` without a stack, `SS_ONSTACK` on it,
    /// 0 off it; and `SS_AUTODISARM` if set.
    public func reportedFlags(stackPointer: UInt64) -> UInt32 {
        let state = size == 0 ? AlternateStack.disable : isOn(stackPointer: stackPointer) ? AlternateStack.onStack : 0
        return state | flags & AlternateStack.autoDisarm
    }

    /// The change `sigaltstack` asks for, by a thread whose stack pointer is `stackPointer`:
    /// the stack `requested` names, or an error that changes nothing (see above).
    public func changed(to requested: AlternateStack, stackPointer: UInt64) throws(KernelError) -> AlternateStack {
        guard !isOn(stackPointer: stackPointer) else { throw .operationNotPermitted }
        let mode = requested.flags & ~AlternateStack.autoDisarm
        guard mode == 0 || mode == AlternateStack.onStack || mode == AlternateStack.disable else { throw .invalidArgument }
        if requested == self { return self }
        if mode == AlternateStack.disable { return AlternateStack(base: 0, size: 0, flags: requested.flags) }
        guard requested.size >= AlternateStack.minimumSize else { throw .noMemory }
        return requested
    }
}

extension SignalState {
    /// `thread`'s alternate stack (``AlternateStack/disabled`` for a thread not of this process).
    public func alternateStack(of thread: ThreadID) -> AlternateStack {
        signals(of: thread)?.alternateStack ?? .disabled
    }

    /// Sets `thread`'s alternate stack to `stack` (already judged by
    /// ``AlternateStack/changed(to:stackPointer:)``).
    public mutating func setAlternateStack(_ stack: AlternateStack, of thread: ThreadID) {
        guard let index = index(of: thread) else { return }
        threads[index].alternateStack = stack
    }

    /// A handler's frame is in place for `thread`: an alternate stack set with
    /// `SS_AUTODISARM` is disabled while the handler runs (and comes back from the frame's
    /// `uc_stack` at `rt_sigreturn`).
    public mutating func handlerEntered(_ thread: ThreadID) {
        guard let index = index(of: thread), threads[index].alternateStack.flags & AlternateStack.autoDisarm != 0 else { return }
        threads[index].alternateStack = .disabled
    }

    /// `rt_sigreturn` by `thread`, whose stack pointer at the call was `stackPointer`: the
    /// alternate stack becomes the frame's `uc_stack`, by the rules of a `sigaltstack` call;
    /// a refusal (the thread is still on its alternate stack, the frame's values are
    /// refused) changes nothing and is not reported, as on Linux.
    public mutating func restoreAlternateStack(of thread: ThreadID, to saved: AlternateStack, stackPointer: UInt64) {
        guard let stack = try? alternateStack(of: thread).changed(to: saved, stackPointer: stackPointer) else { return }
        setAlternateStack(stack, of: thread)
    }
}
