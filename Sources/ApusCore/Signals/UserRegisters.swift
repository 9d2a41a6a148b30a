/// The registers of a thread in user mode, as the kernel saw them when it entered (at a
/// `syscall`, an interrupt or a fault) and as it will load them when it returns: what a
/// signal frame saves and `rt_sigreturn` restores.
///
/// The kernel fills it from its own entry frames; it is plain data here so that the rules
/// about it are host-tested. Two rules matter, because a program can write every byte of a
/// signal frame before `rt_sigreturn` reads it back:
///
/// * the flags register may only change the arithmetic flags and the direction flag
///   (``userChangeableFlags``: CF, PF, AF, ZF, SF, DF, OF); interrupts stay enabled (IF) and
///   the always-one bit 1 stays set, so a program can neither turn off interrupts nor set
///   the trap, I/O-privilege, nested-task or alignment-check flags;
/// * the code and stack segments are always the user ones (``userCode``, ``userData``: the
///   GDT in boot.S, with requested privilege level 3), so no program returns in ring 0.
public struct UserRegisters: Hashable, Sendable {
    public var r8: UInt64 = 0, r9: UInt64 = 0, r10: UInt64 = 0, r11: UInt64 = 0
    public var r12: UInt64 = 0, r13: UInt64 = 0, r14: UInt64 = 0, r15: UInt64 = 0
    public var rdi: UInt64 = 0, rsi: UInt64 = 0, rbp: UInt64 = 0, rbx: UInt64 = 0
    public var rdx: UInt64 = 0, rax: UInt64 = 0, rcx: UInt64 = 0, rsp: UInt64 = 0
    public var rip: UInt64 = 0
    public var rflags: UInt64 = UserRegisters.requiredFlags

    public init() {}

    /// The user code segment selector (GDT slot 4, RPL 3).
    public static let userCode: UInt64 = 0x23
    /// The user data and stack segment selector (GDT slot 3, RPL 3).
    public static let userData: UInt64 = 0x1B
    /// CF, PF, AF, ZF, SF, DF, OF (Intel SDM Vol. 1 §3.4.3): the flags a program may set.
    public static let userChangeableFlags: UInt64 = 0xCD5
    /// The direction flag, cleared for a handler as the System V ABI requires at a call.
    public static let directionFlag: UInt64 = 0x400
    /// IF (bit 9) and the reserved bit 1, always set in user mode.
    public static let requiredFlags: UInt64 = 0x202

    /// The general registers in the order of a `struct sigcontext` (and of a signal frame):
    /// r8…r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, and the flags last.
    public var sigcontextOrder: [UInt64] {
        [r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, rflags]
    }

    /// The registers from values in ``sigcontextOrder``; `values` holds 18.
    public init(sigcontextOrder values: [UInt64]) {
        (r8, r9, r10, r11, r12, r13, r14, r15) = (values[0], values[1], values[2], values[3], values[4], values[5], values[6], values[7])
        (rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp) = (values[8], values[9], values[10], values[11], values[12], values[13], values[14], values[15])
        (rip, rflags) = (values[16], values[17])
    }

    /// `flags` with only what a program may set kept, and IF and bit 1 set.
    @inlinable public static func sanitisedFlags(_ flags: UInt64) -> UInt64 {
        flags & userChangeableFlags | requiredFlags
    }

    /// True when a thread may be returned to at `address`: a canonical address in the user
    /// half outside the kernel window. Anything else would fault in the kernel's return path
    /// (a non-canonical `rip` makes `sysretq`/`iretq` fault in ring 0) or be kernel code.
    @inlinable public static func isUserCodeAddress(_ address: UInt64) -> Bool {
        isUserRange(address, length: 1)
    }

    /// True when the `length` bytes from `address` may all be program memory (user half,
    /// outside the kernel window), without wrapping.
    @inlinable public static func isUserRange(_ address: UInt64, length: UInt64) -> Bool {
        guard let range = VirtualRange(start: VirtualAddress(address), length: length) else { return false }
        return AddressSpaceLayout.isAvailableToPrograms(range)
    }
}
