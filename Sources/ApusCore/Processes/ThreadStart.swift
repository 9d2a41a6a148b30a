/// Where a new thread starts (`thread_create`, ABI.md §5), checked.
///
/// `thread_create(name, stack, fn, arg)` starts a thread of the calling process at `fn` with
/// `rdi = arg` and `rsp = stack − 8`, where the kernel has written a 0 return address (as a
/// C function finds at its entry; returning from `fn` jumps to 0 and faults, which ends the
/// process). Every other register starts at 0 and the SSE state clean.
///
/// What is checked before anything changes: `name` is a readable NUL-terminated string of
/// UTF-8 of at most ``maximumNameBytes`` (a bad pointer is ``KernelError/badAddress``, bytes
/// that are not UTF-8 or too many ``KernelError/invalidArgument``); `stack` is the top of writable user memory, the 8
/// bytes below it in a READ|WRITE mapping (else ``KernelError/badAddress``); `fn` is an
/// address in the user half (else ``KernelError/badAddress``: a thread may start on an
/// unmapped page and fault there in ring 3, but the CPU could not even return to ring 3 at
/// a non-canonical one).
public struct ThreadStart: Equatable, Sendable {
    /// The first instruction.
    public let entry: VirtualAddress
    /// The first stack pointer (`stack − 8`, where the 0 return address is).
    public let stackPointer: VirtualAddress
    /// The value of `rdi`.
    public let argument: UInt64
    /// The thread's name, which the kernel log shows (at most ``maximumNameLength`` bytes,
    /// the rest is dropped).
    public let name: [UInt8]

    /// The longest name that is kept; a longer one is cut (as Linux cuts a thread's `comm`).
    public static var maximumNameLength: Int { 32 }
    /// The longest name that is read: longer is ``KernelError/invalidArgument``.
    public static var maximumNameBytes: Int { 4096 }

    public init(entry: VirtualAddress, stackPointer: VirtualAddress, argument: UInt64, name: [UInt8]) {
        self.entry = entry
        self.stackPointer = stackPointer
        self.argument = argument
        self.name = name
    }
}
