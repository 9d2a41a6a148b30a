/// The kernel's own symbol table, for naming addresses in panics. `apus` passes the kernel's
/// ELF file as the boot module named `kernel-symbols`; without it, addresses stay bare.
enum KernelSymbols {
    static let moduleName: StaticString = "kernel-symbols"
    nonisolated(unsafe) static var table: ELFSymbolTable?

    static func load(from boot: Multiboot) {
        guard let file = boot.module(named: moduleName) else { return }
        table = ELFSymbolTable(file: UnsafeRawBufferPointer(file))
    }

    /// `<symbol+0xoffset>` for a kernel address, or `<?>` when it cannot be named; `adding`
    /// is added to the offset shown.
    static func describe(_ address: UInt64, adding extra: UInt64 = 0) -> String {
        guard let (name, offset) = table?.function(containing: address) else { return "<?>" }
        return "<\(name)+\(hexadecimal(offset + extra))>"
    }
}
