import X86_64Support

/// The timer that shares each CPU between threads: every CPU's own local APIC timer
/// (LocalAPIC.swift), periodic, raising ``InterruptVectors/timer`` every
/// ``quantumMilliseconds``.
///
/// The local APIC timer counts at a rate the kernel must measure first: at boot, the PC's
/// 8254 programmable interval timer (PIT), whose input clock is known (1.193182 MHz), times
/// 10 ms with its channel 2 while the local APIC timer and the time-stamp counter count
/// (``calibrate()``). The PIT itself raises no interrupt: its channel 0 and the 8259s stay
/// off.
///
/// The kernel runs with interrupts off; a program runs with them on. So a tick interrupts a
/// program (whose time slice ends) or an idle CPU's `hlt` (which looks for work again).
enum Timer {
    /// The time slice of a thread.
    static let quantumMilliseconds = 4
    /// The PIT's input clock (Intel 8254 data sheet): 1.193182 MHz.
    static let inputHertz = 1_193_182
    /// How long the calibration measures.
    static let calibrationMilliseconds = 10

    /// Local APIC timer ticks (bus clock ÷ 16) per time slice, once calibrated.
    nonisolated(unsafe) static var ticksPerQuantum: UInt32 = 0
    /// Time-stamp counter ticks per millisecond, once calibrated.
    nonisolated(unsafe) static var tscPerMillisecond: UInt64 = 0

    private static let channel2: UInt16 = 0x42, command: UInt16 = 0x43
    /// Port 0x61 (the PC's system control port B): bit 0 gates channel 2, bit 1 routes it
    /// to the speaker, bit 5 reads channel 2's output.
    private static let controlPortB: UInt16 = 0x61
    private static let gate: UInt8 = 1 << 0, speaker: UInt8 = 1 << 1, output: UInt8 = 1 << 5

    /// Measures the local APIC timer's and the time-stamp counter's rates against the PIT's
    /// channel 2 (mode 0: its output goes high when the count reaches zero).
    static func calibrate() {
        let latch = inputHertz * calibrationMilliseconds / 1000
        outb(controlPortB, inb(controlPortB) & ~speaker | gate)
        outb(command, 0xB0) // channel 2, low then high byte, mode 0, binary
        outb(channel2, UInt8(truncatingIfNeeded: latch))
        LocalAPIC.startCountingDown()
        let tscStart = read_tsc()
        outb(channel2, UInt8(truncatingIfNeeded: latch >> 8)) // counting starts now
        while inb(controlPortB) & output == 0 { cpu_pause() }
        let apicTicks = UInt64(UInt32.max - LocalAPIC.currentCount)
        let tscTicks = read_tsc() - tscStart
        LocalAPIC.stopTimer()
        ticksPerQuantum = UInt32(max(apicTicks * UInt64(quantumMilliseconds) / UInt64(calibrationMilliseconds), 1))
        tscPerMillisecond = max(tscTicks / UInt64(calibrationMilliseconds), 1)
    }

    /// Starts this CPU's ticks.
    static func start() {
        LocalAPIC.startPeriodicTimer(count: ticksPerQuantum)
    }

    /// Tells the local APIC the tick was handled, so it can raise the next.
    static func acknowledge() {
        LocalAPIC.endOfInterrupt()
    }

    /// Waits `microseconds` by the time-stamp counter (for the start-up IPIs' delays).
    static func delay(microseconds: UInt64) {
        let end = read_tsc() + tscPerMillisecond * microseconds / 1000
        while read_tsc() < end { cpu_pause() }
    }
}
