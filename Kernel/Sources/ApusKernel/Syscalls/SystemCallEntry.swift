import ApusCore
import X86_64Support

/// What syscall_entry.S leaves on the stack on `syscall`: the registers (rcx holds the user's
/// rip, r11 its rflags), then the user's rsp.
struct SyscallFrame {
    var registers: GeneralRegisters
    var userRSP: UInt64
}

/// syscall_entry.S: a program's `syscall`. The CPU takes the kernel lock here; it lets it go
/// on the way back to ring 3 (`apus_leave_kernel`).
@_cdecl("apus_syscall")
public func apusSyscall(_ rawFrame: UnsafeMutableRawPointer) {
    KernelLock.enter()
    // The run lives as long as the boot: borrowed, not counted (see `systemCall`).
    guard let run = ProcessRun.current.map(Unmanaged.passUnretained) else { fatalError("system call with no process") }
    run._withUnsafeGuaranteedRef { $0.systemCall(rawFrame.assumingMemoryBound(to: SyscallFrame.self)) }
}

/// A system call in the kernel: the registers go to the process's personality
/// (``KeOSSyscalls``, which decodes them and runs the concept that serves the call), and
/// the kernel carries out what the call asks of it: a value in `rax`, a thread's or a
/// process's end, a new thread or process, or a wait on a condition and a retry.
extension ProcessRun {
    /// A system call of the running process.
    func systemCall(_ frame: UnsafeMutablePointer<SyscallFrame>) {
        // Borrowed, not counted: the running thread and its process live at least until the
        // call returns (an exit returns at once), and every count is an atomic instruction,
        // which software emulation runs slowly (3 pairs were 40 % of a null system call).
        unowned(unsafe) let thread = running.thread
        unowned(unsafe) let process = running.process
        // Its process ended while it ran on this CPU (another thread's exit_group or fault):
        // it ends now, before the call does anything.
        if thread.mustEnd {
            cpu_local_set_exit_pending()
            return
        }
        let registers = frame.pointee.registers
        var arguments = SyscallArguments(registers.rdi, registers.rsi, registers.rdx, registers.r10, registers.r8, registers.r9)
        var done: Int64 = 0
        let threadID = thread.id
        while true {
            let outcome = Unmanaged.passUnretained(process)._withUnsafeGuaranteedRef {
                KeOSSyscalls.dispatch(registers.rax, arguments, by: threadID, in: &$0.core)
            }
            wakeWaiters(of: process)
            switch outcome {
            case .returns(let value):
                // A call that waited part-way returns what it did before an error.
                frame.pointee.registers.rax = UInt64(bitPattern: value < 0 && done > 0 ? done : value + done)
            case .exit(let status):
                endRunningThread(status: status)
                return
            case .exitGroup(let status):
                exitRunning(status: Int64(status))
                return
            case .fork:
                frame.pointee.registers.rax = UInt64(bitPattern: fork(frame.pointee, parent: process, thread: thread))
            case .threadCreate(let start):
                frame.pointee.registers.rax = UInt64(bitPattern: createThread(start, in: process))
            case .waits(let condition, let retry, let progress):
                done += progress
                arguments = retry
                scheduler.wait(on: condition)
                if thread.mustEnd {
                    cpu_local_set_exit_pending()
                    return
                }
                continue
            }
            break
        }
        if ReturnAddressVerdict(returningTo: registers.rcx) == .endProcess {
            log("process \(process.id): system call returns to the non-canonical address \(hexadecimal(registers.rcx)); process killed with status -1")
            exitRunning(status: -1)
        }
    }
}
