import X86_64Support

/// The running kernel: what boot sets up, in the order it must happen.
///
/// 1. Serial ports, so everything after can be reported.
/// 2. The kernel heap (48 MiB at the start of the lower-half kernel window, on free frames
///    after the boot modules, mapped by boot.S), because every Swift object lives there.
/// 3. The firmware's MADT (the CPUs and interrupt controllers), read while the boot page
///    tables still map the firmware's memory; the 8259s are masked for good.
/// 4. Physical memory: the multiboot memory map hands the free RAM to a `FrameAllocator`.
/// 5. The kernel's own page table, built with ApusCore's `PageTable`: the direct map of RAM,
///    the kernel image and the heap in the kernel window, and the interrupt controllers'
///    registers uncached; then CR3 switches to it and the boot tables (with their identity
///    map) are left to the application processors' start.
/// 6. The bootstrap processor's tables (GDT with its TSS, IDT, `syscall`), its local APIC
///    and timer (measured against the PIT), SMEP and SMAP; the kernel lock.
/// 7. The other CPUs (`cpus=N` on the command line: at most N in all), each started and
///    online before the next (ApplicationProcessors.swift); the I/O APICs, every line masked.
/// 8. The disk, if the machine has one (a virtio block device on the PCI bus), its
///    interrupt line routed through the I/O APIC.
/// 9. What the command line asks: the hardware checks, or a deliberate panic, or a run.
enum Kernel {
    /// The kernel's memory, set once by boot.
    nonisolated(unsafe) static var memory: KernelMemory!
    /// The kernel's one scheduler: every thread, of every process and of the kernel's own.
    nonisolated(unsafe) static var scheduler: KernelScheduler!
    /// The firmware's description of the CPUs and interrupt controllers, if it has one.
    nonisolated(unsafe) static var madt: MADT?

    /// The MSR that holds the local APIC's physical address (bits 12 and up).
    static let apicBaseMSR: UInt32 = 0x1B

    static func boot() {
        Serial.console.initialize()
        Serial.log.initialize()
        Serial.errors.initialize()
        KernelHeap.initialize()
        let boot = Multiboot(magic: UInt32(truncatingIfNeeded: boot_multiboot_magic), infoAddress: boot_multiboot_info)
        madt = Firmware.findMADT()
        CPUTables.silenceLegacyInterruptControllers()
        memory = KernelMemory(boot: boot)
        LocalAPIC.base = DirectMap.offset + (rdmsr(apicBaseMSR) & PageTableEntry.frameMask)
        memory.mapDeviceRegisters(at: PhysicalAddress(LocalAPIC.base - DirectMap.offset))
        for ioAPIC in madt?.ioAPICs ?? [] { memory.mapDeviceRegisters(at: ioAPIC.address) }
        CPU.all = makeCPUs(wanted: boot.numericOption("cpus"))
        let bootstrap = CPU.bootstrap
        CPUTables.install(on: bootstrap)
        LocalAPIC.enable()
        Timer.calibrate()
        let features = CPUFeatures.enableProtections()
        KernelSymbols.load(from: boot)
        scheduler = KernelScheduler(policy: PerCPURunQueues(cpuCount: CPU.all.count, threadLimit: KernelStacks.count),
                                    threadLimit: KernelStacks.count)
        KernelLock.enter()
        bootstrap.markStarted()
        bootstrap.isOnline = true
        if let madt { DeviceInterrupts.initialize(madt) }

        let free = memory.frames.freeCount
        log("Apus \(memory.ramBytes >> 20) MiB RAM, \(free) free frames (\((free * 4) >> 10) MiB), heap \(KernelHeap.size >> 20) MiB at \(AddressSpaceLayout.kernelWindow.start)")
        log("cpu: \(features)")
        log("cpu 0: local APIC id \(bootstrap.apicID), the bootstrap processor; timer \(Timer.ticksPerQuantum) ticks per \(Timer.quantumMilliseconds) ms slice, TSC \(Timer.tscPerMillisecond / 1000) MHz")
        let started = ApplicationProcessors.startAll()
        scheduler.setOnline([bootstrap] + started)
        Timer.start()
        log("cpus: \(1 + started.count) running\(madt == nil ? " (no MADT: one CPU)" : "")")
        RunReport.booted(ramMiB: memory.ramBytes >> 20, freeFrames: free, cpus: 1 + started.count)
        log("command line: \"\(LogText.escaped(boot.commandLine.utf8))\"")
        disk = VirtioBlockDevice.attach()

        if boot.hasOption("panic-test") {
            log("panic-test: faulting on purpose")
            PanicTest.fault()
        }
        if boot.hasOption("heap-exhaustion-test") {
            log("heap-exhaustion-test: allocating until the heap is gone")
            HeapExhaustionTest.run()
        }
        if boot.hasOption("run") {
            runProgram(boot)
        }
        if boot.hasOption("checks") {
            let passed = HardwareChecks.runAll(scratchDiskBlocks: boot.numericOption("scratch-disk"))
            PowerOff.exit(status: passed ? 0 : 1)
        }
        log("nothing to run; powering off")
        PowerOff.exit(status: 0)
    }

    /// The CPUs to run: the bootstrap processor (this one), then the MADT's other usable
    /// CPUs, `wanted` in all at most (all of them without `cpus=`), and never more than
    /// `CPUSet.kernelLimit`.
    static func makeCPUs(wanted: Int?) -> [CPU] {
        let bootstrapID = LocalAPIC.id
        var cpus = [CPU(bootstrapWithAPICID: bootstrapID)]
        let limit = min(wanted.map { max($0, 1) } ?? CPUSet.kernelLimit, CPUSet.kernelLimit)
        for processor in madt?.usableProcessors ?? [] where processor.apicID != bootstrapID && cpus.count < limit {
            cpus.append(CPU(index: CPUIndex(cpus.count), apicID: processor.apicID))
        }
        return cpus
    }
}

extension Kernel {
    /// Exit status of the kernel when the program could not be started.
    static let statusCannotRun: UInt32 = 3

    /// Runs the program the `argv` boot module names (its file name then its arguments,
    /// NUL-terminated each) from the disk's file system, with `stdin` as its input (or, with
    /// `input=stream`, the input ring brings it while the program runs). The disk is mounted
    /// first (RootVolume.swift: a damaged image or no disk and the run cannot start), synced
    /// at the end of every run, and unmounted before the power goes. With `repeat=N` on the
    /// command line it runs N times, one after the other; with `pager=eager` its memory is
    /// filled eagerly (lazily by default). Reports each run's end and the frames in use before
    /// the mount and after the unmount (`RunReport`: a log line for people, a status record
    /// for the host), then powers off.
    static func runProgram(_ boot: Multiboot) -> Never {
        guard let argv = boot.module(named: "argv") else {
            RunReport.cannotRun("the argv module is missing")
            PowerOff.exit(status: statusCannotRun)
        }
        let name: [UInt8], words: [[UInt8]]
        do throws(LaunchFailure) {
            (name, words) = try ProgramLaunch.command(from: UnsafeRawBufferPointer(argv))
        } catch {
            RunReport.commandRefused(error)
            PowerOff.exit(status: statusCannotRun)
        }
        let framesBefore = memory.frames.usedCount
        let stacksBefore = ThreadControlBlock.liveCount
        guard let fileSystem = RootVolume.mount(boot) else { PowerOff.exit(status: statusCannotRun) }
        // Held for the runs: a program that unlinks its own file still loads again.
        var program: InodeHandle<DirectMap>?
        do throws(KernelError) {
            let found = try InodeHandle.open(name, from: FileSystem<DirectMap>.rootInode, in: fileSystem)
            guard found.type == .regular else { throw .isDirectory }
            program = found
        } catch {
            RunReport.couldNotStart(name, run: 0, because: error == .ioError ? .unreadable : .noSuchFile)
            RootVolume.unmount()
            PowerOff.exit(status: statusCannotRun)
        }
        let programName = LogText.escaped(name)
        let input = boot.module(named: "stdin").map(UnsafeRawBufferPointer.init) ?? UnsafeRawBufferPointer(start: nil, count: 0)
        // `input=stream`: standard input arrives through the input ring while the program
        // runs (every run of a `repeat` reads on where the one before stopped).
        let streamsInput = boot.option("input").map { $0.elementsEqual("stream".utf8) } ?? false
        if streamsInput { RunReport.inputRing() }
        MemoryMapReport.enabled = boot.hasOption("memory-map")
        SyscallTracing.configure(asked: boot.hasOption("trace"))
        Serial.errorsJoinOutput = boot.option("output").map { $0.elementsEqual("merged".utf8) } ?? false
        LinuxPersonality.configure(boot)
        let runs = max(boot.numericOption("repeat") ?? 1, 1)
        let pager = boot.option("pager").flatMap { PagingPolicy(name: $0) } ?? .lazy
        log("running \(programName) (inode \(program!.inode)) with \(words.count) arguments\(runs > 1 ? ", \(runs) times" : ""), \(pager.name) pager; \(framesBefore) frames in use before the mount")
        KernelHeap.checkBudget()
        RunReport.startMeasuring()
        for index in 0..<runs {
            MemoryMapReport.run = index
            let run = ProcessRun()
            let console: any Console
            if streamsInput {
                StreamedConsole.current = StreamedConsole()
                console = StreamedConsole.current!
            } else {
                console = BootConsole(input: input)
            }
            if let failure = run.start(program!, path: name.first == UInt8(ascii: "/") ? name : [UInt8(ascii: "/")] + name, arguments: words, pager: pager, fileSystem: fileSystem, console: console) {
                RunReport.couldNotStart(name, run: index, failure)
                RootVolume.unmount()
                PowerOff.exit(status: statusCannotRun)
            }
            if let console = StreamedConsole.current { run.watch(console) }
            if let disk { run.watch(disk) }
            ProcessRun.current = run
            KernelHeap.allocator!.resetPeak()
            let status = run.run()
            KernelHeap.logPeak()
            ProcessRun.current = nil
            StreamedConsole.current?.takesInterrupts = false
            StreamedConsole.current?.forgetTerminalModes()
            StreamedConsole.current = nil
            RootVolume.sync(afterRun: index)
            RunReport.exited(run: index, status: status)
        }
        program = nil
        RootVolume.unmount()
        let framesAfter = memory.frames.usedCount
        RunReport.kernelLock()
        RunReport.kernelStacks(before: stacksBefore, after: ThreadControlBlock.liveCount)
        RunReport.frames(before: framesBefore, after: framesAfter)
        PowerOff.exit(status: 0)
    }
}
