/// Which interrupt vector means what (Intel SDM Vol. 3A §6.2: 0–31 are the CPU's exceptions,
/// the rest the kernel's to give out).
///
/// A local APIC serves a pending vector of a higher priority class (vector ÷ 16) first, so
/// the CPU's own requests sit at the top: a TLB shootdown (which another CPU waits for with
/// its lock held) and a wake-up over the timer, the timer over devices.
enum InterruptVectors {
    /// The 8259s' IRQs 0–15 after remapping (InterruptController.swift): masked for good
    /// once the I/O APIC takes over, but a spurious IRQ 7 or 15 can still come.
    static let legacyFirst: UInt64 = 32
    static let legacyLast: UInt64 = 47
    /// The I/O APIC's inputs: global system interrupt `n` raises `ioAPICFirst + n`.
    static let ioAPICFirst: UInt64 = 48
    static let ioAPICLast: UInt64 = 111
    /// Every CPU's local APIC timer: the end of a time slice (Timer.swift).
    static let timer: UInt64 = 0xE0
    /// Another CPU put a thread on this CPU's queue while it idled: look again.
    static let wake: UInt64 = 0xF0
    /// Another CPU changed an address space this CPU may cache: drop its translations
    /// (TLBShootdown.swift).
    static let shootdown: UInt64 = 0xF1
    /// The local APIC's spurious vector (its low four bits must be ones on old APICs).
    static let spurious: UInt64 = 0xFF
}
