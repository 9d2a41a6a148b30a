import X86_64Support

/// The timer that shares the CPU between processes: the PC's 8254 programmable interval
/// timer (PIT), channel 0, raising IRQ 0 (vector 32 once the 8259 interrupt controller is
/// remapped, CPUTables.swift) every ``quantumMilliseconds``.
///
/// The kernel runs with interrupts off; a program runs with them on. So a tick only ever
/// interrupts a program (or the idle loop's `hlt`), and the scheduler preempts the program
/// there: a process that never makes a system call cannot keep the CPU.
enum Timer {
    /// The vector of IRQ 0 after remapping.
    static let vector: UInt64 = 32
    /// The time slice of a process.
    static let quantumMilliseconds = 4
    /// The PIT's input clock (Intel 8254 data sheet): 1.193182 MHz.
    static let inputHertz = 1_193_182

    private static let channel0: UInt16 = 0x40, command: UInt16 = 0x43
    /// The PIT's line at the interrupt controller.
    private static let line = 0

    /// Starts the ticks: channel 0 in mode 2 (rate generator), and IRQ 0 unmasked at the PIC.
    static func start() {
        let divisor = inputHertz * quantumMilliseconds / 1000
        outb(command, 0x34) // channel 0, low then high byte, mode 2, binary
        outb(channel0, UInt8(truncatingIfNeeded: divisor))
        outb(channel0, UInt8(truncatingIfNeeded: divisor >> 8))
        InterruptController.unmask(line: line)
    }

    /// Tells the PIC the tick was handled, so it can raise the next.
    static func acknowledge() {
        InterruptController.endOfInterrupt(line: line)
    }
}
