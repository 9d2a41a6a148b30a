import X86_64Support

/// The general-purpose registers as registers.h saves them on every kernel entry, in memory
/// order (the last pushed first).
struct GeneralRegisters {
    var r15, r14, r13, r12, r11, r10, r9, r8: UInt64
    var rbp, rdi, rsi, rdx, rcx, rbx, rax: UInt64
}

/// What trap_entry.S leaves on the stack: the registers, the vector and error code, and what the
/// CPU pushed (Intel SDM Vol. 3A §6.14.2). syscall_entry.S leaves the same for a system call
/// (vector and error code 0, the user selectors, `rip` and `rflags` from rcx and r11), so a
/// program's registers look alike whichever way it entered, and the kernel may return to it
/// with any of them changed (signal delivery: ProcessRun+SignalDelivery.swift).
struct TrapFrame {
    var registers: GeneralRegisters
    var vector: UInt64
    var errorCode: UInt64
    var rip, cs, rflags, rsp, ss: UInt64
}

/// The exception names of Intel SDM Vol. 3A §6.15, by vector.
let exceptionNames: [StaticString] = [
    "divide error (#DE)", "debug (#DB)", "non-maskable interrupt", "breakpoint (#BP)",
    "overflow (#OF)", "bound range exceeded (#BR)", "invalid opcode (#UD)", "device not available (#NM)",
    "double fault (#DF)", "coprocessor segment overrun", "invalid TSS (#TS)", "segment not present (#NP)",
    "stack-segment fault (#SS)", "general protection (#GP)", "page fault (#PF)", "reserved (15)",
    "x87 floating-point error (#MF)", "alignment check (#AC)", "machine check (#MC)", "SIMD floating-point (#XM)",
    "virtualization (#VE)", "control protection (#CP)", "reserved (22)", "reserved (23)", "reserved (24)",
    "reserved (25)", "reserved (26)", "reserved (27)", "hypervisor injection (#HV)", "VMM communication (#VC)",
    "security (#SX)", "reserved (31)",
]

/// The name of exception `vector` for the log ("page fault (#PF)"), or "interrupt N".
func exceptionName(_ vector: UInt64) -> String {
    Int(vector) < exceptionNames.count ? "\(exceptionNames[Int(vector)])" : "interrupt \(vector)"
}

/// The last fault a probe caught, for the hardware checks.
struct ProbedFault {
    var vector: UInt64
    var errorCode: UInt64
    var address: UInt64
}

enum Traps {
    static let pageFault: UInt64 = 14
    nonisolated(unsafe) static var lastProbedFault: ProbedFault?
}

/// Every exception and interrupt arrives here (trap_entry.S), on any CPU.
///
/// * A fault inside an armed probe (the bootstrap processor's checks) is recorded and the
///   probe resumes at its landing pad.
/// * The CPUs' own requests need no lock: a TLB shootdown is answered at once (the asking
///   CPU waits with the kernel lock held), a wake-up only ends the `hlt` of an idle CPU (or,
///   when its thread must end or has a signal to take, brings it into the kernel).
/// * A tick ends a program's time slice, and a device's interrupt (the disk's) goes to its
///   driver, with the kernel lock (``KernelLock``), which the CPU lets go on the way back to
///   ring 3. A tick in the kernel can only come in an idle CPU's `hlt`, which looks for work
///   itself after.
/// * A spurious interrupt (the local APIC's, an 8259's) is dropped.
/// * A fault of a user program goes to that program (it may die, never the kernel);
///   anything else in the kernel is a bug: panic.
///
/// Whatever brought a program's thread into the kernel with the lock, it takes its
/// signals (or ends) on the way back (``ProcessRun/returnToProgram(_:)``), as after a
/// system call: so a program that makes no system call can still be killed or stopped.
@_cdecl("apus_trap")
public func apusTrap(_ rawFrame: UnsafeMutableRawPointer) {
    let frame = rawFrame.assumingMemoryBound(to: TrapFrame.self)
    let vector = frame.pointee.vector
    let fromUser = frame.pointee.cs & 3 == 3
    // Only the checks probe, on the bootstrap processor, and only for an exception: another
    // CPU's tick meanwhile is no fault of the probe's.
    if probe_armed != 0, !fromUser, vector < 32, CPU.thisIndex == .bootstrap {
        probe_armed = 0
        Traps.lastProbedFault = ProbedFault(vector: vector, errorCode: frame.pointee.errorCode, address: read_cr2())
        frame.pointee.rip = probe_resume
        return
    }
    switch vector {
    case InterruptVectors.shootdown:
        TLBShootdown.answerPending()
        LocalAPIC.endOfInterrupt()
    case InterruptVectors.wake:
        LocalAPIC.endOfInterrupt()
        guard fromUser, let thread = CPU.this.current, thread.mustEnd || thread.signalHint else { return }
        KernelLock.enter()
        ProcessRun.current?.returnToProgram(frame)
    case InterruptVectors.spurious:
        break
    case InterruptVectors.timer:
        Timer.acknowledge()
        CPU.this.statistics.ticks += 1
        guard fromUser else { return }
        // Nothing else is ready, nothing outside is to be looked at and no signal waits: the
        // program goes on, and the kernel lock stays with the CPUs that need it.
        let cpu = CPU.this
        if !Kernel.scheduler.mayHaveReadyThread, cpu.current?.mustEnd != true, cpu.current?.signalHint != true,
           cpu.index != .bootstrap || !ProcessRun.pollsOutside { return }
        KernelLock.enter()
        ProcessRun.current?.pollOutside()
        ProcessRun.current?.tick()
        ProcessRun.current?.returnToProgram(frame)
    case InterruptVectors.legacyFirst...InterruptVectors.legacyLast:
        InterruptController.handleUnexpected(vector)
    case InterruptVectors.ioAPICFirst...InterruptVectors.ioAPICLast:
        // In an idle CPU's `hlt` the lock is taken for the driver and let go again; a line
        // no driver routed is acknowledged and dropped.
        let takesLock = !KernelLock.isHeldHere
        if takesLock { KernelLock.enter() }
        if Kernel.disk?.handleInterrupt(vector: vector) != true { LocalAPIC.endOfInterrupt() }
        if takesLock && !fromUser { KernelLock.leave() }
        if fromUser { ProcessRun.current?.returnToProgram(frame) }
    case 0..<32 where fromUser:
        KernelLock.enter()
        guard let run = ProcessRun.current.map(Unmanaged.passUnretained) else { Panic.trap(frame.pointee) }
        // The run lives as long as the boot: borrowed, not counted (ProcessRun.systemCall).
        run._withUnsafeGuaranteedRef {
            $0.handleUserException(frame)
            $0.returnToProgram(frame)
        }
    case 0..<32:
        Panic.trap(frame.pointee)
    default:
        LocalAPIC.endOfInterrupt()
    }
}
