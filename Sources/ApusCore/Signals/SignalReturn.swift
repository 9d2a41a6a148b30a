/// `rt_sigreturn`: the end of a signal handler, which puts back what the ``SignalFrame``
/// saved: the interrupted registers, the signal mask, the FPU state and the alternate stack.
///
/// The handler returned into its restorer, which popped `pretcode`, so the frame starts 8
/// bytes below the `rsp` of the `rt_sigreturn` call (``frameAddress(userStackPointer:)``).
/// The kernel reads ``SignalFrame/size`` bytes there and decodes them here.
///
/// Every byte came from user memory, so nothing is trusted:
/// * `rip` must be a canonical user address outside the kernel window, and `rsp` canonical,
///   or the frame is refused: the kernel cannot return there, and turns the refusal into
///   `SIGSEGV` for the thread (``SignalState/postFault(_:toThread:)``);
/// * the flags keep only what a program may set, IF forced on
///   (``UserRegisters/sanitisedFlags(_:)``); `cs` and `ss` are not read at all, the user
///   selectors are always the ones loaded;
/// * the mask loses `SIGKILL` and `SIGSTOP`;
/// * a non-zero `fpstate` must point to a 16-byte-aligned 512-byte range of program memory,
///   which the kernel reads and passes through ``FPUStateArea/sanitised(_:mxcsrMask:)``; zero
///   means the FPU starts afresh.
public struct SignalReturn: Hashable, Sendable {
    /// The registers to return to user mode with.
    public var registers: UserRegisters
    /// The thread's blocked mask from now on (``SignalState/restoreMask(of:to:)``).
    public var mask: SignalSet
    /// Where to read the FXSAVE image from, or `nil` for an initial FPU state.
    public var fpuStateAddress: UInt64?
    /// The frame's `uc_stack`, the alternate stack to set again
    /// (``SignalState/restoreAlternateStack(of:to:stackPointer:)``).
    public var alternateStack: AlternateStack

    /// The address of the frame that `rt_sigreturn` called with `rsp` returns from.
    @inlinable public static func frameAddress(userStackPointer rsp: UInt64) -> UInt64 { rsp &- 8 }

    /// Decodes the frame in `bytes` (``SignalFrame/size`` bytes read at the frame address).
    /// ``KernelError/badAddress`` when it is short or refused (see above).
    public init(frame bytes: [UInt8]) throws(KernelError) {
        guard bytes.count >= SignalFrame.size else { throw .badAddress }
        let context = SignalFrame.mcontextOffset
        var values: [UInt64] = []
        for index in 0..<18 { values.append(UInt64(littleEndianBytes: bytes, at: context + index * 8)) }
        var registers = UserRegisters(sigcontextOrder: values)
        guard UserRegisters.isUserCodeAddress(registers.rip), VirtualAddress(registers.rsp).isCanonical else { throw .badAddress }
        registers.rflags = UserRegisters.sanitisedFlags(registers.rflags)

        let fpstate = UInt64(littleEndianBytes: bytes, at: context + SignalFrame.fpstateOffset)
        if fpstate != 0 {
            guard fpstate & 15 == 0, UserRegisters.isUserRange(fpstate, length: UInt64(FPUStateArea.size)) else { throw .badAddress }
            fpuStateAddress = fpstate
        } else {
            fpuStateAddress = nil
        }
        self.registers = registers
        mask = SignalSet(bytes: bytes, at: SignalFrame.sigmaskOffset).blockable
        alternateStack = AlternateStack(stackT: Array(bytes[SignalFrame.stackOffset..<SignalFrame.stackOffset + AlternateStack.byteCount]))
    }
}
