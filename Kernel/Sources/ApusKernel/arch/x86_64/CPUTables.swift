import ApusCore
import KernelSupport

/// The descriptor tables the CPU reads on every interrupt and privilege change.
///
/// * The **GDT** (boot.S) holds the code and data segments; here its TSS descriptor is
///   filled in. The **TSS** (Intel SDM Vol. 3A §8.7) gives the stack the CPU switches to on
///   an interrupt from ring 3 (`rsp0`) and the Interrupt Stack Table, whose first stack the
///   double-fault handler uses, so that even a kernel stack overflow is reported.
/// * The **IDT** (§6.14.1) holds a gate per vector; vectors 0–31 (the exceptions) point at
///   the stubs in traps.S.
enum CPUTables {
    static let kernelCodeSelector: UInt16 = 0x08
    static let tssSelector: UInt16 = 0x28
    static let doubleFaultVector = 8
    static let doubleFaultStack = 1 // IST index
    static let tssSize = 104
    static let stackSize = 16 * 1024

    /// The TSS, for the scheduler to set `rsp0` later.
    nonisolated(unsafe) static var tss: UnsafeMutableRawPointer!

    static func install() {
        tss = UnsafeMutableRawPointer.allocate(byteCount: tssSize, alignment: 16)
        tss.initializeMemory(as: UInt8.self, repeating: 0, count: tssSize)
        let interruptStack = UnsafeMutableRawPointer.allocate(byteCount: stackSize, alignment: 16)
        let doubleFaultStackTop = UInt64(UInt(bitPattern: interruptStack)) + UInt64(stackSize)
        tss.storeBytes(of: doubleFaultStackTop, toByteOffset: 0x24 + 8 * (doubleFaultStack - 1), as: UInt64.self)
        tss.storeBytes(of: UInt16(tssSize), toByteOffset: 0x66, as: UInt16.self) // no I/O bitmap

        // The 16-byte system descriptor of an available 64-bit TSS (type 9, present).
        let base = UInt64(UInt(bitPattern: tss))
        let limit = UInt64(tssSize - 1)
        gdt.5 = limit & 0xFFFF | (base & 0xFF_FFFF) << 16 | 0x89 << 40 | (limit >> 16 & 0xF) << 48 | (base >> 24 & 0xFF) << 56
        gdt.6 = base >> 32
        ltr(tssSelector)

        let idt = UnsafeMutablePointer<UInt64>.allocate(capacity: 256 * 2)
        idt.initialize(repeating: 0, count: 256 * 2)
        withUnsafePointer(to: trap_stubs) { stubs in
            stubs.withMemoryRebound(to: UInt64.self, capacity: 32) { stubs in
                for vector in 0..<32 {
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
    }
}
