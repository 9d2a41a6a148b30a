import X86_64Support

/// Starting the other CPUs, the *application processors* (APs), the way Intel's
/// multiprocessor start-up does (Intel SDM Vol. 3A §9.4.4):
///
/// 1. The trampoline (ap_trampoline.S) is copied to page ``trampolinePage`` below 1 MiB,
///    where an AP can start in real mode, with its parameters: the boot page table (which
///    maps that page 1:1 and the kernel where it is linked), the AP's boot stack and its own
///    data (`apus_cpu_local`).
/// 2. INIT, a 10 ms wait, then STARTUP twice 200 µs apart, to the AP's local APIC id. The
///    AP runs the trampoline into long mode and sets the parameters' `started` flag.
/// 3. In Swift (``apus_ap_main``), the AP loads the kernel's page table, its GDT with its
///    TSS, the IDT, the `syscall` MSRs, SMEP and SMAP, turns its local APIC on and starts
///    its timer, says it is online, and takes the kernel lock to run threads.
///
/// The bootstrap processor waits for each AP to say it is online (or gives up after
/// ``startTimeoutMilliseconds`` and goes on without it) before it starts the next, since
/// all share the trampoline's page. It holds the kernel lock meanwhile: the APs take it once
/// it idles.
enum ApplicationProcessors {
    /// The page the trampoline runs at: STARTUP's vector is its number (0x8000 = page 8),
    /// conventional memory below the kernel that nothing else uses.
    static let trampolinePage: UInt8 = 8
    static let startTimeoutMilliseconds: UInt64 = 200

    /// Starts every CPU of `CPU.all` but the bootstrap processor; returns the ones that came
    /// online.
    static func startAll() -> [CPU] {
        let others = CPU.all.dropFirst()
        guard !others.isEmpty else { return [] }
        let base = UInt64(trampolinePage) << 12
        let code = DirectMap.boot.pointer(to: PhysicalAddress(base))
        code.copyMemory(from: ap_trampoline_code(), byteCount: Int(ap_trampoline_size()))
        let parameters = (code + Int(ap_trampoline_parameters_offset())).assumingMemoryBound(to: apus_ap_start.self)
        var started: [CPU] = []
        for cpu in others {
            parameters.pointee.cr3 = UInt32(boot_page_table_root())
            parameters.pointee.stack_top = cpu.bootStackTop
            parameters.pointee.cpu_local = UInt64(UInt(bitPattern: cpu.local))
            parameters.pointee.started = 0
            LocalAPIC.sendInit(to: cpu.apicID)
            Timer.delay(microseconds: 10_000)
            for _ in 0..<2 {
                LocalAPIC.sendStartup(to: cpu.apicID, page: trampolinePage)
                Timer.delay(microseconds: 200)
            }
            let deadline = read_tsc() + Timer.tscPerMillisecond * startTimeoutMilliseconds
            while !cpu.hasStarted, read_tsc() < deadline { cpu_pause() }
            if cpu.hasStarted {
                started.append(cpu)
                log("cpu \(cpu.index): local APIC id \(cpu.apicID), started")
            } else {
                log("cpu \(cpu.index): local APIC id \(cpu.apicID) did not start within \(startTimeoutMilliseconds) ms; going on without it")
            }
        }
        return started
    }
}

/// ap_trampoline.S: an application processor in long mode, on its boot stack, GS its own
/// data (which its CPU object already knows: `CPU.all` is complete before any AP starts).
@_cdecl("apus_ap_main")
public func apusAPMain() {
    let cpu = CPU.this
    write_cr3(Kernel.memory.pageTable.root.raw)
    CPUTables.install(on: cpu)
    _ = CPUFeatures.enableProtections()
    wrmsr(0xC000_0102, 0) // KERNEL_GS_BASE: the programs' GS base, 0
    LocalAPIC.enable()
    Timer.start()
    cpu.isIdle = true
    cpu.isOnline = true
    cpu.markStarted()
    let scheduler = Kernel.scheduler!
    while true {
        scheduler.waitForWork()
        scheduler.runReadyThreads()
        cpu.isIdle = true
        KernelLock.leave()
    }
}
