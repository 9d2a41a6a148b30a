/// The signal frame: what the kernel puts on a thread's user stack to run a signal handler,
/// laid out as Linux x86-64's `struct rt_sigframe`, which glibc and debuggers read.
///
/// ```
/// higher addresses   the interrupted rsp
///                    128-byte red zone (the interrupted function may keep data below rsp)
///                    FPU state: 512-byte FXSAVE image, 64-byte aligned  ← sigcontext.fpstate
///                    (padding)
///   frame + 312      siginfo_t (128 bytes)                              ← handler's rsi
///   frame + 8        ucontext_t (304 bytes)                             ← handler's rdx
///                      +0  uc_flags, +8 uc_link, +16 uc_stack (24 bytes: the thread's
///                          alternate stack as set, ``AlternateStack/frameBytes``)
///                      +40 uc_mcontext = struct sigcontext (256 bytes):
///                          r8…r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags,
///                          cs, gs, fs, ss (16 bits each), err, trapno, oldmask, cr2,
///                          fpstate (pointer), 8 reserved words
///                      +296 uc_sigmask (8 bytes)
///   frame + 0        pretcode: the action's restorer                    ← handler's rsp
/// ```
///
/// The handler is entered as if called: `rsp` points at `pretcode`, its return address,
/// so `rsp + 8` is 16-byte aligned as the System V ABI requires at a function's entry (the
/// frame address is 8 more than a multiple of 16). Its arguments are `rdi` = the signal,
/// `rsi` = `&siginfo`, `rdx` = `&ucontext`. When it returns, the restorer (glibc's
/// `__restore_rt`) calls `rt_sigreturn` with `rsp` 8 above the frame, and ``SignalReturn``
/// reads the frame back.
///
/// **FPU state.** A handler may use SSE registers (glibc's `memcpy` does), so the interrupted
/// code's must be saved. Linux's choice is followed: the 512-byte FXSAVE image of the
/// interrupted thread goes on the user stack above the frame, `sigcontext.fpstate` points to
/// it, and `rt_sigreturn` loads it back after ``FPUStateArea/sanitised(_:mxcsrMask:)``. Nested
/// handlers thus nest on the user stack and the kernel keeps no saved state per signal.
public struct SignalFrame: Hashable, Sendable {
    /// Where the frame starts: `pretcode`, and the handler's `rsp`.
    public var address: UInt64
    public var ucontextAddress: UInt64 { address + SignalFrame.ucontextOffset }
    public var siginfoAddress: UInt64 { address + SignalFrame.siginfoOffset }
    /// Where the FXSAVE image is.
    public var fpuStateAddress: UInt64
    /// Every byte from ``address`` to the end of the FPU state, to copy to user memory at
    /// ``address`` in one piece.
    public var bytes: [UInt8]
    /// The registers to enter the handler with.
    public var handlerEntry: UserRegisters

    public static let redZone: UInt64 = 128
    public static let ucontextOffset: UInt64 = 8
    public static let ucontextSize = 304
    public static let mcontextOffset = 8 + 40
    public static let sigmaskOffset = 8 + 296
    public static let siginfoOffset: UInt64 = 8 + 304
    /// `sizeof(struct rt_sigframe)`: 8 + 304 + 128.
    public static let size = 440
    /// Offsets inside `struct sigcontext`.
    static let selectorsOffset = 18 * 8, errorOffset = 152, trapOffset = 160, oldMaskOffset = 168
    static let faultAddressOffset = 176, fpstateOffset = 184
    /// `uc_flags`: the sigcontext holds the interrupted `ss` (`UC_SIGCONTEXT_SS`).
    static let contextFlags: UInt64 = 0x2
    /// Where `uc_stack` is in the frame.
    static let stackOffset = 8 + 16

    /// The fault behind a signal, for the `err`, `trapno` and `cr2` words of the sigcontext
    /// (zeros for a signal that is no fault).
    public struct Fault: Hashable, Sendable {
        public var vector: UInt64, errorCode: UInt64, address: UInt64
        public init(vector: UInt64, errorCode: UInt64, address: UInt64) {
            (self.vector, self.errorCode, self.address) = (vector, errorCode, address)
        }
        public static let none = Fault(vector: 0, errorCode: 0, address: 0)
    }

    /// Builds the frame that runs `run` for a thread interrupted with `registers`, whose FPU
    /// state is the FXSAVE image `fpuState` (512 bytes), `fault` its last fault and
    /// `alternateStack` its alternate stack. ``KernelError/badAddress``, for the kernel to call
    /// ``SignalState/frameFailed(_:thread:)``, when the action has no `SA_RESTORER` or the
    /// frame would not lie in program memory.
    ///
    /// The frame goes below the red zone of the interrupted stack, or, for an action with
    /// `SA_ONSTACK` when the thread has an alternate stack and is not on it yet, at the top of
    /// the alternate stack (no red zone there: nothing of the program's is below its top). A
    /// frame that would not fit in the alternate stack it is on or enters is refused, as on
    /// Linux, rather than written over what lies below the stack.
    public init(running run: HandlerRun, interrupted registers: UserRegisters, fpuState: [UInt8],
                fault: Fault = .none, alternateStack: AlternateStack = .disabled) throws(KernelError) {
        guard run.action.flags.contains(.restorer) else { throw .badAddress }
        let fpuSize = UInt64(FPUStateArea.size)
        let nested = alternateStack.isOn(stackPointer: registers.rsp)
        let entering = run.action.flags.contains(.onStack) && alternateStack.size != 0
            && !alternateStack.isOn(stackPointer: registers.rsp &- SignalFrame.redZone)
        let top: UInt64
        if entering {
            top = alternateStack.base &+ alternateStack.size
        } else {
            guard registers.rsp >= SignalFrame.redZone else { throw .badAddress }
            top = registers.rsp - SignalFrame.redZone
        }
        guard top >= fpuSize + UInt64(SignalFrame.size) + FPUStateArea.alignment + 16 else { throw .badAddress }
        fpuStateAddress = (top - fpuSize) & ~(FPUStateArea.alignment - 1)
        address = ((fpuStateAddress - UInt64(SignalFrame.size)) & ~15) - 8
        if nested || entering, !alternateStack.contains(address) { throw .badAddress }
        let end = fpuStateAddress + fpuSize
        guard UserRegisters.isUserRange(address, length: end - address) else { throw .badAddress }

        var bytes = [UInt8](repeating: 0, count: Int(end - address))
        func put(_ value: [UInt8], at offset: Int) {
            for (index, byte) in value.enumerated() { bytes[offset + index] = byte }
        }
        put(run.action.restorer.littleEndianBytes, at: 0)
        put(SignalFrame.contextFlags.littleEndianBytes, at: 8)
        put(alternateStack.frameBytes, at: SignalFrame.stackOffset)
        let context = SignalFrame.mcontextOffset
        for (index, value) in registers.sigcontextOrder.enumerated() { put(value.littleEndianBytes, at: context + index * 8) }
        put(UInt16(UserRegisters.userCode).littleEndianBytes, at: context + SignalFrame.selectorsOffset)
        put(UInt16(UserRegisters.userData).littleEndianBytes, at: context + SignalFrame.selectorsOffset + 6)
        put(fault.errorCode.littleEndianBytes, at: context + SignalFrame.errorOffset)
        put(fault.vector.littleEndianBytes, at: context + SignalFrame.trapOffset)
        put(run.savedMask.bytes, at: context + SignalFrame.oldMaskOffset)
        put(fault.address.littleEndianBytes, at: context + SignalFrame.faultAddressOffset)
        put(fpuStateAddress.littleEndianBytes, at: context + SignalFrame.fpstateOffset)
        put(run.savedMask.bytes, at: SignalFrame.sigmaskOffset)
        put(run.info.bytes, at: Int(SignalFrame.siginfoOffset))
        put(Array(fpuState.prefix(FPUStateArea.size)), at: Int(fpuStateAddress - address))
        self.bytes = bytes

        var entry = registers
        entry.rip = run.handler
        entry.rsp = address
        entry.rdi = UInt64(run.signal.number)
        entry.rsi = address + SignalFrame.siginfoOffset
        entry.rdx = address + SignalFrame.ucontextOffset
        entry.rax = 0
        entry.rflags = UserRegisters.sanitisedFlags(registers.rflags) & ~UserRegisters.directionFlag
        handlerEntry = entry
    }
}
