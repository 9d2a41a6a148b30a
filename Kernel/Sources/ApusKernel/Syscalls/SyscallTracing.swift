import KernelRuntime

/// `trace` on the command line (`apus run --trace`): a record of every system call of every
/// process and thread (ApusCore's ``SyscallTrace``: the registers, the result, and a few bytes
/// the call itself read or wrote), sent to the host through output ring 3 (output_ring.c), a
/// copy into memory the host reads while the machine runs. The host decodes the records
/// into lines; the kernel formats nothing. Only where the host reads the rings.
///
/// The entry to a system call calls ``enter(_:by:in:)`` before the call and
/// ``leave(_:result:by:in:)`` after it. What the program sees does not change: the record
/// reads only memory the call itself used, and the call's result is read, never set.
enum SyscallTracing {
    /// Whether the command line asked for the trace and the host reads the rings.
    nonisolated(unsafe) static var enabled = false
    /// The output ring the records go to.
    static let ring: UInt32 = 3
    /// Where a record is put together: one call is traced at a time (the file system lock).
    nonisolated(unsafe) private static var scratch: UnsafeMutableRawBufferPointer?

    /// Turns the trace on when `asked`, where the host reads the output rings.
    static func configure(asked: Bool) {
        guard asked, Serial.usesOutputRings else { return }
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: SyscallTrace.maximumRecordSize, alignment: 8)
        enabled = true
    }

    /// Before the call: `exit` and `exit_group` do not come back, so their record goes now.
    static func enter(_ registers: GeneralRegisters, by thread: ThreadID, in process: Unmanaged<ProcessControlBlock>) {
        guard enabled else { return }
        let linux = process._withUnsafeGuaranteedRef { $0.core.personality == .linux }
        let ends = linux ? registers.rax == LinuxSyscallNumber.exit.rawValue || registers.rax == LinuxSyscallNumber.exitGroup.rawValue
                         : registers.rax == KeOSSyscallNumber.exit.rawValue || registers.rax == KeOSSyscallNumber.exitGroup.rawValue
        guard ends else { return }
        send(registers, result: nil, by: thread, in: process)
    }

    /// After the call, with `rax` as the program will find it.
    static func leave(_ registers: GeneralRegisters, result: UInt64, by thread: ThreadID, in process: Unmanaged<ProcessControlBlock>) {
        guard enabled else { return }
        send(registers, result: result, by: thread, in: process)
    }

    private static func send(_ registers: GeneralRegisters, result: UInt64?, by thread: ThreadID, in process: Unmanaged<ProcessControlBlock>) {
        guard let scratch else { return }
        let arguments = SyscallArguments(registers.rdi, registers.rsi, registers.rdx, registers.r10, registers.r8, registers.r9)
        let length = process._withUnsafeGuaranteedRef { process in
            SyscallTrace.record(number: registers.rax, arguments: arguments, result: result, process: process.id.value,
                                thread: thread.value, mm: &process.core.mm, into: scratch, linux: process.core.personality == .linux)
        }
        apus_output_ring_write(ring, scratch.baseAddress, UInt64(length))
    }
}
