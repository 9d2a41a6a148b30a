import X86_64Support

/// What the boot loader tells the kernel (Multiboot Specification 0.6.96, §3.3): the memory
/// map, the command line and the modules, all at physical addresses below 4 GiB, read here
/// through the boot page tables' direct map.
struct Multiboot {
    static let bootloaderMagic: UInt32 = 0x2BAD_B002

    /// One entry of the memory map.
    struct MemoryRegion {
        var range: PhysicalRange
        /// Type 1: RAM the kernel may use.
        var isAvailable: Bool
    }

    /// A file the loader put in memory (QEMU's `-initrd a,b`).
    struct Module {
        var range: PhysicalRange
        var name: String
    }

    private(set) var memoryMap: [MemoryRegion] = []
    private(set) var modules: [Module] = []
    private(set) var commandLine = ""

    private static let flagCommandLine: UInt32 = 1 << 2
    private static let flagModules: UInt32 = 1 << 3
    private static let flagMemoryMap: UInt32 = 1 << 6

    init(magic: UInt32, infoAddress: UInt64) {
        guard magic == Self.bootloaderMagic else {
            fatalError("not started by a multiboot loader (magic \(hexadecimal(UInt64(magic))))")
        }
        let info = DirectMap.boot.pointer(to: PhysicalAddress(infoAddress))
        let flags = info.load(fromByteOffset: 0, as: UInt32.self)
        if flags & Self.flagCommandLine != 0 {
            commandLine = Self.string(at: info.load(fromByteOffset: 16, as: UInt32.self))
        }
        if flags & Self.flagModules != 0 {
            let count = Int(info.load(fromByteOffset: 20, as: UInt32.self))
            let table = DirectMap.boot.pointer(to: PhysicalAddress(UInt64(info.load(fromByteOffset: 24, as: UInt32.self))))
            for index in 0..<count {
                let entry = table + index * 16
                let start = PhysicalAddress(UInt64(entry.load(fromByteOffset: 0, as: UInt32.self)))
                let end = PhysicalAddress(UInt64(entry.load(fromByteOffset: 4, as: UInt32.self)))
                modules.append(Module(range: PhysicalRange(start: start, end: end), name: Self.string(at: entry.load(fromByteOffset: 8, as: UInt32.self))))
            }
        }
        if flags & Self.flagMemoryMap != 0 {
            let length = Int(info.load(fromByteOffset: 44, as: UInt32.self))
            let start = DirectMap.boot.pointer(to: PhysicalAddress(UInt64(info.load(fromByteOffset: 48, as: UInt32.self))))
            var offset = 0
            while offset < length {
                let entry = start + offset
                let size = Int(entry.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
                let base = entry.loadUnaligned(fromByteOffset: 4, as: UInt64.self)
                let bytes = entry.loadUnaligned(fromByteOffset: 12, as: UInt64.self)
                let type = entry.loadUnaligned(fromByteOffset: 20, as: UInt32.self)
                memoryMap.append(MemoryRegion(range: PhysicalRange(start: PhysicalAddress(base), end: PhysicalAddress(base + bytes)), isAvailable: type == 1))
                offset += size + 4
            }
        }
    }

    /// True when the command line holds `option` as a whole word. (Compared as bytes: the
    /// kernel links no Unicode tables.)
    func hasOption(_ option: StaticString) -> Bool {
        let wanted = option.withUTF8Buffer { Array($0) }
        return Array(commandLine.utf8).split(separator: UInt8(ascii: " ")).contains { $0.elementsEqual(wanted) }
    }

    /// The bytes after `name=` on the command line (`pager=lazy`), if the option is there.
    func option(_ name: StaticString) -> [UInt8]? {
        let prefix = name.withUTF8Buffer { Array($0) } + [UInt8(ascii: "=")]
        for word in Array(commandLine.utf8).split(separator: UInt8(ascii: " ")) where word.starts(with: prefix) {
            return Array(word.dropFirst(prefix.count))
        }
        return nil
    }

    /// The number after `name=` on the command line (`repeat=24`), if there is one.
    func numericOption(_ name: StaticString) -> Int? {
        guard let digits = option(name) else { return nil }
        var value = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9"), value < 1_000_000 else { return nil }
            value = value * 10 + Int(digit - UInt8(ascii: "0"))
        }
        return value
    }

    /// The module whose command line ends with `name` (QEMU: `-initrd "FILE NAME"`), as a
    /// buffer in the direct map.
    func module(named name: StaticString) -> UnsafeMutableRawBufferPointer? {
        let suffix = name.withUTF8Buffer { Array($0) }
        guard let module = modules.first(where: { Array($0.name.utf8).suffix(suffix.count).elementsEqual(suffix) }) else { return nil }
        return UnsafeMutableRawBufferPointer(start: DirectMap.boot.pointer(to: module.range.start), count: Int(module.range.length))
    }

    private static func string(at physical: UInt32) -> String {
        guard physical != 0 else { return "" }
        let start = DirectMap.boot.pointer(to: PhysicalAddress(UInt64(physical))).assumingMemoryBound(to: UInt8.self)
        var length = 0
        while start[length] != 0 && length < 4096 { length += 1 }
        return String(decoding: UnsafeBufferPointer(start: start, count: length), as: UTF8.self)
    }
}
