/// Finding the firmware's description of the machine: ACPI's root pointer and the system
/// description tables it leads to (ACPI 6.5, §5.2).
///
/// A PC's firmware leaves tables in memory that say what the machine has. The kernel needs
/// one of them to run several CPUs: the *MADT* (``MADT``), which lists the CPUs' local
/// interrupt controllers and the I/O interrupt controllers. The way there:
///
/// 1. The *root system description pointer* (RSDP), found by its signature `"RSD PTR "` on a
///    16-byte boundary in the first KiB of the extended BIOS data area or in the BIOS area
///    `0xE0000`–`0xFFFFF` (§5.2.5.1). Its first 20 bytes sum to 0 (mod 256); revision 2 and
///    later add a 64-bit address.
/// 2. The *RSDT* (32-bit entries) or *XSDT* (64-bit entries): a table whose entries are the
///    physical addresses of the other tables.
/// 3. Every table starts with the same 36-byte header: a 4-byte signature, its length and a
///    checksum byte that makes all its bytes sum to 0.
///
/// The tables are input like any other: a length that runs past what can be read, a bad
/// checksum or too many entries make the table unreadable (`nil`), never a crash.
public enum ACPITables {
    /// The RSDP's signature.
    static let rootSignature: [UInt8] = Array("RSD PTR ".utf8)
    /// Bytes of a table header (§5.2.6).
    static let headerSize = 36
    /// The largest table the kernel reads.
    static let maximumTableSize = 64 * 1024

    /// The physical address of the first table with `signature` ("APIC" for the MADT), found
    /// from an RSDP in `areas`, read through `memory`; `nil` when there is none.
    public static func findTable<RAM: PhysicalMemory>(_ signature: StaticString, in memory: RAM, searching areas: [PhysicalRange]) -> UnsafeRawBufferPointer? {
        guard let root = findRoot(in: memory, searching: areas) else { return nil }
        let wanted = signature.withUTF8Buffer { Array($0) }
        for address in root.entries {
            guard let table = readTable(at: address, in: memory), Array(table.prefix(4)) == wanted else { continue }
            return table
        }
        return nil
    }

    /// The RSDP's table of tables, read: the addresses of every other table.
    struct Root {
        var entries: [PhysicalAddress]
    }

    /// The first valid RSDP in `areas` and the root table it points to.
    static func findRoot<RAM: PhysicalMemory>(in memory: RAM, searching areas: [PhysicalRange]) -> Root? {
        for area in areas {
            var candidate = (area.start.raw + 15) & ~15
            while candidate + 20 <= area.end.raw {
                let bytes = UnsafeRawBufferPointer(start: memory.pointer(to: PhysicalAddress(candidate)), count: 20)
                if Array(bytes.prefix(8)) == rootSignature, checksum(bytes) == 0 {
                    let revision = bytes[15]
                    let rsdt = UInt64(bytes.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
                    if revision >= 2, candidate + 36 <= area.end.raw {
                        let extended = UnsafeRawBufferPointer(start: memory.pointer(to: PhysicalAddress(candidate)), count: 36)
                        let xsdt = extended.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
                        if checksum(extended) == 0, xsdt != 0, let root = readRoot(at: PhysicalAddress(xsdt), entrySize: 8, in: memory) { return root }
                    }
                    if let root = readRoot(at: PhysicalAddress(rsdt), entrySize: 4, in: memory) { return root }
                }
                candidate += 16
            }
        }
        return nil
    }

    /// The RSDT (`entrySize` 4) or XSDT (8) at `address`.
    static func readRoot<RAM: PhysicalMemory>(at address: PhysicalAddress, entrySize: Int, in memory: RAM) -> Root? {
        guard let table = readTable(at: address, in: memory) else { return nil }
        let signature = entrySize == 8 ? Array("XSDT".utf8) : Array("RSDT".utf8)
        guard Array(table.prefix(4)) == signature else { return nil }
        var entries: [PhysicalAddress] = []
        var offset = headerSize
        while offset + entrySize <= table.count {
            let raw = entrySize == 8 ? table.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                                     : UInt64(table.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            entries.append(PhysicalAddress(raw))
            offset += entrySize
        }
        return Root(entries: entries)
    }

    /// The table at `address`, whole, when its header is sane and its checksum is right.
    static func readTable<RAM: PhysicalMemory>(at address: PhysicalAddress, in memory: RAM) -> UnsafeRawBufferPointer? {
        guard address.raw != 0 else { return nil }
        let header = UnsafeRawBufferPointer(start: memory.pointer(to: address), count: headerSize)
        let length = Int(header.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        guard length >= headerSize, length <= maximumTableSize else { return nil }
        let table = UnsafeRawBufferPointer(start: memory.pointer(to: address), count: length)
        return checksum(table) == 0 ? table : nil
    }

    /// The sum of `bytes`, modulo 256.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt8 {
        bytes.reduce(0) { $0 &+ $1 }
    }
}
