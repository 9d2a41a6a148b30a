import X86_64Support

/// The time-stamp counter's rate, for turning the kernel's own measurements into time.
///
/// `rdtsc` counts at a fixed rate that nothing in the CPU states (on QEMU it is the host's).
/// The kernel measures it once against a clock whose rate is known: channel 2 of the 8254
/// PIT (1.193182 MHz, Timer.swift), which counts down from a value the kernel writes and
/// raises its output when it reaches 0 (mode 0, "interrupt on terminal count"), readable in
/// bit 5 of port 0x61 (the PC's system control port B, whose bit 0 gates the channel and
/// bit 1 would send the output to the speaker). The way Linux calibrates without HPET.
enum TimeStampCounter {
    private static let channel2: UInt16 = 0x42, command: UInt16 = 0x43, controlB: UInt16 = 0x61
    private static let gateBit: UInt8 = 1 << 0, speakerBit: UInt8 = 1 << 1, outputBit: UInt8 = 1 << 5
    /// Channel 2, low byte then high byte, mode 0, binary.
    private static let channel2Mode0: UInt8 = 0xB0
    /// The calibration's span: 10 ms of PIT input clock.
    private static let spanMicroseconds: UInt64 = 10_000
    /// A bound on the wait for the PIT, for a machine whose port 0x61 does not answer.
    private static let pollLimit = 100_000_000

    nonisolated(unsafe) private static var measured: UInt64?

    /// Counter ticks per microsecond, measured at the first call; `nil` when the PIT did not
    /// answer.
    static var ticksPerMicrosecond: UInt64? {
        if measured == nil { measured = calibrate() }
        return measured == 0 ? nil : measured
    }

    /// `ticks` as microseconds, or as ticks when the rate is unknown.
    static func describe(_ ticks: UInt64) -> String {
        guard let rate = ticksPerMicrosecond else { return "\(ticks) TSC ticks" }
        return "\(ticks / rate) µs"
    }

    private static func calibrate() -> UInt64 {
        let count = UInt64(Timer.inputHertz) * spanMicroseconds / 1_000_000
        outb(controlB, inb(controlB) & ~(speakerBit | gateBit))
        outb(command, channel2Mode0)
        outb(channel2, UInt8(truncatingIfNeeded: count))
        outb(channel2, UInt8(truncatingIfNeeded: count >> 8))
        outb(controlB, inb(controlB) | gateBit)
        let start = read_tsc()
        var polls = 0
        while inb(controlB) & outputBit == 0 {
            polls += 1
            if polls == pollLimit { return 0 }
        }
        let ticks = read_tsc() - start
        outb(controlB, inb(controlB) & ~gateBit)
        return ticks / spanMicroseconds
    }
}
