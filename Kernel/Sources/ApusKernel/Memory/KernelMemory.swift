import X86_64Support

/// The kernel's physical memory and its own address space.
///
/// The frame allocator gets the largest RAM region of the memory map, minus what is already
/// taken below its start: the kernel image, the boot modules and the heap frames after them
/// (heap_frames.S). The
/// kernel page table maps, all supervisor-only:
/// * every RAM region at the direct map (read-write, not executable);
/// * the kernel image at `AddressSpaceLayout.kernelImageBase + p`: text read-execute,
///   read-only data read-only, data and bss read-write;
/// * the kernel window onto the heap frames (read-write, not executable).
/// Nothing is mapped in the user half but the kernel window, so every process's page table
/// can share the kernel's slots (ApusCore's `PageTable(frames:sharingKernelSlotsOf:)`).
final class KernelMemory {

    /// Every frame of RAM: owned by the kernel lock (``LockMap``), like every page table.
    let frames: FrameAllocator<DirectMap>
    private(set) var pageTable: PageTable<DirectMap>
    /// Bytes of RAM the memory map reports as available.
    let ramBytes: UInt64

    init(boot: Multiboot) {
        let (ram, best) = Self.freeRAM(boot)
        ramBytes = ram
        frames = FrameAllocator(memory: DirectMap.boot, range: best)

        do throws(KernelError) {
            pageTable = try PageTable(frames: frames)
        } catch {
            fatalError("no frame for the kernel's page table")
        }
        do throws(PageTableError) {
            try Self.mapKernel(into: &pageTable, memoryMap: boot.memoryMap)
        } catch {
            fatalError("cannot build the kernel page table: \(error)")
        }
        write_cr3(pageTable.root.raw)
    }

    /// The RAM the memory map reports, and the largest free range of it above the kernel,
    /// its heap and the boot modules; or, when the modules do not fit or leave too little,
    /// the reason in the kernel log and power-off.
    private static func freeRAM(_ boot: Multiboot) -> (ram: UInt64, free: PhysicalRange) {
        var ram: UInt64 = 0
        for region in boot.memoryMap where region.isAvailable { ram += region.range.length }
        // The loader puts the modules after the kernel whether or not RAM goes
        // that far; one that does not fit would be read as garbage, so check before any use.
        for module in boot.modules where !boot.memoryMap.contains(where: { $0.isAvailable && $0.range.contains(module.range) }) {
            cannotStart("the boot module \(role(of: module)) (\(module.range.length >> 10) KiB at \(module.range.start)) does not fit in RAM",
                        ram: ram, modules: boot.modules)
        }
        // The heap's frames follow the modules (heap_frames.S); only modules too large for
        // the machine leave it nowhere but on top of them.
        let heapStart = KernelHeap.physicalStart, heapEnd = PhysicalAddress(heap_physical_end())
        for module in boot.modules where module.range.start < heapEnd && heapStart < module.range.end {
            cannotStart("the boot module \(role(of: module)) (\(module.range.length >> 10) KiB at \(module.range.start)) leaves no room for the kernel heap (\(KernelHeap.size >> 20) MiB) after it",
                        ram: ram, modules: boot.modules)
        }
        var reservedEnd = heapEnd
        for module in boot.modules where module.range.end > reservedEnd { reservedEnd = module.range.end }
        reservedEnd = PhysicalAddress(PageGeometry.roundUp(reservedEnd.raw)!)

        var best: PhysicalRange?
        for region in boot.memoryMap where region.isAvailable {
            let start = max(region.range.start, reservedEnd)
            let end = PhysicalAddress(min(region.range.end.raw, 1 << 32) & ~PageGeometry.offsetMask)
            guard start < end else { continue }
            let usable = PhysicalRange(start: PhysicalAddress(PageGeometry.roundUp(start.raw)!), end: end)
            if usable.length > (best?.length ?? 0) { best = usable }
        }
        guard let best, best.length >= minimumFreeBytes else {
            cannotStart("the boot modules leave \((best?.length ?? 0) >> 20) MiB of RAM free; Apus needs at least \(minimumFreeBytes >> 20) MiB",
                        ram: ram, modules: boot.modules)
        }
        return (ram, best)
    }

    /// The least free RAM Apus starts with: room for its own page tables (the direct map of
    /// RAM), a process's tables, stack and program.
    static let minimumFreeBytes: UInt64 = 16 << 20

    /// Says why the kernel cannot start (the boot modules do not fit, or leave too little
    /// RAM), lists the modules, and powers off with the status of a run that could not start.
    private static func cannotStart(_ reason: String, ram: UInt64, modules: [Multiboot.Module]) -> Never {
        log("cannot start: \(reason)")
        log("  the machine has \(ram >> 20) MiB of RAM; the boot modules:")
        for module in modules { log("  \(role(of: module)): \(module.range.length >> 10) KiB") }
        log("give the program less input (standard input, files added to the root file system) or the machine more memory")
        PowerOff.exit(status: Kernel.statusCannotRun)
    }

    /// A module's role: the last word of its command line (`-initrd "FILE ROLE"`).
    private static func role(of module: Multiboot.Module) -> String {
        module.name.utf8.split(separator: UInt8(ascii: " ")).last.map { String(decoding: $0, as: UTF8.self) } ?? "?"
    }

    private static func mapKernel(into table: inout PageTable<DirectMap>, memoryMap: [Multiboot.MemoryRegion]) throws(PageTableError) {
        let data: Permission = [.read, .write]
        for region in memoryMap where region.isAvailable {
            let start = region.range.start.raw & ~PageGeometry.offsetMask
            let end = min(PageGeometry.roundUp(region.range.end.raw)!, 1 << 32)
            for frame in stride(from: start, to: end, by: Int(PageGeometry.pageSize)) {
                try table.mapUnowned(VirtualAddress(DirectMap.offset + frame), to: PhysicalAddress(frame), permission: data)
            }
        }
        let sections: [(UInt64, UInt64, Permission)] = [
            (text_start(), text_end(), [.read, .executable]),
            (text_end(), rodata_end(), .read),
            (rodata_end(), image_end(), data),
        ]
        for (start, end, permission) in sections {
            for page in stride(from: start, to: end, by: Int(PageGeometry.pageSize)) {
                try table.mapUnowned(VirtualAddress(page), to: PhysicalAddress(page - AddressSpaceLayout.kernelImageBase.raw), permission: permission)
            }
        }
        let heapStart = KernelHeap.physicalStart.raw
        for offset in stride(from: 0, to: UInt64(KernelHeap.size), by: Int(PageGeometry.pageSize)) {
            try table.mapUnowned(VirtualAddress(AddressSpaceLayout.kernelWindow.start.raw + offset), to: PhysicalAddress(heapStart + offset), permission: data)
        }
    }

    /// Maps the page of device registers at `physical` (a local APIC's, an I/O APIC's) at
    /// its place in the direct map, uncached (PCD and PWT: Intel SDM Vol. 3A §11.12), unless
    /// it is mapped already (RAM's direct map never covers device memory).
    func mapDeviceRegisters(at physical: PhysicalAddress) {
        let page = VirtualAddress(DirectMap.offset + (physical.raw & ~PageGeometry.offsetMask))
        guard (try? pageTable.walk(page)) == nil else { return }
        do throws(PageTableError) {
            try pageTable.mapUnowned(page, to: PhysicalAddress(physical.raw & ~PageGeometry.offsetMask), permission: [.read, .write])
            try pageTable.updateLeaf(at: page) { PageTableEntry(raw: $0.raw | PageTableEntry.Flags([.cacheDisabled, .writeThrough]).rawValue) }
        } catch {
            fatalError("cannot map the device registers at \(physical): \(error)")
        }
    }

    /// A new address space that shares the kernel's slots.
    func newPageTable() throws(KernelError) -> PageTable<DirectMap> {
        try PageTable(frames: frames, sharingKernelSlotsOf: pageTable.root)
    }
}
