/// The signal a fault gives a Linux program: which CPU exception or refused page access
/// becomes which signal, with which `si_code` and `si_addr`, as Linux x86-64 decides
/// (`arch/x86/kernel/traps.c`, `arch/x86/mm/fault.c`).
///
/// ```
/// page fault, nothing mapped there       SIGSEGV  SEGV_MAPERR   the address (CR2)
/// page fault, the mapping refuses it     SIGSEGV  SEGV_ACCERR   the address
/// page fault, the file's page unreadable SIGBUS   BUS_ADRERR    the address
///   or past the end of the mapped file
/// #DE divide error (÷0, INT_MIN ÷ −1)    SIGFPE   FPE_INTDIV    the instruction
/// #UD invalid opcode                     SIGILL   ILL_ILLOPN    the instruction
/// #BP int3 (after it)                    SIGTRAP  SI_KERNEL     0
/// #GP, #TS, #OF, #BR                     SIGSEGV  SI_KERNEL     0
/// #NP, #SS                               SIGBUS   SI_KERNEL     0
/// #AC alignment check                    SIGBUS   BUS_ADRALN    0
/// #MF x87, #XM SIMD floating point        SIGFPE   FPE_FLT…      the instruction
/// ```
///
/// Apus's breakpoint gate is closed to programs (a KeOS program's `int3` is a #GP, ABI
/// choices), where Linux's is open: for a Linux program, the #GP an `int3` (or `int $3`)
/// raises is the breakpoint Linux reports, and the program resumes after the instruction
/// (``resumeOffset``), as after Linux's trap.
///
/// Besides the `siginfo`, the fault leaves what a handler finds in its frame's sigcontext:
/// the vector (`trapno`), the error code (`err`, with the user bit for a page fault) and, for a
/// page fault, the address (`cr2`): ``context``.
///
/// Any other exception has no signal here, and the kernel ends the process as it ends a KeOS
/// program: those Linux gives no program (a non-maskable interrupt, a double or machine
/// check), and #DB (Linux's SIGTRAP after a single step the program asked for with the trap
/// flag, whose code needs the debug status register). A KeOS program gets no signal at all.
public struct FaultSignal: Hashable, Sendable {
    /// The signal and its `siginfo`.
    public var info: SignalInfo
    /// `trapno`, `err` and `cr2` for the sigcontext.
    public var context: SignalFrame.Fault
    /// How many bytes past the faulting instruction's address the program resumes: 0 (it
    /// runs the instruction again once a handler returns), or the length of an `int3`.
    public var resumeOffset: UInt64 = 0

    /// Exception vectors (Intel SDM Vol. 3A §6.15).
    public static let divideError: UInt64 = 0, breakpoint: UInt64 = 3, overflow: UInt64 = 4, boundRange: UInt64 = 5
    public static let invalidOpcode: UInt64 = 6, invalidTSS: UInt64 = 10, segmentNotPresent: UInt64 = 11
    public static let stackSegment: UInt64 = 12, generalProtection: UInt64 = 13, pageFault: UInt64 = 14
    public static let alignmentCheck: UInt64 = 17, x87FloatingPoint: UInt64 = 16, simdFloatingPoint: UInt64 = 19
    /// The error code of the #GP that `int3` or `int $3` raises through a breakpoint gate
    /// closed to programs: the gate's IDT slot with the IDT bit (bit 1). In IA-32e mode the
    /// slot counts 8-byte units from bit 3 and a gate takes two, so vector 3 is slot 6.
    public static let closedBreakpointGate: UInt64 = breakpoint << 4 | 2
    /// The opcodes of `int3` (one byte) and `int imm8` (two bytes).
    public static let int3Opcode: UInt8 = 0xCC, intOpcode: UInt8 = 0xCD

    /// `si_code` values of fault signals (`<asm-generic/siginfo.h>`).
    public static let illegalOperand: Int32 = 2, integerDivide: Int32 = 1
    public static let busAlignment: Int32 = 1, busAddress: Int32 = 2

    @inlinable public init(info: SignalInfo, context: SignalFrame.Fault) {
        (self.info, self.context) = (info, context)
    }

    /// The signal for exception `vector` (not a page fault) raised by the instruction at
    /// `instruction` with `errorCode`; `nil` for an exception Linux gives no program.
    /// `opcode`, the instruction's first byte (`nil` when it cannot be read), tells a #GP of
    /// the closed breakpoint gate from others.
    public static func exception(_ vector: UInt64, errorCode: UInt64, instruction: UInt64, opcode: UInt8? = nil) -> FaultSignal? {
        if vector == generalProtection, errorCode == closedBreakpointGate, opcode == int3Opcode || opcode == intOpcode {
            var fault = exception(breakpoint, errorCode: 0, instruction: instruction)
            fault?.resumeOffset = opcode == int3Opcode ? 1 : 2
            return fault
        }
        let info: SignalInfo
        switch vector {
        case divideError: info = .fault(.floatingPointException, code: integerDivide, address: instruction)
        case invalidOpcode: info = .fault(.illegalInstruction, code: illegalOperand, address: instruction)
        case breakpoint: info = .fault(.trap, code: SignalInfo.codeKernel, address: 0)
        case generalProtection, invalidTSS, overflow, boundRange: info = .fault(.segmentationFault, code: SignalInfo.codeKernel, address: 0)
        case segmentNotPresent, stackSegment: info = .fault(.busError, code: SignalInfo.codeKernel, address: 0)
        case alignmentCheck: info = .fault(.busError, code: busAlignment, address: 0)
        default: return nil
        }
        return FaultSignal(info: info, context: SignalFrame.Fault(vector: vector, errorCode: errorCode, address: 0))
    }

    /// `si_code`s of SIGFPE for a floating-point exception: invalid operation, divide by zero,
    /// overflow, underflow (or denormal), inexact result.
    public static let invalidOperation: Int32 = 7, floatDivide: Int32 = 3, floatOverflow: Int32 = 4
    public static let floatUnderflow: Int32 = 5, inexact: Int32 = 6

    /// The signal for a floating-point exception (`vector` #MF or #XM) raised by the
    /// instruction at `instruction`, whose thread's FPU state is the FXSAVE image `fpuState`:
    /// the exception the program unmasked and got, from the x87 status and control words or
    /// from MXCSR, as Linux's `fpu__exception_code` reads them; `nil` when none is (which the
    /// CPU does not raise; Linux lets the program go on, Apus ends it as for any exception
    /// without a signal).
    public static func floatingPoint(_ vector: UInt64, instruction: UInt64, fpuState: [UInt8]) -> FaultSignal? {
        guard fpuState.count >= FPUStateArea.mxcsrOffset + 4 else { return nil }
        let raised: UInt32
        if vector == x87FloatingPoint {
            let control = UInt32(UInt16(littleEndianBytes: fpuState, at: 0)), status = UInt32(UInt16(littleEndianBytes: fpuState, at: 2))
            raised = status & ~control
        } else {
            let mxcsr = UInt32(littleEndianBytes: fpuState, at: FPUStateArea.mxcsrOffset) & 0xFFFF
            raised = ~(mxcsr >> 7) & mxcsr
        }
        let code: Int32
        if raised & 0x01 != 0 { code = invalidOperation }
        else if raised & 0x04 != 0 { code = floatDivide }
        else if raised & 0x08 != 0 { code = floatOverflow }
        else if raised & 0x12 != 0 { code = floatUnderflow }
        else if raised & 0x20 != 0 { code = inexact }
        else { return nil }
        return FaultSignal(info: .fault(.floatingPointException, code: code, address: instruction),
                           context: SignalFrame.Fault(vector: vector, errorCode: 0, address: 0))
    }

    /// The signal for a page fault at `address` that the process's memory refused for
    /// `cause`; `inRegion` says whether a region of the process holds the address (then the
    /// access was against its protection: `SEGV_ACCERR`, even for a read of a `PROT_NONE`
    /// page). `errorCode` is the CPU's, which the sigcontext gets with the user bit set.
    public static func pageFault(_ cause: FaultCause, at address: UInt64, inRegion: Bool, errorCode: UInt64) -> FaultSignal {
        let info: SignalInfo = switch cause {
        case .unreadableFile, .pastEndOfFile: .fault(.busError, code: busAddress, address: address)
        case .notPresent, .writeToReadOnly, .executeNonExecutable, .unservable, .repeated:
            .fault(.segmentationFault, code: inRegion ? SignalInfo.codeSegvAccess : SignalInfo.codeSegvMapping, address: address)
        }
        let context = SignalFrame.Fault(vector: pageFault, errorCode: errorCode | PageFaultErrorCode.userBit, address: address)
        return FaultSignal(info: info, context: context)
    }
}
