import ApusCore
import Testing

/// The firmware's tables as the kernel reads them: the root pointer, the root table, and
/// the MADT's CPUs, I/O APICs and overrides; damaged tables are refused, never trusted.
@Suite("ACPI: finding the MADT and reading it")
struct ACPITablesTests {
    /// A table with `signature`, a correct checksum, and `body` after the 36-byte header.
    static func table(_ signature: String, _ body: [UInt8]) -> [UInt8] {
        var bytes = Array(signature.utf8) + le32(UInt32(36 + body.count)) + [1, 0] + [UInt8](repeating: 0, count: 26) + body
        bytes[9] = 0 &- bytes.reduce(0, &+)
        return bytes
    }

    static func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
    static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }

    /// QEMU's MADT for four CPUs (one not usable here), its I/O APIC and its overrides.
    static let madtBody: [UInt8] = le32(0xFEE0_0000) + le32(1)
        + [0, 8, 0, 0] + le32(1) + [0, 8, 1, 1] + le32(1) + [0, 8, 2, 2] + le32(1) + [0, 8, 3, 7] + le32(0)
        + [1, 12, 0, 0] + le32(0xFEC0_0000) + le32(0)
        + [2, 10, 0, 0] + le32(2) + le16(0)
        + [2, 10, 0, 9] + le32(9) + le16(0b1101)
        + [2, 10, 0, 11] + le32(11) + le16(0b1111)

    /// Writes an RSDP at `rsdp`, an RSDT at `rsdt` pointing at a MADT at `madt`.
    static func lay(in memory: HostMemory, rsdp: UInt64, rsdt: UInt64, madt: UInt64, madtBytes: [UInt8]) {
        func write(_ bytes: [UInt8], at address: UInt64) {
            memory.pointer(to: PhysicalAddress(address)).copyMemory(from: bytes, byteCount: bytes.count)
        }
        var pointer = Array("RSD PTR ".utf8) + [0] + Array("APUS  ".utf8) + [0] + le32(UInt32(rsdt))
        pointer[8] = 0 &- pointer.reduce(0, &+)
        write(pointer, at: rsdp)
        write(table("RSDT", le32(0x0012_3000) + le32(UInt32(madt))), at: rsdt)
        write(table("FACP", [1, 2, 3, 4]), at: 0x0012_3000)
        write(madtBytes, at: madt)
    }

    static let area = PhysicalRange(start: PhysicalAddress(0x0010_0000), end: PhysicalAddress(0x0011_0000))

    /// An arena of 2 MiB of zeros. A host arena is not cleared when it is made, and may hold
    /// the tables an earlier test laid out in memory the host has given out again.
    static func zeroedMemory() -> HostMemory {
        let memory = HostMemory(byteCount: 2 << 20)
        memory.pointer(to: memory.range.start).initializeMemory(as: UInt8.self, repeating: 0, count: Int(memory.range.length))
        return memory
    }

    @Test func theMADTIsFoundThroughTheRootPointerAndRead() throws {
        let memory = Self.zeroedMemory()
        Self.lay(in: memory, rsdp: 0x0010_4010, rsdt: 0x0012_0000, madt: 0x0012_8000, madtBytes: Self.table("APIC", Self.madtBody))
        let found = try #require(ACPITables.findTable("APIC", in: memory, searching: [Self.area]))
        let madt = try #require(MADT(found))
        #expect(madt.localAPICAddress == PhysicalAddress(0xFEE0_0000) && madt.hasLegacyPICs)
        expectEqual(madt.processors.map(\.apicID), [0, 1, 2, 7])
        expectEqual(madt.usableProcessors.map(\.apicID), [0, 1, 2], "the disabled one is not started")
        expectEqual(madt.ioAPICs, [MADT.IOAPIC(id: 0, address: PhysicalAddress(0xFEC0_0000), firstInterrupt: 0)])
        expectEqual(madt.route(isaLine: 0).globalInterrupt, 2, "the timer's IRQ 0 arrives on GSI 2")
        #expect(madt.route(isaLine: 4) == (4, .isa))
        expectEqual(madt.route(isaLine: 9).signal, MADT.Signal(activeLow: false, levelTriggered: true))
        expectEqual(madt.route(isaLine: 11).signal, MADT.Signal(activeLow: true, levelTriggered: true))
        expectEqual(madt.ioAPIC(for: 11, inputsPerIOAPIC: { _ in 24 })?.pin, 11)
        #expect(madt.ioAPIC(for: 30, inputsPerIOAPIC: { _ in 24 }) == nil)
    }

    @Test func aDamagedChecksumOrNoRootPointerFindsNothing() {
        let memory = Self.zeroedMemory()
        #expect(ACPITables.findTable("APIC", in: memory, searching: [Self.area]) == nil, "no RSDP")
        var damaged = Self.table("APIC", Self.madtBody)
        damaged[50] &+= 1
        Self.lay(in: memory, rsdp: 0x0010_4010, rsdt: 0x0012_0000, madt: 0x0012_8000, madtBytes: damaged)
        #expect(ACPITables.findTable("APIC", in: memory, searching: [Self.area]) == nil, "a table whose checksum is wrong")
        #expect(ACPITables.findTable("FACP", in: memory, searching: [Self.area]) != nil, "the others are still read")
    }

    @Test func malformedEntriesEndTheWalkInsteadOfRunningPastTheTable() throws {
        // A processor entry, then one whose length is 0, then one running past the end.
        for tail: [UInt8] in [[0, 0, 9, 9, 9, 9, 9, 9], [0, 200, 5, 5]] {
            let body = Self.le32(0xFEE0_0000) + Self.le32(0) + [0, 8, 0, 3] + Self.le32(1) + tail
            let bytes = Self.table("APIC", body)
            let madt = try #require(bytes.withUnsafeBytes { MADT($0) })
            #expect(madt.processors.map { $0.apicID } == [3] && !madt.hasLegacyPICs)
        }
        expectEqual([UInt8](repeating: 0, count: 50).withUnsafeBytes { MADT($0) }, nil, "not an MADT")
    }

}
