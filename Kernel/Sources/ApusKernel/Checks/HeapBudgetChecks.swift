/// Checks, in the booted kernel, that the kernel's own objects are no larger than ApusCore's
/// `HeapBudget` says (the host tests check the core's objects; these are the kernel's): what
/// a thread and a process cost the heap, measured by the heap itself.
enum HeapBudgetChecks {
    static func runAll() -> Bool {
        HardwareChecks.run("heap-budget-thread", threadCost) && HardwareChecks.run("heap-budget-process", processCost)
    }

    /// The bytes the heap hands out while `body` runs and what it makes still lives.
    static func measure<Made>(_ body: () -> Made) -> (Made, bytes: Int) {
        let before = KernelHeap.allocator!.bytesInUse
        let made = body()
        return (made, KernelHeap.allocator!.bytesInUse - before)
    }

    /// A thread's control block, its saved stack pointer and its FPU state (its stack is
    /// one of KernelStacks', taken at boot).
    static func threadCost() -> String? {
        let (thread, bytes) = measure { ThreadControlBlock(number: 0, work: {}) }
        let budget = HeapBudget.blockBytes(HeapBudget.threadControlBlockBytes) + HeapBudget.blockBytes(MemoryLayout<UInt64>.size)
            + HeapBudget.blockBytes(HeapBudget.fpuStateBytes)
        _ = thread
        log("heap: a thread takes \(bytes) bytes besides its stack; its row says \(budget)")
        return bytes <= budget ? nil : "a thread takes \(bytes) bytes, its row says \(budget)"
    }

    /// A process's control block, the process inside it included (what the process itself
    /// allocates, its files and thread statuses, has rows of its own).
    static func processCost() -> String? {
        // A small file system on a disk in memory: the process needs one to start in.
        let disk = MemoryBlockDevice(blockCount: 256)
        do throws(KernelError) {
            try FileSystemImage.make(on: disk, geometry: FileSystemGeometry(blockCount: 256, inodeCount: 32, hasJournal: false),
                                     frames: Kernel.memory.frames)
            guard let fileSystem = try? FileSystem.mount(disk, frames: Kernel.memory.frames) else { return "the check's file system does not mount" }
            defer { try? fileSystem.unmount() }
            let mm = try MmStruct(frames: Kernel.memory.frames, pager: PagingPolicy.lazy, kernelTemplate: Kernel.memory.pageTable.root)
            let core = UserProcess(mm: mm, fileSystem: fileSystem, console: BootConsole(input: UnsafeRawBufferPointer(start: nil, count: 0)))
            let before = KernelHeap.allocator!.bytesInUse
            let process = ProcessControlBlock(id: 1, parentID: 0, core: core)
            let bytes = KernelHeap.allocator!.bytesInUse - before
            _ = process
            let budget = HeapBudget.blockBytes(HeapBudget.processControlBlockBytes)
            log("heap: a process's control block takes \(bytes) bytes; its row says \(budget)")
            return bytes <= budget ? nil : "a process's control block takes \(bytes) bytes, its row says \(budget)"
        } catch {
            return "no memory for a process: \(error)"
        }
    }
}
