import ApusCore
import X86_64Support

/// The general-purpose registers as registers.h saves them on every kernel entry, in memory
/// order (the last pushed first).
struct GeneralRegisters {
    var r15, r14, r13, r12, r11, r10, r9, r8: UInt64
    var rbp, rdi, rsi, rdx, rcx, rbx, rax: UInt64
}

/// What trap_entry.S leaves on the stack: the registers, the vector and error code, and what the
/// CPU pushed (Intel SDM Vol. 3A §6.14.2).
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

/// Every exception and interrupt arrives here (trap_entry.S). A fault inside an armed probe is
/// recorded and the probe resumes at its landing pad; a tick ends the running program's time
/// slice; the disk's interrupt goes to its driver; another IRQ (a spurious one) is dropped; a fault of a user program goes to that program (it may die, never the kernel);
/// anything else in the kernel is a bug: panic.
@_cdecl("apus_trap")
public func apusTrap(_ rawFrame: UnsafeMutableRawPointer) {
    let frame = rawFrame.assumingMemoryBound(to: TrapFrame.self)
    if probe_armed != 0 {
        probe_armed = 0
        Traps.lastProbedFault = ProbedFault(vector: frame.pointee.vector, errorCode: frame.pointee.errorCode, address: read_cr2())
        frame.pointee.rip = probe_resume
        return
    }
    if frame.pointee.vector == Timer.vector {
        Timer.acknowledge()
        // A tick in the kernel can only come in the idle loop's `hlt`: nothing to preempt.
        if frame.pointee.cs & 3 == 3 {
            ProcessRun.current?.pollOutside()
            ProcessRun.current?.tick()
        }
        return
    }
    if Kernel.disk?.handleInterrupt(vector: frame.pointee.vector) == true { return }
    if frame.pointee.vector > Timer.vector, frame.pointee.vector <= InterruptController.lastVector {
        InterruptController.handleUnexpected(frame.pointee.vector)
        return
    }
    if frame.pointee.cs & 3 == 3, let run = ProcessRun.current.map(Unmanaged.passUnretained) {
        // The run lives as long as the boot: borrowed, not counted (ProcessRun.systemCall).
        run._withUnsafeGuaranteedRef { $0.handleUserException(frame) }
        return
    }
    Panic.trap(frame.pointee)
}
