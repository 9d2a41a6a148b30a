/// The shape of x86-64 4-level paging with 4 KiB pages (Intel SDM Vol. 3A §4.5).
///
/// A virtual address is cut into five fields: four 9-bit indices, one per level of the page
/// table tree (PML4, PDPT, PD, PT, from the top), and a 12-bit offset into the page. Each
/// table is one 4 KiB frame holding 512 eight-byte entries. So one PT entry covers 4 KiB, one
/// PD entry 2 MiB, one PDPT entry 1 GiB and one PML4 entry ("slot") 512 GiB.
public enum PageGeometry {
    /// Bytes in a page, and in a page-table frame.
    public static let pageSize: UInt64 = 4096
    /// log2(``pageSize``).
    public static let pageShift: UInt64 = 12
    /// The bits of an address that select a byte inside its page.
    public static let offsetMask: UInt64 = pageSize - 1
    /// Entries in one table of any level.
    public static let entriesPerTable = 512
    /// The bits of an address (after shifting) that select an entry of a table.
    public static let indexMask: UInt64 = 0x1FF
    /// Levels of the tree: PML4 (4), PDPT (3), PD (2), PT (1).
    public static let levels = 4

    /// How far to shift an address right to find its index at `level` (1 = PT … 4 = PML4).
    @inlinable public static func shift(ofLevel level: Int) -> UInt64 {
        pageShift + 9 * UInt64(level - 1)
    }

    /// Bytes of address space one entry at `level` covers (4 KiB at level 1).
    @inlinable public static func span(ofEntryAtLevel level: Int) -> UInt64 {
        1 << shift(ofLevel: level)
    }

    /// `length` rounded up to a whole number of pages, or `nil` when that wraps past 2^64.
    @inlinable public static func roundUp(_ length: UInt64) -> UInt64? {
        let (sum, overflow) = length.addingReportingOverflow(offsetMask)
        return overflow ? nil : sum & ~offsetMask
    }
}
