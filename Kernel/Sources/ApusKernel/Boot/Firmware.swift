import X86_64Support

/// What the firmware says about the machine: the MADT (ApusCore's ``MADT``), found through
/// ACPI's root pointer in the places the ACPI specification names (§5.2.5.1): the first KiB
/// of the extended BIOS data area, whose real-mode segment the BIOS leaves at 0x40E, and
/// the BIOS area 0xE0000–0xFFFFF.
///
/// The tables sit in memory the firmware reserved, which the kernel's own page table does not
/// map: they are read through the boot page tables' direct map of the first 4 GiB, before
/// the kernel switches to its own (Kernel.swift), and kept as a value.
enum Firmware {
    static let biosDataAreaEBDASegment: UInt64 = 0x40E
    static let biosArea = PhysicalRange(start: PhysicalAddress(0xE_0000), end: PhysicalAddress(0x10_0000))
    static let ebdaSearchLength: UInt64 = 1024

    /// The MADT, if the firmware has one.
    static func findMADT() -> MADT? {
        var areas: [PhysicalRange] = []
        let segment = UInt64(DirectMap.boot.pointer(to: PhysicalAddress(biosDataAreaEBDASegment)).load(as: UInt16.self))
        if segment != 0 {
            let start = segment << 4
            areas.append(PhysicalRange(start: PhysicalAddress(start), end: PhysicalAddress(start + ebdaSearchLength)))
        }
        areas.append(biosArea)
        guard let table = ACPITables.findTable("APIC", in: DirectMap.boot, searching: areas) else { return nil }
        return MADT(table)
    }
}
