import ApusCore

/// Builds small ELF64 executables in memory, so loader tests can say exactly what a file
/// holds, and damage it on purpose.
struct ELFBuilder {
    struct Segment {
        var type: UInt32 = 1
        var flags: UInt32
        var offset: UInt64
        var virtualAddress: UInt64
        var fileSize: UInt64
        var memorySize: UInt64
    }

    var entry: UInt64 = 0x401000
    var type: UInt16 = 2
    var machine: UInt16 = 62
    /// `e_ident[EI_OSABI]`: 3 for a GNU/Linux program.
    var osABI: UInt8 = 0
    var segments: [Segment] = []
    /// The file's size; bytes past the headers are a pattern, never zero, so a test sees
    /// whether any of them leaked into memory.
    var fileSize = 0x3000

    static func patternByte(_ offset: Int) -> UInt8 { UInt8(truncatingIfNeeded: offset * 7 + 3) | 0x80 }

    func bytes() -> [UInt8] {
        var bytes = (0..<fileSize).map(Self.patternByte)
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            for index in 0..<MemoryLayout<T>.size where offset + index < bytes.count {
                bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (index * 8))
            }
        }
        for index in 0..<64 { bytes[index] = 0 }
        bytes.replaceSubrange(0..<8, with: [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, osABI])
        put(type, at: 16)
        put(machine, at: 18)
        put(UInt32(1), at: 20)
        put(entry, at: 24)
        put(UInt64(64), at: 32) // e_phoff
        put(UInt16(64), at: 52)
        put(UInt16(56), at: 54)
        put(UInt16(segments.count), at: 56)
        for (index, segment) in segments.enumerated() {
            let base = 64 + index * 56
            put(segment.type, at: base)
            put(segment.flags, at: base + 4)
            put(segment.offset, at: base + 8)
            put(segment.virtualAddress, at: base + 16)
            put(segment.virtualAddress, at: base + 24)
            put(segment.fileSize, at: base + 32)
            put(segment.memorySize, at: base + 40)
            put(UInt64(0x1000), at: base + 48)
        }
        return bytes
    }

    /// A typical program: text (read-execute) at 0x401000 and data at the unaligned
    /// 0x402010 whose 0x20 file bytes are followed by 0x2FE0 bytes of BSS.
    static var typical: ELFBuilder {
        var builder = ELFBuilder()
        builder.segments = [
            Segment(flags: 5, offset: 0x1000, virtualAddress: 0x401000, fileSize: 0x100, memorySize: 0x100),
            Segment(flags: 6, offset: 0x2010, virtualAddress: 0x402010, fileSize: 0x20, memorySize: 0x3000),
        ]
        return builder
    }
}
