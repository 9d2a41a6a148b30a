/// The function symbols of an ELF64 file: how a panic turns a return address into a name.
///
/// An ELF file (System V ABI, "Object Files") lists its sections in a table at `e_shoff`.
/// The section of type `SHT_SYMTAB` holds 24-byte symbols, each naming a range
/// `[st_value, st_value + st_size)`; its `sh_link` is the string table with the names. The
/// kernel reads its own file, which `apus` hands over as a boot module, so every bound is
/// checked: a damaged file yields no names, never a fault.
public struct ELFSymbolTable {
    private let file: UnsafeRawBufferPointer
    private let symbols: Range<Int>
    private let strings: Range<Int>

    static let sectionTypeSymbolTable: UInt32 = 2
    static let symbolTypeFunction: UInt8 = 2
    static let symbolSize = 24
    static let sectionHeaderSize = 64

    /// The symbol table of the ELF64 little-endian file in `file`, or `nil` when it has none
    /// or is not such a file.
    public init?(file: UnsafeRawBufferPointer) {
        self.file = file
        guard file.count >= 64, file[0] == 0x7F, file[1] == UInt8(ascii: "E"), file[2] == UInt8(ascii: "L"),
              file[3] == UInt8(ascii: "F"), file[4] == 2, file[5] == 1
        else { return nil }
        let sectionTable = Self.load(UInt64.self, file, at: 0x28)
        let sectionCount = Int(Self.load(UInt16.self, file, at: 0x3C))
        var found: (Range<Int>, Range<Int>)?
        for index in 0..<sectionCount {
            guard let header = Self.range(offset: sectionTable &+ UInt64(index * Self.sectionHeaderSize), size: UInt64(Self.sectionHeaderSize), in: file),
                  Self.load(UInt32.self, file, at: header.lowerBound + 4) == Self.sectionTypeSymbolTable
            else { continue }
            let link = Int(Self.load(UInt32.self, file, at: header.lowerBound + 40))
            guard let symbols = Self.range(offset: Self.load(UInt64.self, file, at: header.lowerBound + 24),
                                           size: Self.load(UInt64.self, file, at: header.lowerBound + 32), in: file),
                  link < sectionCount,
                  let stringHeader = Self.range(offset: sectionTable &+ UInt64(link * Self.sectionHeaderSize), size: UInt64(Self.sectionHeaderSize), in: file),
                  let strings = Self.range(offset: Self.load(UInt64.self, file, at: stringHeader.lowerBound + 24),
                                           size: Self.load(UInt64.self, file, at: stringHeader.lowerBound + 32), in: file)
            else { continue }
            found = (symbols, strings)
            break
        }
        guard let (symbols, strings) = found else { return nil }
        self.symbols = symbols
        self.strings = strings
    }

    /// The function that holds `address`: its (mangled) name and the offset of `address`
    /// in it, or `nil` when no function symbol covers it.
    public func function(containing address: UInt64) -> (name: String, offset: UInt64)? {
        var best: (nameOffset: Int, start: UInt64)?
        var symbol = symbols.lowerBound
        while symbol + Self.symbolSize <= symbols.upperBound {
            defer { symbol += Self.symbolSize }
            guard file[symbol + 4] & 0xF == Self.symbolTypeFunction else { continue }
            let start = Self.load(UInt64.self, file, at: symbol + 8)
            let size = Self.load(UInt64.self, file, at: symbol + 16)
            guard start <= address, address - start < max(size, 1) else { continue }
            if best == nil || start > best!.start { best = (Int(Self.load(UInt32.self, file, at: symbol)), start) }
        }
        guard let best, best.nameOffset < strings.count else { return nil }
        var end = strings.lowerBound + best.nameOffset
        while end < strings.upperBound && file[end] != 0 { end += 1 }
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: file[(strings.lowerBound + best.nameOffset)..<end]), as: UTF8.self)
        return (name, address - best.start)
    }

    private static func load<T: FixedWidthInteger>(_ type: T.Type, _ file: UnsafeRawBufferPointer, at offset: Int) -> T {
        guard offset >= 0, offset + MemoryLayout<T>.size <= file.count else { return 0 }
        return T(littleEndian: file.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    private static func range(offset: UInt64, size: UInt64, in file: UnsafeRawBufferPointer) -> Range<Int>? {
        let (end, overflow) = offset.addingReportingOverflow(size)
        guard !overflow, end <= UInt64(file.count) else { return nil }
        return Int(offset)..<Int(end)
    }
}
