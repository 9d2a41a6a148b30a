/// The six argument registers of a system call, as the `syscall` instruction leaves them:
/// `rdi, rsi, rdx, r10, r8, r9` (ABI.md §1).
///
/// Every argument arrives as a raw 64-bit value: a C `int` of −1 arrives as
/// `0xFFFF_FFFF_FFFF_FFFF`, a pointer as whatever the program put there. Decoding turns them
/// into typed values, and the accessors below say how each kind is read.
public struct SyscallArguments: Hashable, Sendable {
    public var values: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

    public init(_ a0: UInt64 = 0, _ a1: UInt64 = 0, _ a2: UInt64 = 0, _ a3: UInt64 = 0, _ a4: UInt64 = 0, _ a5: UInt64 = 0) {
        values = (a0, a1, a2, a3, a4, a5)
    }

    /// Argument `index` (0–5) as the raw register value.
    public subscript(index: Int) -> UInt64 {
        switch index {
        case 0: values.0
        case 1: values.1
        case 2: values.2
        case 3: values.3
        case 4: values.4
        case 5: values.5
        default: preconditionFailure("a system call has six arguments")
        }
    }

    /// Argument `index` as a file descriptor: its low 32 bits, signed.
    public func fileDescriptor(_ index: Int) -> Int32 {
        Int32(truncatingIfNeeded: self[index])
    }

    /// Argument `index` as a thread id: a C `int`, its low 32 bits, signed.
    public func threadID(_ index: Int) -> ThreadID {
        ThreadID(Int(Int32(truncatingIfNeeded: self[index])))
    }

    /// Argument `index` as a process or process group id (`pid_t`): a C `int`, its low 32
    /// bits, signed.
    public func processID(_ index: Int) -> Int64 {
        Int64(Int32(truncatingIfNeeded: self[index]))
    }

    /// Argument `index` as an exit status: a C `int`, its low 32 bits.
    public func status(_ index: Int) -> Int32 {
        Int32(truncatingIfNeeded: self[index])
    }

    /// Argument `index` as a signed 64-bit value (seek offsets, `off_t`).
    public func signed(_ index: Int) -> Int64 {
        Int64(bitPattern: self[index])
    }

    /// Argument `index` as a user address (an allegation until checked).
    public func address(_ index: Int) -> VirtualAddress {
        VirtualAddress(self[index])
    }

    public static func == (a: SyscallArguments, b: SyscallArguments) -> Bool {
        a.values == b.values
    }

    public func hash(into hasher: inout Hasher) {
        for index in 0..<6 { hasher.combine(self[index]) }
    }
}
