import ApusCore
import KernelSupport

/// The running kernel: what boot sets up, in the order it must happen.
///
/// 1. Serial ports, so everything after can be reported.
/// 2. The kernel heap (16 MiB at the start of the lower-half kernel window, mapped by
///    boot.S), because every Swift object lives there.
/// 3. The CPU's tables: GDT with a TSS, and an IDT with a handler for every exception.
/// 4. Physical memory: the multiboot memory map hands the free RAM to a `FrameAllocator`.
/// 5. The kernel's own page table, built with ApusCore's `PageTable`: the direct map of RAM,
///    the kernel image and the heap in the kernel window; then CR3 switches to it and the
///    boot tables (with their identity map) are gone.
/// 6. SMEP and SMAP when the CPU has them.
/// 7. What the command line asks: the hardware checks, or a deliberate panic.
enum Kernel {
    /// The kernel's memory, set once by boot.
    nonisolated(unsafe) static var memory: KernelMemory!

    static func boot() {
        Serial.console.initialize()
        Serial.log.initialize()
        KernelHeap.initialize()
        let boot = Multiboot(magic: UInt32(truncatingIfNeeded: boot_multiboot_magic), infoAddress: boot_multiboot_info)
        CPUTables.install()
        memory = KernelMemory(boot: boot)
        let features = CPUFeatures.enableProtections()
        KernelSymbols.load(from: boot)

        let free = memory.frames.freeCount
        log("Apus \(memory.ramBytes >> 20) MiB RAM, \(free) free frames (\((free * 4) >> 10) MiB), heap \(KernelHeap.size >> 20) MiB at \(AddressSpaceLayout.kernelWindow.start)")
        log("cpu: \(features)")
        log("command line: \"\(boot.commandLine)\"")

        if boot.hasOption("panic-test") {
            log("panic-test: faulting on purpose")
            PanicTest.fault()
        }
        if boot.hasOption("checks") {
            let passed = HardwareChecks.runAll()
            PowerOff.exit(status: passed ? 0 : 1)
        }
        log("nothing to run; powering off")
        PowerOff.exit(status: 0)
    }
}

/// Writes one line to the kernel log (COM2).
func log(_ line: String) {
    Serial.log.write(line)
    Serial.log.write(byte: UInt8(ascii: "\n"))
}
