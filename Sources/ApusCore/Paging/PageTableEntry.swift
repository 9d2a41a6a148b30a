/// One 64-bit entry of an x86-64 page table (Intel SDM Vol. 3A §4.5, tables 4-15 to 4-20).
///
/// ```
///  63  62…52   51…12                11…9  8  7   6  5  4   3   2  1  0
/// ┌──┬───────┬─────────────────────┬─────┬─┬──┬──┬──┬───┬───┬──┬──┬─┐
/// │XD│ avail │ frame address       │avail│G│PS│D │A │PCD│PWT│US│RW│P│
/// └──┴───────┴─────────────────────┴─────┴─┴──┴──┴──┴───┴───┴──┴──┴─┘
/// ```
///
/// Apus writes only four of these bits. A *leaf* entry (level 1, mapping one page) is
/// exactly `P`, plus `RW` if the permission has WRITE, plus `US` if it has USER, plus `XD`
/// if it lacks EXECUTABLE, and nothing else (ABI.md §4). An *intermediate* entry (pointing at
/// the next table) is permissive, `P | RW | US` without `XD`, because the CPU combines the
/// permissions of every level and the leaf alone should decide.
public struct PageTableEntry: Hashable, Sendable {
    public var raw: UInt64

    @inlinable public init(raw: UInt64) { self.raw = raw }

    /// The named bits of an entry.
    public struct Flags: OptionSet, Hashable, Sendable {
        public var rawValue: UInt64
        @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }

        /// P: the entry is valid; without it the CPU ignores every other bit and faults.
        public static let present = Flags(rawValue: 1 << 0)
        /// RW: writes are allowed (by the kernel too, since CR0.WP is set).
        public static let writable = Flags(rawValue: 1 << 1)
        /// US: ring 3 may access.
        public static let user = Flags(rawValue: 1 << 2)
        /// PWT: write-through caching.
        public static let writeThrough = Flags(rawValue: 1 << 3)
        /// PCD: caching disabled.
        public static let cacheDisabled = Flags(rawValue: 1 << 4)
        /// A: set by the CPU when the entry is used.
        public static let accessed = Flags(rawValue: 1 << 5)
        /// D: set by the CPU when a leaf's page is written.
        public static let dirty = Flags(rawValue: 1 << 6)
        /// PS: in a PDPT or PD entry, maps a 1 GiB or 2 MiB page instead of a table.
        public static let hugePage = Flags(rawValue: 1 << 7)
        /// G: the translation survives a CR3 reload.
        public static let global = Flags(rawValue: 1 << 8)
        /// XD: instruction fetches fault (needs EFER.NXE).
        public static let executeDisable = Flags(rawValue: 1 << 63)
    }

    /// Bits 12–51: the physical address of the frame or next table.
    public static let frameMask: UInt64 = 0x000F_FFFF_FFFF_F000

    /// The entry for an absent page: every bit clear.
    public static let absent = PageTableEntry(raw: 0)

    /// The leaf entry that maps `frame` with `permission`: exactly the bits ABI.md §4 names.
    @inlinable
    public static func leaf(frame: PhysicalAddress, permission: Permission) -> PageTableEntry {
        var flags: Flags = .present
        if permission.contains(.write) { flags.insert(.writable) }
        if permission.contains(.user) { flags.insert(.user) }
        if !permission.contains(.executable) { flags.insert(.executeDisable) }
        return PageTableEntry(raw: frame.raw & frameMask | flags.rawValue)
    }

    /// The intermediate entry that points at the next-level table in `frame`.
    @inlinable
    public static func table(frame: PhysicalAddress) -> PageTableEntry {
        let flags: Flags = [.present, .writable, .user]
        return PageTableEntry(raw: frame.raw & frameMask | flags.rawValue)
    }

    @inlinable public var flags: Flags {
        get { Flags(rawValue: raw & ~Self.frameMask) }
        set { raw = raw & Self.frameMask | newValue.rawValue & ~Self.frameMask }
    }

    @inlinable public var frame: PhysicalAddress { PhysicalAddress(raw & Self.frameMask) }
    @inlinable public var isPresent: Bool { flags.contains(.present) }

    /// What a present leaf entry allows, read back from its bits.
    @inlinable public var permission: Permission {
        var permission: Permission = .read
        if flags.contains(.writable) { permission.insert(.write) }
        if flags.contains(.user) { permission.insert(.user) }
        if !flags.contains(.executeDisable) { permission.insert(.executable) }
        return permission
    }
}

extension PageTableEntry: CustomStringConvertible {
    public var description: String {
        isPresent ? "\(frame) \(permission)" : "absent"
    }
}
