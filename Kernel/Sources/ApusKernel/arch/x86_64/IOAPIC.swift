import X86_64Support

/// An I/O APIC: where devices raise their interrupts once the 8259s are off (Intel 82093AA
/// I/O APIC data sheet, §3).
///
/// Each input (*pin*) carries one line, named system-wide by its *global system interrupt*
/// (GSI: the I/O APIC's first GSI + the pin). Its *redirection entry* says which vector it
/// raises, at which CPU, and how the line signals (polarity, edge or level). The kernel
/// masks every pin at start and routes a line only when a driver asks (``route(_:to:)``),
/// with what the MADT says of it: ISA line `n` may arrive on another GSI, or signal
/// otherwise than ISA's edge-triggered active-high (an interrupt source override), and a PCI
/// line (level-triggered, active low on real hardware) comes with an override on QEMU's PC.
///
/// Two registers reach everything: the index (IOREGSEL, at 0) selects a register, the
/// window (IOWIN, at 0x10) reads or writes it.
struct IOAPIC {
    /// Its registers' virtual address (the direct map of the MADT's address).
    let base: UInt64
    /// The GSI of its pin 0.
    let firstInterrupt: UInt32
    /// How many pins it has.
    let pinCount: UInt32

    static let select: UInt64 = 0x00
    static let window: UInt64 = 0x10
    static let versionRegister: UInt32 = 0x01
    static let redirectionTable: UInt32 = 0x10
    /// Redirection entry bits (§3.2.4): polarity 13, trigger 15, mask 16, destination 56–63.
    static let activeLow: UInt64 = 1 << 13
    static let levelTriggered: UInt64 = 1 << 15
    static let masked: UInt64 = 1 << 16

    /// The I/O APIC whose registers are at `base`, first GSI `firstInterrupt`: every pin
    /// masked.
    init(base: UInt64, firstInterrupt: UInt32) {
        self.base = base
        self.firstInterrupt = firstInterrupt
        mmio_write32(base + Self.select, Self.versionRegister)
        pinCount = (mmio_read32(base + Self.window) >> 16 & 0xFF) + 1
        for pin in 0..<pinCount { writeEntry(pin, Self.masked) }
    }

    func readRegister(_ index: UInt32) -> UInt32 {
        mmio_write32(base + Self.select, index)
        return mmio_read32(base + Self.window)
    }

    func writeRegister(_ index: UInt32, _ value: UInt32) {
        mmio_write32(base + Self.select, index)
        mmio_write32(base + Self.window, value)
    }

    func entry(_ pin: UInt32) -> UInt64 {
        UInt64(readRegister(Self.redirectionTable + 2 * pin)) | UInt64(readRegister(Self.redirectionTable + 2 * pin + 1)) << 32
    }

    func writeEntry(_ pin: UInt32, _ value: UInt64) {
        // The high half (the destination) first, so the pin never points at a wrong CPU.
        writeRegister(Self.redirectionTable + 2 * pin + 1, UInt32(truncatingIfNeeded: value >> 32))
        writeRegister(Self.redirectionTable + 2 * pin, UInt32(truncatingIfNeeded: value))
    }

    /// The redirection entry that makes `pin` raise `vector` at the CPU with local APIC id
    /// `apicID`, signalling as `signal` says, unmasked.
    static func routingEntry(vector: UInt64, apicID: UInt32, signal: MADT.Signal) -> UInt64 {
        vector | (signal.activeLow ? activeLow : 0) | (signal.levelTriggered ? levelTriggered : 0) | UInt64(apicID) << 56
    }
}

/// Device interrupts: the lines of the machine's I/O APICs, routed as the MADT says.
enum DeviceInterrupts {
    /// The machine's I/O APICs, set up at boot.
    nonisolated(unsafe) static var ioAPICs: [IOAPIC] = []
    nonisolated(unsafe) static var madt: MADT?

    /// Finds the I/O APICs of `madt` (their registers in the direct map) and masks them all.
    static func initialize(_ madt: MADT) {
        self.madt = madt
        ioAPICs = madt.ioAPICs.map { IOAPIC(base: DirectMap.offset + $0.address.raw, firstInterrupt: $0.firstInterrupt) }
    }

    /// The vector ISA (or PCI interrupt-line) line `line` raises once routed.
    static func vector(forLine line: UInt8) -> UInt64? {
        guard let madt else { return nil }
        let gsi = madt.route(isaLine: line).globalInterrupt
        let vector = InterruptVectors.ioAPICFirst + UInt64(gsi)
        return vector <= InterruptVectors.ioAPICLast ? vector : nil
    }

    /// Routes ISA or PCI line `line` (an 8259 number, as a PCI function's interrupt-line
    /// register gives it) to the bootstrap processor: the GSI and signalling from the MADT.
    /// Returns the vector it raises, or `nil` when no I/O APIC has that line.
    @discardableResult
    static func route(line: UInt8) -> UInt64? {
        guard let madt, let vector = vector(forLine: line) else { return nil }
        let (gsi, signal) = madt.route(isaLine: line)
        guard let ioAPIC = ioAPICs.first(where: { gsi >= $0.firstInterrupt && gsi - $0.firstInterrupt < $0.pinCount }) else { return nil }
        ioAPIC.writeEntry(gsi - ioAPIC.firstInterrupt, IOAPIC.routingEntry(vector: vector, apicID: CPU.bootstrap.apicID, signal: signal))
        return vector
    }

    /// The redirection entry of GSI `gsi`, for the checks.
    static func entry(ofInterrupt gsi: UInt32) -> UInt64? {
        guard let ioAPIC = ioAPICs.first(where: { gsi >= $0.firstInterrupt && gsi - $0.firstInterrupt < $0.pinCount }) else { return nil }
        return ioAPIC.entry(gsi - ioAPIC.firstInterrupt)
    }

    /// Masks line `line` again.
    static func mask(line: UInt8) {
        guard let madt else { return }
        let gsi = madt.route(isaLine: line).globalInterrupt
        guard let ioAPIC = ioAPICs.first(where: { gsi >= $0.firstInterrupt && gsi - $0.firstInterrupt < $0.pinCount }) else { return }
        ioAPIC.writeEntry(gsi - ioAPIC.firstInterrupt, IOAPIC.masked)
    }
}
