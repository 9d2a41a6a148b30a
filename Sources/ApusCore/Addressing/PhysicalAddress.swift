/// An address on the memory bus: what a page table entry stores and what CR3 holds.
///
/// The kernel never dereferences a physical address directly. It asks a ``PhysicalMemory``
/// window for a pointer, so the same code runs in the kernel (the direct map of all RAM) and
/// in host tests (an arena of ordinary memory).
public struct PhysicalAddress: Hashable, Comparable, Sendable {
    public var raw: UInt64

    @inlinable public init(_ raw: UInt64) { self.raw = raw }

    @inlinable public var isPageAligned: Bool { raw & PageGeometry.offsetMask == 0 }

    /// The address `count` bytes further on (physical memory never reaches 2^64).
    @inlinable public func advanced(by count: UInt64) -> PhysicalAddress {
        PhysicalAddress(raw + count)
    }

    @inlinable public static func < (a: PhysicalAddress, b: PhysicalAddress) -> Bool { a.raw < b.raw }
}

extension PhysicalAddress: CustomStringConvertible {
    public var description: String { hexadecimal(raw) }
}

/// A half-open range of physical addresses `[start, end)`, such as one usable entry of the
/// firmware's memory map.
public struct PhysicalRange: Hashable, Sendable {
    public var start: PhysicalAddress
    public var end: PhysicalAddress

    @inlinable public init(start: PhysicalAddress, end: PhysicalAddress) {
        precondition(start <= end, "a physical range must not end before it starts")
        self.start = start
        self.end = end
    }

    @inlinable public var length: UInt64 { end.raw - start.raw }

    @inlinable public func contains(_ address: PhysicalAddress) -> Bool {
        start <= address && address < end
    }

    /// True when every address of `other` lies in this range.
    @inlinable public func contains(_ other: PhysicalRange) -> Bool {
        start <= other.start && other.end <= end
    }
}

extension PhysicalRange: CustomStringConvertible {
    public var description: String { "[\(start), \(end))" }
}

/// `value` in lower-case hexadecimal with a `0x` prefix, written without Foundation so that
/// the Embedded build can print addresses too.
@inlinable
public func hexadecimal(_ value: UInt64) -> String {
    var text: [UInt8] = [UInt8(ascii: "0"), UInt8(ascii: "x")]
    var shift = 60
    while shift > 0 && (value >> UInt64(shift)) & 0xF == 0 { shift -= 4 }
    while shift >= 0 {
        let digit = UInt8(truncatingIfNeeded: (value >> UInt64(shift)) & 0xF)
        text.append(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10)
        shift -= 4
    }
    return String(decoding: text, as: UTF8.self)
}
