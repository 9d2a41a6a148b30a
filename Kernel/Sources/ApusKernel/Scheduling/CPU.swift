import Synchronization
import X86_64Support

/// One CPU as the kernel keeps it: its number and local APIC id, its own data reached
/// through GS (`apus_cpu_local`: its kernel stack for `syscall`, its exit flag, its TLB
/// shootdown mailbox), its TSS, and what the scheduler knows of it: the thread it runs, the
/// stack of its idle context, the thread that ended on it and waits to be freed, and the
/// address space it has loaded.
///
/// Every CPU is made before any application processor starts (``all`` never changes
/// after), and the code of a CPU finds its own through GS (``this``).
final class CPU {
    let index: CPUIndex
    let apicID: UInt32
    /// Its own data, which the assembly reaches through GS.
    let local: UnsafeMutablePointer<apus_cpu_local>
    /// Its task-state segment (CPUTables.swift).
    let tss: UnsafeMutableRawPointer
    /// The top of the stack it boots on, which becomes its idle context.
    let bootStackTop: UInt64

    /// The thread running on it; `nil` in its idle context. Owned by the kernel lock.
    var current: ThreadControlBlock?
    /// Where the idle context's stack pointer is saved while a thread runs.
    let idleStackPointer = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
    /// A thread that ended on this CPU: freed once the CPU has switched away from its stack.
    var ended: ThreadControlBlock?
    /// The root of the page table in its CR3: a TLB shootdown for that address space must
    /// reach it. Written only by the CPU itself, with the kernel lock held.
    var loadedRoot: UInt64 = 0
    /// Whether it idles (halted until an interrupt): a thread put on its queue needs an IPI.
    var isIdle = false
    /// Whether it takes threads (set with the kernel lock held).
    var isOnline = false
    /// Set by the CPU itself once it runs the kernel (an application processor, before it
    /// waits for the kernel lock, which the bootstrap processor holds while it starts it).
    private let started = Atomic<Bool>(false)
    var hasStarted: Bool { started.load(ordering: .acquiring) }
    func markStarted() { started.store(true, ordering: .releasing) }
    let statistics = Statistics()

    /// What a CPU counts about itself.
    final class Statistics {
        /// Times it took the kernel lock, and the TSC ticks it spun for it.
        var lockAcquisitions: UInt64 = 0
        var lockWaitTicks: UInt64 = 0
        /// Threads it switched to.
        var switches: UInt64 = 0
        /// Timer ticks it took.
        var ticks: UInt64 = 0
    }

    /// The bootstrap processor, whose data boot.S set up in the image (`apus_boot_cpu_local`).
    init(bootstrapWithAPICID apicID: UInt32) {
        index = .bootstrap
        self.apicID = apicID
        local = withUnsafeMutablePointer(to: &apus_boot_cpu_local) { $0 }
        bootStackTop = 0
        tss = CPUTables.makeTSS(kernelStackTop: Self.newStack())
    }

    /// Application processor `index` with local APIC id `apicID`: its data and a boot
    /// stack of its own.
    init(index: CPUIndex, apicID: UInt32) {
        self.index = index
        self.apicID = apicID
        local = UnsafeMutablePointer<apus_cpu_local>.allocate(capacity: 1)
        UnsafeMutableRawPointer(local).initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<apus_cpu_local>.size)
        local.pointee.index = UInt64(index.value)
        local.pointee.`self` = local
        bootStackTop = Self.newStack()
        tss = CPUTables.makeTSS(kernelStackTop: Self.newStack())
    }

    /// A kernel stack for traps before the first thread runs, or for booting (ApusCore's
    /// `HeapBudget` counts two per CPU).
    private static func newStack() -> UInt64 {
        let size = HeapBudget.cpuStackBytes
        return UInt64(UInt(bitPattern: UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16))) + UInt64(size)
    }

    /// Every CPU the kernel runs, by index.
    nonisolated(unsafe) static var all: [CPU] = []

    /// The CPU running this code.
    static var this: CPU { all[Int(cpu_local_index())] }
    /// Its index (readable before ``all`` exists: GS is set from the first instruction).
    static var thisIndex: CPUIndex { CPUIndex(Int(cpu_local_index())) }
    static var bootstrap: CPU { all[0] }
    /// The CPUs that have started.
    static var online: [CPU] { all.filter { $0.isOnline } }
}
