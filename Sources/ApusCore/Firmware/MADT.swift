/// The Multiple APIC Description Table (ACPI 6.5, §5.2.12): the CPUs and interrupt
/// controllers of the machine, as the firmware describes them.
///
/// Each x86-64 CPU has a *local APIC*: its own interrupt controller, which takes its timer's
/// interrupts and those other CPUs send it (*inter-processor interrupts*, IPIs), and which
/// the kernel uses to start the other CPUs. Devices raise their interrupts at an *I/O APIC*,
/// which forwards each input (a *global system interrupt*, GSI) to a CPU as a vector. The
/// MADT lists:
///
/// * one *processor local APIC* entry per CPU (type 0): its APIC id, and whether it can be
///   started (enabled, or "online capable");
/// * the I/O APICs (type 1): their address and the first GSI of their inputs;
/// * *interrupt source overrides* (type 2): an ISA interrupt line that does not arrive on the
///   GSI of the same number, or with other polarity and trigger than ISA's (edge, active
///   high). On a PC the timer's IRQ 0 arrives on GSI 2, and PCI's lines are level-triggered;
/// * the local APICs' address (at offset 36, or a 64-bit override of type 5), and whether the
///   old 8259 controllers are present too (flag bit 0), which the kernel then masks.
///
/// Parsing is pure code over the table's bytes, tested on the host; a malformed entry (a
/// length of 0, one running past the table) ends the walk there.
public struct MADT: Equatable, Sendable {
    /// A CPU: its local APIC's id, and whether the kernel may start it.
    public struct Processor: Equatable, Sendable {
        public var apicID: UInt32
        public var isUsable: Bool
    }

    /// An I/O APIC: its registers' address, and the GSI of its first input.
    public struct IOAPIC: Equatable, Sendable {
        public var id: UInt8
        public var address: PhysicalAddress
        public var firstInterrupt: UInt32

        public init(id: UInt8, address: PhysicalAddress, firstInterrupt: UInt32) {
            self.id = id
            self.address = address
            self.firstInterrupt = firstInterrupt
        }
    }

    /// How an interrupt line signals (ACPI's MPS INTI flags).
    public struct Signal: Equatable, Sendable {
        /// Active while the line is low (else high).
        public var activeLow: Bool
        /// Level-triggered (else edge).
        public var levelTriggered: Bool

        public init(activeLow: Bool, levelTriggered: Bool) {
            self.activeLow = activeLow
            self.levelTriggered = levelTriggered
        }

        /// ISA's signalling: edge-triggered, active high.
        public static let isa = Signal(activeLow: false, levelTriggered: false)
    }

    /// An ISA line routed elsewhere or signalling differently.
    public struct Override: Equatable, Sendable {
        public var isaLine: UInt8
        public var globalInterrupt: UInt32
        public var signal: Signal
    }

    public var localAPICAddress: PhysicalAddress
    /// The two 8259 controllers are present too (and must be masked).
    public var hasLegacyPICs: Bool
    public var processors: [Processor] = []
    public var ioAPICs: [IOAPIC] = []
    public var overrides: [Override] = []

    /// The most entries read from one table.
    public static let entryLimit = 1024

    /// The MADT in `table` (its whole bytes, header included); `nil` when it is not one.
    public init?(_ table: UnsafeRawBufferPointer) {
        guard table.count >= ACPITables.headerSize + 8, Array(table.prefix(4)) == Array("APIC".utf8) else { return nil }
        localAPICAddress = PhysicalAddress(UInt64(table.loadUnaligned(fromByteOffset: 36, as: UInt32.self)))
        hasLegacyPICs = table.loadUnaligned(fromByteOffset: 40, as: UInt32.self) & 1 != 0
        var offset = ACPITables.headerSize + 8
        var count = 0
        while offset + 2 <= table.count, count < Self.entryLimit {
            let type = table[offset], length = Int(table[offset + 1])
            guard length >= 2, offset + length <= table.count else { break }
            let entry = UnsafeRawBufferPointer(rebasing: table[offset..<offset + length])
            switch (type, length) {
            case (0, 8...):
                let flags = entry.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
                processors.append(Processor(apicID: UInt32(entry[3]), isUsable: flags & 0b11 != 0))
            case (1, 12...):
                ioAPICs.append(IOAPIC(id: entry[2], address: PhysicalAddress(UInt64(entry.loadUnaligned(fromByteOffset: 4, as: UInt32.self))),
                                      firstInterrupt: entry.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
            case (2, 10...):
                let flags = entry.loadUnaligned(fromByteOffset: 8, as: UInt16.self)
                overrides.append(Override(isaLine: entry[3], globalInterrupt: entry.loadUnaligned(fromByteOffset: 4, as: UInt32.self),
                                          signal: Self.signal(flags)))
            case (5, 12...):
                localAPICAddress = PhysicalAddress(entry.loadUnaligned(fromByteOffset: 4, as: UInt64.self))
            case (9, 16...):
                // Processor local x2APIC: a 32-bit id.
                let flags = entry.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
                processors.append(Processor(apicID: entry.loadUnaligned(fromByteOffset: 4, as: UInt32.self), isUsable: flags & 0b11 != 0))
            default:
                break
            }
            offset += length
            count += 1
        }
    }

    /// Polarity (bits 0–1: 0 the bus's, 1 high, 3 low) and trigger (bits 2–3: 0 the bus's,
    /// 1 edge, 3 level); the bus here is ISA (edge, high).
    static func signal(_ flags: UInt16) -> Signal {
        Signal(activeLow: flags & 0b11 == 0b11, levelTriggered: flags >> 2 & 0b11 == 0b11)
    }

    /// Where ISA line `line` arrives, and how it signals: its override, or the GSI of the
    /// same number, ISA's way.
    public func route(isaLine line: UInt8) -> (globalInterrupt: UInt32, signal: Signal) {
        if let override = overrides.first(where: { $0.isaLine == line }) { return (override.globalInterrupt, override.signal) }
        return (UInt32(line), .isa)
    }

    /// The I/O APIC that has input `globalInterrupt`, and the input's number on it.
    public func ioAPIC(for globalInterrupt: UInt32, inputsPerIOAPIC: (IOAPIC) -> UInt32) -> (IOAPIC, pin: UInt32)? {
        for ioAPIC in ioAPICs where globalInterrupt >= ioAPIC.firstInterrupt && globalInterrupt - ioAPIC.firstInterrupt < inputsPerIOAPIC(ioAPIC) {
            return (ioAPIC, globalInterrupt - ioAPIC.firstInterrupt)
        }
        return nil
    }

    /// The CPUs the kernel may start.
    public var usableProcessors: [Processor] { processors.filter { $0.isUsable } }
}
