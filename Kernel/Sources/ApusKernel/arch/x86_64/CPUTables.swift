import ApusCore
import X86_64Support

/// The descriptor tables the CPU reads on every interrupt and privilege change.
///
/// * The **GDT** (boot.S) holds the code and data segments; here its TSS descriptor is
///   filled in. The **TSS** (Intel SDM Vol. 3A §8.7) gives the stack the CPU switches to on
///   an interrupt from ring 3 (`rsp0`) and the Interrupt Stack Table, whose first stack the
///   double-fault handler uses, so that even a kernel stack overflow is reported.
/// * The **IDT** (§6.14.1) holds a gate per vector; vectors 0–31 (the exceptions) and 32
///   (the timer) point at the stubs in trap_entry.S.
enum CPUTables {
    static let kernelCodeSelector: UInt16 = 0x08
    static let tssSelector: UInt16 = 0x28
    static let doubleFaultVector = 8
    static let doubleFaultStack = 1 // IST index
    static let tssSize = 104
    static let stackSize = 16 * 1024

    /// The TSS, for the scheduler to set `rsp0` later.
    nonisolated(unsafe) static var tss: UnsafeMutableRawPointer!

    /// The legacy 8259 interrupt controllers: remapped and masked (InterruptController).
    static func silenceLegacyInterruptControllers() {
        InterruptController.remapAndMask()
    }

    /// The stack the CPU switches to when a program traps or makes a system call: the
    /// boot's until the first process runs, then the running thread's own.
    nonisolated(unsafe) static var kernelStackTop: UInt64 = 0

    /// Makes `top` the stack that traps and system calls from ring 3 land on (TSS.RSP0 and
    /// the `syscall` entry's stack): the scheduler calls it for every thread it runs.
    static func setKernelStack(top: UInt64) {
        tss.storeBytes(of: top, toByteOffset: 0x04, as: UInt64.self)
        syscall_stack_top = top
    }

    /// The `syscall` instruction (Intel SDM Vol. 3A §5.8.8): STAR holds the kernel selector
    /// base (0x08) and the user one (0x13, from which SYSRET makes CS 0x23 and SS 0x1b), LSTAR
    /// the entry point, and SFMASK the flags cleared on entry (IF, DF, TF, AC).
    static func enableSystemCalls() {
        let star: UInt32 = 0xC000_0081, lstar: UInt32 = 0xC000_0082, sfmask: UInt32 = 0xC000_0084
        wrmsr(star, UInt64(0x13) << 48 | UInt64(kernelCodeSelector) << 32)
        wrmsr(lstar, UInt64(UInt(bitPattern: unsafeBitCast(syscall_entry as @convention(c) () -> Void, to: UnsafeRawPointer.self))))
        wrmsr(sfmask, 0x4_0700)
    }

    static func install() {
        silenceLegacyInterruptControllers()
        tss = UnsafeMutableRawPointer.allocate(byteCount: tssSize, alignment: 16)
        tss.initializeMemory(as: UInt8.self, repeating: 0, count: tssSize)
        let interruptStack = UnsafeMutableRawPointer.allocate(byteCount: stackSize, alignment: 16)
        let doubleFaultStackTop = UInt64(UInt(bitPattern: interruptStack)) + UInt64(stackSize)
        tss.storeBytes(of: doubleFaultStackTop, toByteOffset: 0x24 + 8 * (doubleFaultStack - 1), as: UInt64.self)
        tss.storeBytes(of: UInt16(tssSize), toByteOffset: 0x66, as: UInt16.self) // no I/O bitmap
        let kernelStack = UnsafeMutableRawPointer.allocate(byteCount: 4 * stackSize, alignment: 16)
        kernelStackTop = UInt64(UInt(bitPattern: kernelStack)) + UInt64(4 * stackSize)
        tss.storeBytes(of: kernelStackTop, toByteOffset: 0x04, as: UInt64.self) // rsp0
        syscall_stack_top = kernelStackTop

        // The 16-byte system descriptor of an available 64-bit TSS (type 9, present).
        let base = UInt64(UInt(bitPattern: tss))
        let limit = UInt64(tssSize - 1)
        gdt.5 = limit & 0xFFFF | (base & 0xFF_FFFF) << 16 | 0x89 << 40 | (limit >> 16 & 0xF) << 48 | (base >> 24 & 0xFF) << 56
        gdt.6 = base >> 32
        ltr(tssSelector)

        let idt = UnsafeMutablePointer<UInt64>.allocate(capacity: 256 * 2)
        idt.initialize(repeating: 0, count: 256 * 2)
        withUnsafePointer(to: trap_stubs) { stubs in
            stubs.withMemoryRebound(to: UInt64.self, capacity: Int(InterruptController.lastVector) + 1) { stubs in
                for vector in 0...Int(InterruptController.lastVector) {
                    let handler = stubs[vector]
                    let ist: UInt64 = vector == doubleFaultVector ? UInt64(doubleFaultStack) : 0
                    // Interrupt gate (type 0xE), present, DPL 0.
                    idt[2 * vector] = handler & 0xFFFF | UInt64(kernelCodeSelector) << 16 | ist << 32 | 0x8E << 40 | (handler >> 16 & 0xFFFF) << 48
                    idt[2 * vector + 1] = handler >> 32
                }
            }
        }
        var pointer = DescriptorTablePointer(limit: UInt16(256 * 16 - 1), base: UInt64(UInt(bitPattern: idt)))
        lidt(&pointer)
        enableSystemCalls()
    }
}
