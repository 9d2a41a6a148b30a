import X86_64Support

/// The PC's two cascaded 8259A interrupt controllers (PICs): IRQs 0–7 on the master, 8–15
/// on the slave, which raises its own through the master's IRQ 2.
///
/// At power-on they raise vectors 8–15, the CPU's own exceptions, so the kernel moves them
/// to ``firstVector``…``lastVector`` and masks every line: the local APICs and the I/O APIC
/// take their place (LocalAPIC.swift, IOAPIC.swift).
/// A masked line raises nothing, with one exception the hardware is known for: when a line
/// drops before the CPU acknowledges it, the PIC answers with its lowest-priority IRQ (7 on
/// the master, 15 on the slave), a *spurious* interrupt, with no bit set in its in-service
/// register. It must not be acknowledged like a real one (the master would end the
/// interrupt of another line), except that a spurious IRQ 15 did go through the master's
/// IRQ 2, which needs its end. Every vector of the range therefore has a gate: without one,
/// a spurious IRQ in the idle loop would be a #GP in the kernel. (8259A data sheet,
/// "Spurious interrupt"; OSDev's 8259 PIC page.)
enum InterruptController {
    /// The lines of the two PICs, which PCI's interrupt-line register numbers too.
    static let lineCount: UInt8 = 16
    static let firstVector: UInt64 = InterruptVectors.legacyFirst
    static let lastVector: UInt64 = InterruptVectors.legacyLast

    private static let masterCommand: UInt16 = 0x20, masterData: UInt16 = 0x21
    private static let slaveCommand: UInt16 = 0xA0, slaveData: UInt16 = 0xA1
    private static let endOfInterrupt: UInt8 = 0x20
    /// OCW3: the next read of the command port gives the in-service register.
    private static let readInService: UInt8 = 0x0B
    /// The IRQ a PIC raises for a spurious interrupt: its lowest priority line.
    private static let spuriousLine = 7

    /// Moves the vectors to 32–47 and masks every line.
    static func remapAndMask() {
        outb(masterCommand, 0x11); outb(slaveCommand, 0x11) // ICW1: initialize, ICW4 follows
        outb(masterData, UInt8(firstVector)); outb(slaveData, UInt8(firstVector + 8)) // ICW2: vector offsets
        outb(masterData, 4); outb(slaveData, 2) // ICW3: the slave on the master's IRQ 2
        outb(masterData, 1); outb(slaveData, 1) // ICW4: 8086 mode
        outb(masterData, 0xFF); outb(slaveData, 0xFF) // mask everything
    }

    /// Tells the PIC that the interrupt of `line` was handled, so it can raise the next.
    static func endOfInterrupt(line: Int) {
        if line >= 8 { outb(slaveCommand, endOfInterrupt) }
        outb(masterCommand, endOfInterrupt)
    }

    /// An interrupt on `vector` (32–47): every line is masked, so it is a spurious IRQ 7 or
    /// 15 (dropped, with the master's end for 15's cascade), or a line a mask should have
    /// kept quiet (acknowledged and ignored).
    static func handleUnexpected(_ vector: UInt64) {
        let line = Int(vector - firstVector)
        let onSlave = line >= 8
        if line % 8 == spuriousLine {
            let command = onSlave ? slaveCommand : masterCommand
            outb(command, readInService)
            let inService = inb(command) & UInt8(1 << spuriousLine) != 0
            if !inService {
                if onSlave { outb(masterCommand, endOfInterrupt) }
                return
            }
        }
        endOfInterrupt(line: line)
    }
}
