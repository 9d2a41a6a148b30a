import ApusCore
import Testing

/// Naming addresses from an ELF64 symbol table, and surviving damaged files.
@Suite("ELF symbol table")
struct ELFSymbolTableTests {
    /// A minimal ELF64 file: a null section, a symbol table with two functions and an
    /// object, and its string table.
    static func file() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 0x400)
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { for (i, b) in $0.enumerated() { bytes[offset + i] = b } }
        }
        bytes.replaceSubrange(0..<6, with: [0x7F, 0x45, 0x4C, 0x46, 2, 1])
        put(UInt64(0x100), at: 0x28) // e_shoff
        put(UInt16(3), at: 0x3C) // e_shnum
        // Section 1: SHT_SYMTAB at 0x200, 4 symbols, linked to section 2.
        put(UInt32(2), at: 0x140 + 4)
        put(UInt64(0x200), at: 0x140 + 24)
        put(UInt64(4 * 24), at: 0x140 + 32)
        put(UInt32(2), at: 0x140 + 40)
        // Section 2: SHT_STRTAB at 0x300.
        put(UInt32(3), at: 0x180 + 4)
        put(UInt64(0x300), at: 0x180 + 24)
        put(UInt64(0x20), at: 0x180 + 32)
        let names = Array("\0alpha\0beta\0data\0".utf8)
        bytes.replaceSubrange(0x300..<(0x300 + names.count), with: names)
        // Symbols: null; alpha FUNC [0x1000, 0x1100); beta FUNC [0x1100, 0x1180); data OBJECT.
        for (index, (name, info, value, size)) in [(1, UInt8(2), UInt64(0x1000), UInt64(0x100)), (7, 2, 0x1100, 0x80), (12, 1, 0x1180, 0x10)].enumerated() {
            let symbol = 0x200 + (index + 1) * 24
            put(UInt32(name), at: symbol)
            bytes[symbol + 4] = info
            put(value, at: symbol + 8)
            put(size, at: symbol + 16)
        }
        return bytes
    }

    @Test func namesTheFunctionHoldingAnAddress() {
        let bytes = Self.file()
        bytes.withUnsafeBytes { file in
            let table = ELFSymbolTable(file: file)!
            #expect(table.function(containing: 0x1000)! == ("alpha", 0))
            #expect(table.function(containing: 0x10FF)! == ("alpha", 0xFF))
            #expect(table.function(containing: 0x1104)! == ("beta", 4))
            #expect(table.function(containing: 0x1180) == nil, "objects are not functions")
            #expect(table.function(containing: 0xFFF) == nil)
        }
    }

    @Test func damagedFilesGiveNoTableOrNoNames() {
        var bytes = Self.file()
        bytes[0] = 0
        bytes.withUnsafeBytes { #expect(ELFSymbolTable(file: $0) == nil) }
        bytes = Self.file()
        bytes.withUnsafeBytes { file in
            #expect(ELFSymbolTable(file: UnsafeRawBufferPointer(rebasing: file[..<0x150])) == nil, "section table cut off")
            #expect(ELFSymbolTable(file: UnsafeRawBufferPointer(rebasing: file[..<0x250]))?.function(containing: 0x1000) == nil, "symbols cut off")
        }
        // Every truncation and every single-byte corruption of the headers is survived.
        for length in stride(from: 0, to: bytes.count, by: 7) {
            bytes.withUnsafeBytes { _ = ELFSymbolTable(file: UnsafeRawBufferPointer(rebasing: $0[..<length]))?.function(containing: 0x1000) }
        }
        for offset in 0..<0x400 {
            var damaged = Self.file()
            damaged[offset] ^= 0xFF
            damaged.withUnsafeBytes { _ = ELFSymbolTable(file: $0)?.function(containing: 0x1104) }
        }
    }
}
