import X86_64Support

/// The local APIC: each CPU's own interrupt controller (Intel SDM Vol. 3A §11).
///
/// It delivers what reaches the CPU: its own timer (one per CPU, Timer.swift), interrupts
/// the I/O APIC forwards, and *inter-processor interrupts* (IPIs) that other CPUs send by
/// writing its *interrupt command register* (ICR). The kernel uses IPIs to start the other
/// CPUs (INIT, then STARTUP twice: §9.4.4), to wake an idle CPU that was given a thread, and
/// to ask the CPUs that may cache an address space to drop its translations (a TLB shootdown).
///
/// Its registers are memory-mapped (xAPIC mode) at the address the MADT gives, the same
/// address on every CPU, each CPU seeing its own APIC there; the kernel maps that page
/// uncached in the direct map. Every interrupt it delivers, but a spurious one, must be
/// acknowledged by a write to its end-of-interrupt register before it delivers the next of
/// the same or lower priority.
enum LocalAPIC {
    /// The registers' virtual address (the direct map of the MADT's address).
    nonisolated(unsafe) static var base: UInt64 = 0

    // Register offsets (§11.4.1, Table 11-1).
    static let idRegister: UInt64 = 0x20
    static let taskPriority: UInt64 = 0x80
    static let endOfInterruptRegister: UInt64 = 0xB0
    static let spuriousVectorRegister: UInt64 = 0xF0
    static let errorStatus: UInt64 = 0x280
    static let commandLow: UInt64 = 0x300
    static let commandHigh: UInt64 = 0x310
    static let timerVector: UInt64 = 0x320
    static let lintZero: UInt64 = 0x350
    static let lintOne: UInt64 = 0x360
    static let errorVector: UInt64 = 0x370
    static let timerInitialCount: UInt64 = 0x380
    static let timerCurrentCount: UInt64 = 0x390
    static let timerDivide: UInt64 = 0x3E0

    /// The spurious-vector register's "APIC software enable" bit (§11.4.3).
    static let softwareEnable: UInt32 = 1 << 8
    /// A local vector table entry's mask bit (§11.5.1).
    static let masked: UInt32 = 1 << 16
    /// The timer entry's periodic mode (bits 17–18 = 01).
    static let periodic: UInt32 = 1 << 17
    /// Divide configuration 0b0011: the timer counts at the bus clock ÷ 16.
    static let divideBy16: UInt32 = 0b0011

    // The ICR (§11.6.1): delivery mode in bits 8–10, level bit 14, trigger bit 15, the
    // delivery-status bit 12 (the last IPI is still being sent), destination in bits 56–63.
    static let deliveryFixed: UInt32 = 0b000 << 8
    static let deliveryInit: UInt32 = 0b101 << 8
    static let deliveryStartup: UInt32 = 0b110 << 8
    static let levelAssert: UInt32 = 1 << 14
    static let triggerLevel: UInt32 = 1 << 15
    static let deliveryPending: UInt32 = 1 << 12

    static func read(_ register: UInt64) -> UInt32 { mmio_read32(base + register) }
    static func write(_ register: UInt64, _ value: UInt32) { mmio_write32(base + register, value) }

    /// This CPU's local APIC id (bits 24–31 of its id register).
    static var id: UInt32 { read(idRegister) >> 24 }

    /// Turns this CPU's local APIC on: every priority accepted, the spurious vector set, the
    /// LINT pins and the error entry masked (the 8259s no longer reach the CPU through them).
    static func enable() {
        write(taskPriority, 0)
        write(lintZero, masked)
        write(lintOne, masked)
        write(errorVector, masked)
        write(spuriousVectorRegister, softwareEnable | UInt32(InterruptVectors.spurious))
        write(errorStatus, 0)
    }

    /// Acknowledges the interrupt being served.
    static func endOfInterrupt() {
        write(endOfInterruptRegister, 0)
    }

    /// Sends `command` to the local APIC with id `apicID`, once the last IPI has gone.
    static func send(_ command: UInt32, to apicID: UInt32) {
        while read(commandLow) & deliveryPending != 0 { cpu_pause() }
        write(commandHigh, apicID << 24)
        write(commandLow, command)
        while read(commandLow) & deliveryPending != 0 { cpu_pause() }
    }

    /// Interrupt `vector` at the CPU whose local APIC is `apicID`.
    static func sendInterrupt(_ vector: UInt64, to apicID: UInt32) {
        send(deliveryFixed | UInt32(vector), to: apicID)
    }

    /// The INIT IPI: the CPU resets and waits for a STARTUP (§9.4.4.1).
    static func sendInit(to apicID: UInt32) {
        send(deliveryInit | levelAssert | triggerLevel, to: apicID)
    }

    /// The STARTUP IPI: the CPU starts in real mode at `page` × 4096.
    static func sendStartup(to apicID: UInt32, page: UInt8) {
        send(deliveryStartup | levelAssert | UInt32(page), to: apicID)
    }

    // MARK: - The timer

    /// Starts this CPU's timer, periodic, raising ``InterruptVectors/timer`` every `count`
    /// ticks of the bus clock ÷ 16.
    static func startPeriodicTimer(count: UInt32) {
        write(timerDivide, divideBy16)
        write(timerVector, periodic | UInt32(InterruptVectors.timer))
        write(timerInitialCount, count)
    }

    /// Starts the timer counting down from the largest count, masked: for calibration.
    static func startCountingDown() {
        write(timerDivide, divideBy16)
        write(timerVector, masked)
        write(timerInitialCount, UInt32.max)
    }

    /// The timer's count now.
    static var currentCount: UInt32 { read(timerCurrentCount) }

    /// Stops the timer.
    static func stopTimer() {
        write(timerVector, masked)
        write(timerInitialCount, 0)
    }
}
