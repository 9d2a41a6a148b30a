import X86_64Support

/// The descriptor tables the CPU reads on every interrupt and privilege change, one set per
/// CPU where the hardware needs it.
///
/// * The **GDT** (boot.S's, copied for each CPU) holds the code and data segments and the
///   CPU's own **TSS** descriptor: a TSS is marked busy when loaded, so no two CPUs can share
///   one. The TSS (Intel SDM Vol. 3A §8.7) gives the stack the CPU switches to on an
///   interrupt from ring 3 (`rsp0`, the running thread's kernel stack) and the Interrupt
///   Stack Table, whose first stack the double-fault handler uses, so that even a kernel
///   stack overflow is reported.
/// * The **IDT** (§6.14.1) holds a gate for every vector, pointing at the stubs in
///   trap_entry.S; all CPUs share it.
/// * The `syscall` MSRs, set on each CPU.
enum CPUTables {
    static let kernelCodeSelector: UInt16 = 0x08
    static let tssSelector: UInt16 = 0x28
    static let doubleFaultVector = 8
    static let doubleFaultStack = 1 // IST index
    static let tssSize = 104
    /// A double-fault stack's size (ApusCore's `HeapBudget` counts one per CPU).
    static let stackSize = HeapBudget.doubleFaultStackBytes
    static let gdtEntries = 7
    static let vectorCount = 256

    /// The IDT every CPU loads, built once.
    nonisolated(unsafe) private static var idt: UnsafeMutablePointer<UInt64>?

    /// The legacy 8259 interrupt controllers: remapped and masked (InterruptController); the
    /// local APICs and the I/O APIC take over.
    static func silenceLegacyInterruptControllers() {
        InterruptController.remapAndMask()
    }

    /// Makes `top` the stack that traps and system calls from ring 3 land on, on this CPU
    /// (its TSS.RSP0 and the `syscall` entry's stack): the scheduler calls it for every
    /// thread it runs.
    static func setKernelStack(top: UInt64, on cpu: CPU) {
        cpu.tss.storeBytes(of: top, toByteOffset: 0x04, as: UInt64.self)
        cpu.local.pointee.kernel_stack_top = top
    }

    /// The `syscall` instruction (Intel SDM Vol. 3A §5.8.8): STAR holds the kernel selector
    /// base (0x08) and the user one (0x13, from which SYSRET makes CS 0x23 and SS 0x1b), LSTAR
    /// the entry point, and SFMASK the flags cleared on entry: IF, DF, TF, AC, and NT, which
    /// a program may set with `popfq` and which would make the kernel's own `iretq` fault (an
    /// interrupt or exception clears NT itself; `syscall` clears only what SFMASK names).
    static func enableSystemCalls() {
        let star: UInt32 = 0xC000_0081, lstar: UInt32 = 0xC000_0082, sfmask: UInt32 = 0xC000_0084
        let trap: UInt64 = 1 << 8, interrupts: UInt64 = 1 << 9, direction: UInt64 = 1 << 10
        let nestedTask: UInt64 = 1 << 14, alignmentCheck: UInt64 = 1 << 18
        wrmsr(star, UInt64(0x13) << 48 | UInt64(kernelCodeSelector) << 32)
        wrmsr(lstar, UInt64(UInt(bitPattern: unsafeBitCast(syscall_entry as @convention(c) () -> Void, to: UnsafeRawPointer.self))))
        wrmsr(sfmask, trap | interrupts | direction | nestedTask | alignmentCheck)
    }

    /// A TSS for a CPU: its double-fault stack, no I/O bitmap, and `kernelStack` as rsp0
    /// until the first thread runs.
    static func makeTSS(kernelStackTop: UInt64) -> UnsafeMutableRawPointer {
        let tss = UnsafeMutableRawPointer.allocate(byteCount: tssSize, alignment: 16)
        tss.initializeMemory(as: UInt8.self, repeating: 0, count: tssSize)
        let interruptStack = UnsafeMutableRawPointer.allocate(byteCount: stackSize, alignment: 16)
        let doubleFaultStackTop = UInt64(UInt(bitPattern: interruptStack)) + UInt64(stackSize)
        tss.storeBytes(of: doubleFaultStackTop, toByteOffset: 0x24 + 8 * (doubleFaultStack - 1), as: UInt64.self)
        tss.storeBytes(of: UInt16(tssSize), toByteOffset: 0x66, as: UInt16.self) // no I/O bitmap
        tss.storeBytes(of: kernelStackTop, toByteOffset: 0x04, as: UInt64.self) // rsp0
        return tss
    }

    /// Loads `cpu`'s tables on the CPU running this: its GDT with its TSS, the shared IDT,
    /// the `syscall` MSRs; and the stack of its idle context as the kernel stack until a
    /// thread runs.
    static func install(on cpu: CPU) {
        let gdt = UnsafeMutablePointer<UInt64>.allocate(capacity: gdtEntries)
        withUnsafePointer(to: X86_64Support.gdt) { template in
            template.withMemoryRebound(to: UInt64.self, capacity: gdtEntries) { gdt.initialize(from: $0, count: gdtEntries) }
        }
        // The 16-byte system descriptor of an available 64-bit TSS (type 9, present).
        let base = UInt64(UInt(bitPattern: cpu.tss))
        let limit = UInt64(tssSize - 1)
        gdt[5] = limit & 0xFFFF | (base & 0xFF_FFFF) << 16 | 0x89 << 40 | (limit >> 16 & 0xF) << 48 | (base >> 24 & 0xFF) << 56
        gdt[6] = base >> 32
        var gdtPointer = GDTPointer(limit: UInt16(gdtEntries * 8 - 1), base: UInt64(UInt(bitPattern: gdt)))
        load_gdt(&gdtPointer)
        ltr(tssSelector)
        var idtPointer = DescriptorTablePointer(limit: UInt16(vectorCount * 16 - 1), base: UInt64(UInt(bitPattern: sharedIDT())))
        lidt(&idtPointer)
        enableSystemCalls()
        cpu.local.pointee.kernel_stack_top = cpu.tss.load(fromByteOffset: 0x04, as: UInt64.self)
    }

    /// The IDT: an interrupt gate (type 0xE, present, DPL 0) for every vector, the double
    /// fault on its own stack.
    private static func sharedIDT() -> UnsafeMutablePointer<UInt64> {
        if let idt { return idt }
        let table = UnsafeMutablePointer<UInt64>.allocate(capacity: vectorCount * 2)
        table.initialize(repeating: 0, count: vectorCount * 2)
        withUnsafePointer(to: trap_stubs) { stubs in
            stubs.withMemoryRebound(to: UInt64.self, capacity: vectorCount) { stubs in
                for vector in 0..<vectorCount {
                    let handler = stubs[vector]
                    let ist: UInt64 = vector == doubleFaultVector ? UInt64(doubleFaultStack) : 0
                    table[2 * vector] = handler & 0xFFFF | UInt64(kernelCodeSelector) << 16 | ist << 32 | 0x8E << 40 | (handler >> 16 & 0xFFFF) << 48
                    table[2 * vector + 1] = handler >> 32
                }
            }
        }
        idt = table
        return table
    }
}
