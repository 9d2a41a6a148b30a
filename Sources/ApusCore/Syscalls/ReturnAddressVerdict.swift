/// Whether a system call may go back to the program at its return address, or must end the
/// process instead: the verdict the kernel asks for before every `sysretq`.
///
/// `sysretq` loads the program's `rip` from `rcx`, where `syscall` left the address of the
/// next instruction. On Intel CPUs, a non-canonical `rcx` makes `sysretq` raise #GP while
/// the CPU is still in ring 0 but already on the *program's* stack pointer: the classic
/// SYSRET flaw, a kernel fault on a stack the user controls (AMD CPUs fault in ring 3
/// instead). A program reaches it by mapping the last user page executable and running
/// `syscall` in its last two bytes: `rcx` is then `0x8000_0000_0000`, the first
/// non-canonical address.
///
/// Apus decides before it returns: a return address outside the user half ends the
/// process (status −1, as the program's next instruction would have faulted anyway), so
/// `sysretq` only ever sees an address it can jump to.
public enum ReturnAddressVerdict: Equatable, Sendable {
    /// Return with `sysretq`.
    case sysret
    /// The return address is not one the program can execute: end the process.
    case endProcess

    /// The verdict on `rip`, the address after the program's `syscall` instruction.
    public init(returningTo rip: UInt64) {
        self = rip < AddressSpaceLayout.userEnd.raw ? .sysret : .endProcess
    }
}
