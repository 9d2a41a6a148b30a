import Foundation

// Byte arrays for tests that make and compare millions of bytes. Test code is built without
// optimisation, where a closure per byte (`map`) or the generic element-wise `==` of arrays
// costs seconds; these go through `memcmp` and whole-slice copies instead.

/// Whether two byte arrays hold the same bytes.
func sameBytes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    a.count == b.count && a.withUnsafeBytes { x in
        b.withUnsafeBytes { y in x.isEmpty || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 }
    }
}

/// `count` bytes counting up from `start`, wrapping after 255.
func countingBytes(from start: UInt8, count: Int) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count)
    var next = Int(start)
    while bytes.count < count {
        let chunk = min(256 - next, count - bytes.count)
        bytes += everyByte[next..<next + chunk]
        next = (next + chunk) % 256
    }
    return bytes
}

/// `count` bytes from `address` on, read out of pages of `pageSize` bytes, each given by
/// `page` from its first address, a whole slice of a page at a time.
func bytesAcrossPages(_ address: UInt64, _ count: Int, pageSize: UInt64, page: (UInt64) -> [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count)
    while bytes.count < count {
        let at = address + UInt64(bytes.count)
        let offset = Int(at % pageSize)
        let chunk = min(count - bytes.count, Int(pageSize) - offset)
        bytes += page(at - UInt64(offset))[offset..<offset + chunk]
    }
    return bytes
}

/// 0, 1, …, 255.
private let everyByte: [UInt8] = Array(0...255)
