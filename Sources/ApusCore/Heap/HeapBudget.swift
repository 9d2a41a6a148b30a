/// The kernel heap's budget: everything the heap must be able to hold at once, item by item,
/// with each item's worst case in bytes. It is the proof that no program can exhaust the heap.
///
/// The heap has a fixed size (48 MiB) and every Swift object of the kernel lives on it. A
/// program makes the kernel keep things there: a node per region, an open file per
/// descriptor, a buffer per pipe, a control block per thread. Each kind is bounded by a limit
/// (``ResourceBudget``, ``ProcessTable``, ``FileTable/limit``, ``ThreadGroup/memberLimit``),
/// and a request past it fails with the documented error and changes nothing. This table
/// turns each limit into bytes, as the heap counts them (a small block rounds up to its power
/// of two, anything larger to whole pages: ``blockBytes(_:)``), and adds them up:
///
/// * ``bootRows``: what the kernel makes before any program runs (its kernel stacks, its CPUs, the
///   root file system's objects, its own bookkeeping);
/// * ``runRows``: what the programs of a run can make it keep, each kind at its worst at
///   the same time, plus what one operation needs while it runs.
///
/// The host test checks the sum against the heap's size with the boot rows at their worst;
/// the kernel checks, where it starts, that the room its boot left holds every run row
/// (``HeapAllocator/pagesBetweenFronts``). Why the sum is enough, whatever order the blocks
/// come and go in, is the allocator's part (``HeapAllocator``): every block a run makes is a
/// page or less, so no free page is ever too small.
///
/// **Adding a subsystem**: one ``Row`` in ``runRows`` (or ``bootRows``) whose count comes
/// from the subsystem's own limit and whose blocks are what each item allocates. The tests
/// and the kernel's check then cover it; if the sum no longer fits, they say so.
public struct HeapBudget {
    /// One kind of thing the heap holds: how many at most, and the blocks each takes.
    public struct Row {
        /// What it is, for the kernel log and the tests.
        public let name: StaticString
        /// How many at most at once.
        public let count: Int
        /// The bytes each item asks the heap for, block by block (before rounding).
        public let blocks: [Int]

        public init(_ name: StaticString, count: Int, blocks: [Int]) {
            self.name = name
            self.count = count
            self.blocks = blocks
        }

        /// The heap bytes of all of them at once, each block rounded as the heap rounds it.
        public var worstCaseBytes: Int {
            count * blocks.reduce(0) { $0 + HeapBudget.blockBytes($1) }
        }
    }

    // MARK: - Sizes the table relies on

    /// The header of a Swift array's storage (its object header, count and capacity).
    public static let arrayHeaderBytes = 32
    /// An open file (``OpenFile``), at most.
    public static let openFileBytes = 64
    /// A handle of an inode (``InodeHandle``), at most.
    public static let inodeHandleBytes = 64
    /// A mounted file system's own objects (the file system, its metadata store, its caches'
    /// objects, its journal) besides the rows below, at most.
    public static let fileSystemBytes = 16 * 1024
    /// A directory's index (``DirectoryIndex``) without its nodes, at most.
    public static let directoryIndexBytes = 64
    /// A pipe (``PipeBuffer``) without its buffer, at most.
    public static let pipeBytes = 128
    /// A condition variable (``ConditionVariable``), at most.
    public static let conditionVariableBytes = 64
    /// A wait queue (``WaitQueue``) without its waiters, at most.
    public static let waitQueueBytes = 64
    /// A kernel thread's control block, at most (the kernel's boot checks measure it).
    public static let threadControlBlockBytes = 256
    /// A process's control block, with the process it holds, at most (the kernel's boot
    /// checks measure it).
    public static let processControlBlockBytes = 768
    /// A thread's kernel stack: its traps, its system calls, the kernel's Swift frames.
    public static let kernelStackBytes = 64 * 1024
    /// The FXSAVE area of a thread's FPU and SSE registers.
    public static let fpuStateBytes = 512
    /// What the kernel itself keeps for a run (the run, its process table, its scheduler's
    /// queues, its console), at most.
    public static let runBookkeepingBytes = 16 * 1024
    /// Blocks of a page or less that one operation (a system call, a fault, a process's
    /// start or end) makes and frees again before it is over, at most at once.
    public static let operationLowBytes = 16 * 1024
    /// Blocks of several pages that one operation makes and frees again, at most at once: an
    /// `execve`'s copies of up to 128 KiB of arguments and environment (a Linux program's)
    /// and the arrays that hold them, about 700 KiB; a path of up to 4 KiB and its copies.
    public static let operationHighBytes = 768 * 1024
    /// The kernel's own objects at boot besides the rows below (its memory, scheduler,
    /// symbols, console), at most: measured at 1.7 MiB (the boot of one CPU leaves 38,884 KiB
    /// of the 48 MiB heap, and each further CPU takes its row).
    public static let kernelBootBytes = 2 * 1024 * 1024
    /// The block the heap keeps back at boot for the message of its own exhaustion.
    public static let emergencyReserveBytes = 64 * 1024
    /// A CPU's boot stack (its idle context's), and the stack of its traps until a thread
    /// runs: each this size. The bootstrap processor boots on boot.S's stack, so it has one
    /// less; the rows count two for every CPU.
    public static let cpuStackBytes = 64 * 1024
    /// A CPU's double-fault stack (its TSS's interrupt stack).
    public static let doubleFaultStackBytes = 16 * 1024
    /// A CPU's own objects besides its stacks (its control block and counters, its data
    /// reached through GS, its TSS and GDT), at most.
    public static let cpuBookkeepingBytes = 2 * 1024

    /// The heap bytes of a request for `bytes`: a power of two from 16 to 2 KiB, or whole
    /// pages above (as ``HeapAllocator`` serves it).
    public static func blockBytes(_ bytes: Int) -> Int {
        guard bytes > HeapAllocator.largestSmallBlock else {
            return HeapAllocator.smallestBlock << HeapAllocator.sizeClass(for: max(bytes, 1))
        }
        let page = Int(PageGeometry.pageSize)
        return (bytes + page - 1) / page * page
    }

    /// The chunks of `ChunkedArray<Element>` that `count` elements need at most, each a page.
    static func chunkPages<Element>(_ count: Int, of _: Element.Type) -> Int {
        let perChunk = ChunkedArray<Element>.chunkCapacity
        return (count + perChunk - 1) / perChunk
    }

    // MARK: - The table

    typealias Table = ProcessTable<Never>

    /// What programs can make the kernel keep during one run, each at its worst at once.
    public static var runRows: [Row] {
        let page = Int(PageGeometry.pageSize)
        let budget = ResourceBudget()
        let processes = Table.processLimit, threads = Table.threadLimit
        let descriptors = processes * fileDescriptorLimit
        // A slot holds one reference.
        let slotChunks = chunkPages(fileDescriptorLimit, of: UnsafeRawPointer?.self)
        let statusChunks = chunkPages(ThreadGroup.memberLimit, of: ThreadGroup.Member.self)
        return [
            Row("regions (one AVL node each)", count: budget.regionLimit, blocks: [AddressMap<Region>.nodeBytes]),
            Row("open files (64 processes x 1,024 descriptors)", count: descriptors, blocks: [openFileBytes]),
            // Open files, current directories and mappings hold handles, each inode in use
            // one open count.
            Row("inode handles and their open counts", count: inodeHandleLimit + processes,
                blocks: [inodeHandleBytes, AddressMap<UInt64>.nodeBytes]),
            // Every node of the directory indexes is one map node (DirectoryIndex.swift), and
            // each index is one object with two maps.
            Row("directory name indexes (their nodes)", count: DirectoryIndexes.Policy().nodeLimit,
                blocks: [AddressMap<Void>.nodeBytes]),
            Row("directory name indexes (their objects)", count: DirectoryIndexes.Policy().indexLimit,
                blocks: [directoryIndexBytes]),
            Row("page cache index (a node per page)", count: pageCacheKernelLimit, blocks: [AddressMap<Int32>.nodeBytes]),
            Row("page cache slots (one array, its capacity taken at mount)", count: 1,
                blocks: [arrayHeaderBytes + pageCacheKernelLimit * MemoryLayout<CachedPage>.stride]),
            Row("descriptor tables (their slots, in pages)", count: processes,
                blocks: Array(repeating: page, count: slotChunks) + [arrayHeaderBytes + slotChunks * 8]),
            Row("thread statuses (1,024 per process, in pages)", count: processes,
                blocks: Array(repeating: page, count: statusChunks) + [arrayHeaderBytes + statusChunks * 8]),
            Row("processes (control block, process, thread-end and child-end conditions)", count: processes,
                blocks: [processControlBlockBytes, conditionVariableBytes, waitQueueBytes, conditionVariableBytes, waitQueueBytes]),
            Row("Linux processes (signal actions, program and directory paths)", count: processes,
                blocks: [arrayHeaderBytes + Signal.numbers.count * MemoryLayout<SignalAction>.stride,
                         arrayHeaderBytes + 2 * LinuxPaths.maximumLength + 1, arrayHeaderBytes + LinuxPaths.maximumLength]),
            // A Linux process has one thread (clone with CLONE_THREAD is refused); each signal
            // is pending at most once, in the process's set and in its thread's, with its siginfo.
            Row("Linux signals (a thread's state, every signal pending twice)", count: processes,
                blocks: [arrayHeaderBytes + MemoryLayout<ThreadSignals>.stride,
                         arrayHeaderBytes + Signal.numbers.count * MemoryLayout<SignalInfo>.stride,
                         arrayHeaderBytes + Signal.numbers.count * MemoryLayout<SignalInfo>.stride]),
            Row("pipes (a page of buffer, two conditions)", count: budget.pipeLimit,
                blocks: [pipeBytes, PipeBuffer.capacity, conditionVariableBytes, waitQueueBytes, conditionVariableBytes, waitQueueBytes]),
            Row("threads (control block, FPU state, name)", count: threads,
                blocks: [threadControlBlockBytes, MemoryLayout<UInt64>.size, fpuStateBytes,
                         arrayHeaderBytes + ThreadStart.maximumNameLength]),
            Row("waiting threads (a wait queue's storage each)", count: threads,
                blocks: [arrayHeaderBytes + threads * MemoryLayout<ThreadID>.stride]),
            Row("the run's own bookkeeping", count: 1, blocks: [runBookkeepingBytes]),
            Row("one operation's passing blocks of a page or less", count: 1, blocks: [operationLowBytes]),
            Row("one operation's passing blocks of several pages", count: 1, blocks: [operationHighBytes]),
            Row("partly filled pages of the small block sizes", count: HeapAllocator.sizeClassCount, blocks: [page]),
        ]
    }

    /// What the kernel makes before any program runs, at its worst (the kernel measures its
    /// own instead, where it starts).
    public static var bootRows: [Row] {
        let page = Int(PageGeometry.pageSize)
        let blockCacheCapacity = max(blockCacheDefaultCapacity, 2 * JournalFormat.maximumBlocksPerTransaction)
        return [
            Row("the heap's own bookkeeping", count: 1, blocks: [HeapAllocator.metadataBytes(forHeapBytes: 48 << 20)]),
            Row("the heap's emergency reserve", count: 1, blocks: [emergencyReserveBytes]),
            Row("kernel stacks (one per thread, taken at boot)", count: 1, blocks: [Table.threadLimit * kernelStackBytes]),
            Row("CPUs (two stacks, a double-fault stack, their own data and tables)", count: CPUSet.kernelLimit,
                blocks: [cpuStackBytes, cpuStackBytes, doubleFaultStackBytes, cpuBookkeepingBytes]),
            Row("run queues (one per CPU, each with room for every thread)", count: CPUSet.kernelLimit,
                blocks: [arrayHeaderBytes + (Table.threadLimit + RoundRobin<Never>.compactionThreshold) * MemoryLayout<UnsafeRawPointer?>.stride]),
            Row("the file system's objects", count: 1, blocks: [fileSystemBytes]),
            Row("block cache (its slots, an index node per block)", count: 1,
                blocks: [arrayHeaderBytes + blockCacheCapacity * MemoryLayout<CachedBlock>.stride]
                    + Array(repeating: AddressMap<Int32>.nodeBytes, count: blockCacheCapacity)),
            Row("the kernel's own objects", count: 1, blocks: [kernelBootBytes]),
            Row("partly filled pages of the small block sizes", count: HeapAllocator.sizeClassCount, blocks: [page]),
        ]
    }

    /// The bytes of `rows` together.
    public static func totalBytes(_ rows: [Row]) -> Int {
        rows.reduce(0) { $0 + $1.worstCaseBytes }
    }

    /// The pages of `rows` together.
    public static func totalPages(_ rows: [Row]) -> Int {
        let page = Int(PageGeometry.pageSize)
        return (totalBytes(rows) + page - 1) / page
    }
}
