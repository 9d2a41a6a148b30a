/// Addresses a program or the kernel uses: 64 bits, of which x86-64 translates 48.
///
/// With 4-level paging the CPU looks only at bits 0–47 of a virtual address and demands that
/// bits 48–63 be copies of bit 47 (Intel SDM Vol. 1 §3.3.7.1, "canonical addressing").
/// Canonical addresses therefore come in two halves: the *user half*
/// `0 ..< 0x0000_8000_0000_0000` and the *kernel half* `0xFFFF_8000_0000_0000 ...`. Anything
/// between is a hole: touching it raises #GP, not a page fault, and no page table entry can
/// describe it.
///
/// `VirtualAddress` may hold any 64-bit value, because a user program can pass any value to
/// a system call; code that must reach the page tables asks ``isCanonical`` first.
public struct VirtualAddress: Hashable, Comparable, Sendable {
    /// The address as the CPU sees it.
    public var raw: UInt64

    @inlinable public init(_ raw: UInt64) { self.raw = raw }

    /// True when bits 48–63 all copy bit 47, so the address can be translated.
    @inlinable public var isCanonical: Bool {
        Int64(bitPattern: raw << 16) >> 16 == Int64(bitPattern: raw)
    }

    /// True when the address is the first byte of a page.
    @inlinable public var isPageAligned: Bool { raw & PageGeometry.offsetMask == 0 }

    /// The offset of the address inside its page.
    @inlinable public var pageOffset: UInt64 { raw & PageGeometry.offsetMask }

    /// The first byte of the page that holds this address.
    @inlinable public var pageBase: VirtualAddress { VirtualAddress(raw & ~PageGeometry.offsetMask) }

    /// The index into the page table of `level` (4 = PML4 … 1 = PT) that this address selects:
    /// nine bits each, starting at bit 12 for level 1 (Intel SDM Vol. 3A §4.5, figure 4-8).
    @inlinable public func tableIndex(level: Int) -> Int {
        Int(truncatingIfNeeded: (raw >> PageGeometry.shift(ofLevel: level)) & PageGeometry.indexMask)
    }

    /// The address `count` bytes further on, or `nil` when that wraps past 2^64.
    @inlinable public func advanced(by count: UInt64) -> VirtualAddress? {
        let (sum, overflow) = raw.addingReportingOverflow(count)
        return overflow ? nil : VirtualAddress(sum)
    }

    @inlinable public static func < (a: VirtualAddress, b: VirtualAddress) -> Bool { a.raw < b.raw }
}

extension VirtualAddress: CustomStringConvertible {
    /// The address in hexadecimal, as a debugger shows it: `0x401000`.
    public var description: String { hexadecimal(raw) }
}

/// A half-open range of virtual addresses `[start, end)`.
///
/// `end` may be the first address past the user half (`0x0000_8000_0000_0000`), which is not
/// itself canonical; a range never contains its end.
public struct VirtualRange: Hashable, Sendable {
    public var start: VirtualAddress
    public var end: VirtualAddress

    /// The range `[start, end)`; `start <= end` is required.
    @inlinable public init(start: VirtualAddress, end: VirtualAddress) {
        precondition(start <= end, "a virtual range must not end before it starts")
        self.start = start
        self.end = end
    }

    /// The range of `length` bytes from `start`, or `nil` when it would wrap past 2^64.
    @inlinable public init?(start: VirtualAddress, length: UInt64) {
        guard let end = start.advanced(by: length) else { return nil }
        self.init(start: start, end: end)
    }

    /// The smallest page-aligned range covering `length` bytes from the page-aligned `start`,
    /// or `nil` when rounding up wraps past 2^64.
    @inlinable public init?(pagesFrom start: VirtualAddress, length: UInt64) {
        guard let rounded = PageGeometry.roundUp(length) else { return nil }
        self.init(start: start, length: rounded)
    }

    @inlinable public var length: UInt64 { end.raw - start.raw }
    @inlinable public var isEmpty: Bool { start == end }
    @inlinable public var pageCount: UInt64 { length >> PageGeometry.pageShift }
    @inlinable public var isPageAligned: Bool { start.isPageAligned && end.isPageAligned }

    @inlinable public func contains(_ address: VirtualAddress) -> Bool {
        start <= address && address < end
    }

    /// True when the two ranges share at least one address.
    @inlinable public func overlaps(_ other: VirtualRange) -> Bool {
        start < other.end && other.start < end
    }

    /// True when every address of `other` is in this range.
    @inlinable public func contains(_ other: VirtualRange) -> Bool {
        start <= other.start && other.end <= end
    }

    /// The first address of every page in the range, in order (the range must be aligned).
    @inlinable public var pages: StrideTo<UInt64> {
        stride(from: start.raw, to: end.raw, by: Int(PageGeometry.pageSize))
    }
}

extension VirtualRange: CustomStringConvertible {
    public var description: String { "[\(start), \(end))" }
}
