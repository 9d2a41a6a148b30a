/// Integers as x86-64 stores them in memory and files: least significant byte first. The
/// ELF loader, the root file system image and the user copies read and write them this way.
extension FixedWidthInteger {
    /// The value whose little-endian bytes start at `offset` in `bytes` (which must hold them).
    @inlinable
    public init<Bytes: RandomAccessCollection>(littleEndianBytes bytes: Bytes, at offset: Int) where Bytes.Element == UInt8, Bytes.Index == Int {
        var value: Self = 0
        for index in (0..<MemoryLayout<Self>.size).reversed() { value = value << 8 | Self(bytes[offset + index]) }
        self = value
    }

    /// The value's bytes, least significant first.
    @inlinable
    public var littleEndianBytes: [UInt8] {
        (0..<MemoryLayout<Self>.size).map { UInt8(truncatingIfNeeded: self >> ($0 * 8)) }
    }
}
