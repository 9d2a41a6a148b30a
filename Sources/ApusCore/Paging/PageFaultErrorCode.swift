/// The error code the CPU pushes with a page fault (#PF, vector 14): what kind of access
/// faulted and why (Intel SDM Vol. 3A §4.7, "Page-Fault Exceptions", Figure 4-12).
///
/// The kernel decides from it whether a page fault is one it can serve (a page not yet
/// there, a write to a copy-on-write page) or one no change of the page table can fix: a
/// reserved bit set in an entry, a protection-key or shadow-stack violation, or an access
/// the CPU made *in supervisor mode* while running the program (with SMAP, `iretq` or a far
/// return in ring 3 can make the CPU read the user stack that way). Retrying those would
/// fault again forever, so the process ends instead.
public struct PageFaultErrorCode: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Bit 0 (P): the page was present; the fault is a protection violation. Clear: the
    /// page (or a table above it) was not present.
    public static let presentBit: UInt64 = 1 << 0
    /// Bit 1 (W/R): the access was a write.
    public static let writeBit: UInt64 = 1 << 1
    /// Bit 2 (U/S): the access was a user-mode access.
    public static let userBit: UInt64 = 1 << 2
    /// Bit 3 (RSVD): a reserved bit was set in a paging-structure entry.
    public static let reservedBit: UInt64 = 1 << 3
    /// Bit 4 (I/D): the access was an instruction fetch.
    public static let instructionFetchBit: UInt64 = 1 << 4
    /// Bit 5 (PK): a protection-key violation.
    public static let protectionKeyBit: UInt64 = 1 << 5
    /// Bit 6 (SS): a shadow-stack access.
    public static let shadowStackBit: UInt64 = 1 << 6
    /// Bit 7 (HLAT): a fault during HLAT paging.
    public static let hlatBit: UInt64 = 1 << 7
    /// Bit 15 (SGX): an SGX access-control violation.
    public static let sgxBit: UInt64 = 1 << 15

    public var pageWasPresent: Bool { rawValue & Self.presentBit != 0 }
    public var isWrite: Bool { rawValue & Self.writeBit != 0 }
    public var isUserModeAccess: Bool { rawValue & Self.userBit != 0 }
    public var reservedBitSet: Bool { rawValue & Self.reservedBit != 0 }
    public var isInstructionFetch: Bool { rawValue & Self.instructionFetchBit != 0 }
    public var isProtectionKeyViolation: Bool { rawValue & Self.protectionKeyBit != 0 }
    public var isShadowStackAccess: Bool { rawValue & Self.shadowStackBit != 0 }

    /// The bits that make a fault one no page-table change can fix: RSVD, PK, SS, HLAT and
    /// SGX. Apus sets none of the features behind them, so any of them means the fault is
    /// not the program's ordinary access.
    public static let unservableBits: UInt64 = reservedBit | protectionKeyBit | shadowStackBit | hlatBit | sgxBit

    /// The access that faulted: an instruction fetch, a write, or else a read.
    public var access: AccessKind {
        isInstructionFetch ? .execute : isWrite ? .write : .read
    }

    /// True when the kernel may serve the fault by changing the page table: a user-mode
    /// access with none of the ``unservableBits``.
    public var isServable: Bool {
        isUserModeAccess && rawValue & Self.unservableBits == 0
    }
}

extension PageFaultErrorCode: CustomStringConvertible {
    /// The code and its bits in words: `0x5 (present, read, user)`.
    public var description: String {
        var words = [pageWasPresent ? "present" : "not present", isInstructionFetch ? "fetch" : isWrite ? "write" : "read",
                     isUserModeAccess ? "user" : "supervisor"]
        if reservedBitSet { words.append("reserved bit") }
        if isProtectionKeyViolation { words.append("protection key") }
        if isShadowStackAccess { words.append("shadow stack") }
        if rawValue & Self.hlatBit != 0 { words.append("HLAT") }
        if rawValue & Self.sgxBit != 0 { words.append("SGX") }
        return "\(hexadecimal(rawValue)) (\(words.joined(separator: ", ")))"
    }
}
