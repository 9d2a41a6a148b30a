import ApusCore

/// The kernel's own symbol table, for naming addresses in panics. `apus` passes the kernel's
/// ELF file as the boot module named `kernel-symbols`; without it, addresses stay bare.
enum KernelSymbols {
    static let moduleName: StaticString = "kernel-symbols"
    nonisolated(unsafe) static var table: ELFSymbolTable?

    static func load(from boot: Multiboot) {
        let suffix = moduleName.withUTF8Buffer { Array($0) }
        guard let module = boot.modules.first(where: { Array($0.name.utf8).suffix(suffix.count).elementsEqual(suffix) }) else { return }
        let file = UnsafeRawBufferPointer(start: DirectMap.boot.pointer(to: module.range.start), count: Int(module.range.length))
        table = ELFSymbolTable(file: file)
    }

    /// `<symbol+0xoffset>` for a kernel address, or `<?>` when it cannot be named; `adding`
    /// is added to the offset shown.
    static func describe(_ address: UInt64, adding extra: UInt64 = 0) -> String {
        guard let (name, offset) = table?.function(containing: address) else { return "<?>" }
        return "<\(name)+\(hexadecimal(offset + extra))>"
    }
}
