import ApusCore
import X86_64Support

/// What syscall_entry.S leaves on the stack on `syscall`: the registers (rcx holds the user's
/// rip, r11 its rflags), then the user's rsp.
struct SyscallFrame {
    var registers: GeneralRegisters
    var userRSP: UInt64
}

/// syscall_entry.S: a program's `syscall`.
@_cdecl("apus_syscall")
public func apusSyscall(_ rawFrame: UnsafeMutableRawPointer) {
    // The run lives as long as the boot: borrowed, not counted (see `systemCall`).
    guard let run = ProcessRun.current.map(Unmanaged.passUnretained) else { fatalError("system call with no process") }
    run._withUnsafeGuaranteedRef { $0.systemCall(rawFrame.assumingMemoryBound(to: SyscallFrame.self)) }
}

/// A system call in the kernel: the registers go to the process's personality
/// (``KeOSSyscalls``, which decodes them and runs the concept that serves the call), and
/// the kernel carries out what the call asks of it: a value in `rax`, a thread's or a
/// process's end, a new thread or process, or a wait on a condition, after which the call
/// goes on with what is left of it (a `WaitingCall`, which holds the open file the call
/// started with).
extension ProcessRun {
    /// A system call of the running process.
    func systemCall(_ frame: UnsafeMutablePointer<SyscallFrame>) {
        // Borrowed, not counted: the running thread and its process live at least until the
        // call returns (an exit returns at once), and every count is an atomic instruction,
        // which software emulation runs slowly (3 pairs were 40 % of a null system call).
        unowned(unsafe) let thread = running.thread
        unowned(unsafe) let process = running.process
        let registers = frame.pointee.registers
        // The waits are over when this returns, and with them every open file a waiting call
        // held: an end of a pipe that closed with one wakes its other side now.
        let finished = callToItsEnd(registers, thread: thread, process: process)
        wakeWaiters()
        guard let (outcome, done) = finished else {
            user_exit_pending = 1 // its process ended while it waited
            return
        }
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
        case .waits:
            preconditionFailure("a call still waits after its wait")
        }
        if ReturnAddressVerdict(returningTo: registers.rcx) == .endProcess {
            log("process \(process.id): system call returns to the non-canonical address \(hexadecimal(registers.rcx)); process killed with status -1")
            exitRunning(status: -1)
        }
    }

    /// Runs the call in `registers` for `thread` until it no longer waits: its last outcome
    /// and what it did before its waits, or `nil` when its process ended while it waited.
    /// `munmap` and `close` only give back, so they run ``KernelHeap/whileFreeing(_:)``.
    private func callToItsEnd(_ registers: GeneralRegisters, thread: ThreadControlBlock,
                              process: ProcessControlBlock) -> (outcome: SyscallOutcome, done: Int64)? {
        unowned(unsafe) let process = process
        let threadID = thread.id
        let arguments = SyscallArguments(registers.rdi, registers.rsi, registers.rdx, registers.r10, registers.r8, registers.r9)
        func dispatch() -> SyscallOutcome {
            Unmanaged.passUnretained(process)._withUnsafeGuaranteedRef {
                KeOSSyscalls.dispatch(registers.rax, arguments, by: threadID, in: &$0.core)
            }
        }
        var outcome = KeOSSyscalls.onlyGivesBack(registers.rax) ? KernelHeap.whileFreeing(dispatch) : dispatch()
        var done: Int64 = 0
        while case .waits(let condition, let rest, let progress) = outcome {
            wakeWaiters()
            done += progress
            scheduler.wait(on: condition)
            if thread.mustEnd { return nil }
            outcome = Unmanaged.passUnretained(process)._withUnsafeGuaranteedRef {
                KeOSSyscalls.resume(rest, by: threadID, in: &$0.core)
            }
        }
        return (outcome, done)
    }
}
