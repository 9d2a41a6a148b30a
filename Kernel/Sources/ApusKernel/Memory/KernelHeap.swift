import X86_64Support

/// The kernel heap: ApusCore's `HeapAllocator` over the lower-half kernel window, behind the
/// `posix_memalign` and `free` that the Embedded Swift runtime calls for every object.
///
/// boot.S maps the window's first `HEAP_SIZE` bytes (48 MiB, set in linker.ld) onto free
/// frames it chose after the boot modules (heap_frames.S: not part of the image, so no loader
/// zeroes or copies them); the kernel page table maps the same frames again. It does not
/// grow. Why the lower half: see `docs/memory-layout.md`.
///
/// No program can exhaust it. Everything a program can make the kernel keep is bounded, and
/// ApusCore's `HeapBudget` adds the bounds up in bytes; before the first run the kernel
/// checks that the room its boot left holds all of them (``checkBudget()``), and the
/// allocator's two ends make sure that room is always usable. And freeing never needs
/// memory: the paths that give back (`munmap`, `close`, the end of a thread, of a process,
/// of a run) run ``whileFreeing(_:)``, in which an allocation is a kernel bug that stops the
/// kernel in words, so every system test that frees checks it. Whether a CPU frees is its
/// own (`apus_cpu_local`): another CPU may allocate meanwhile.
///
/// Every CPU allocates (every Swift object, every string), so the allocator has a spinlock of
/// its own, which runtime.c's entry points hold around these calls: the innermost lock of
/// the kernel (no lock is taken while it is held), taken with interrupts off (``LockMap``).
enum KernelHeap {
    nonisolated(unsafe) static var allocator: HeapAllocator?
    /// A block set aside at boot and given back when the heap runs dry, so that the panic
    /// that reports it can still format its message and backtrace (which allocate).
    nonisolated(unsafe) private static var emergencyReserve: UnsafeMutableRawPointer?
    static let emergencyReserveSize = HeapBudget.emergencyReserveBytes
    /// How many freeing paths this CPU runs (they nest: a process's end inside a thread's).
    static var freeingDepth: Int { Int(cpu_local_freeing_depth()) }

    static var physicalStart: PhysicalAddress { PhysicalAddress(heap_physical_start()) }
    static var size: Int { Int(heap_physical_end() - heap_physical_start()) }

    static func initialize() {
        let base = UnsafeMutableRawPointer(bitPattern: UInt(AddressSpaceLayout.kernelWindow.start.raw))!
        allocator = HeapAllocator(base: base, byteCount: size)
        emergencyReserve = allocator!.allocate(byteCount: emergencyReserveSize, alignment: 16)
        KernelStacks.initialize()
    }

    /// Runs `body`, a path that gives back (memory, files, threads), in which nothing may be
    /// allocated: it must work however full the heap is.
    static func whileFreeing<Result>(_ body: () -> Result) -> Result {
        let depth = cpu_local_freeing_depth()
        cpu_local_set_freeing_depth(depth + 1)
        defer { cpu_local_set_freeing_depth(depth) }
        return body()
    }

    /// Checks, before the first run, that the room the boot left in the heap holds every
    /// budget of a run at its worst (ApusCore's `HeapBudget.runRows`), and says how much is
    /// left over. A heap too small for them stops the kernel: a build whose limits do not fit.
    static func checkBudget() {
        let needed = HeapBudget.totalPages(HeapBudget.runRows)
        let room = allocator!.pagesBetweenFronts
        let page = Int(PageGeometry.pageSize)
        log("heap: a run's budgets need at most \((needed * page) >> 10) KiB; the boot left \((room * page) >> 10) KiB of \(size >> 10) KiB")
        guard needed <= room else {
            for row in HeapBudget.runRows { log("  \(row.name): \(row.worstCaseBytes >> 10) KiB") }
            Panic.stop("the kernel heap cannot hold a run's budgets: \(needed) pages needed, \(room) free")
        }
    }

    /// Says how much of the heap the run just over used at most, beside what it had.
    static func logPeak() {
        let heap = allocator!
        log("heap: at most \(heap.peakBytesInUse >> 10) KiB in use during the run (blocks as rounded), \(heap.bytesInUse >> 10) KiB after it")
    }

    /// Stops the kernel because the heap cannot serve `byteCount` bytes: no Swift object can
    /// be made any more. Everything a program can make the kernel keep fits in the heap
    /// (``checkBudget()``), so this is a kernel bug, reported as one.
    static func exhausted(requested byteCount: Int) -> Never {
        cpu_local_set_freeing_depth(0)
        let free = allocator!.freePages * Int(PageGeometry.pageSize)
        if let reserve = emergencyReserve {
            emergencyReserve = nil
            allocator!.free(reserve)
        }
        Panic.stop("kernel heap exhausted: \(byteCount) bytes requested, \(free) free of \(size)")
    }

    /// Stops the kernel because a path that frees asked for `byteCount` bytes: freeing must
    /// never need memory (``whileFreeing(_:)``).
    static func allocatedWhileFreeing(_ byteCount: Int) -> Never {
        cpu_local_set_freeing_depth(0)
        Panic.stop("kernel heap: \(byteCount) bytes requested while freeing; freeing must need no memory")
    }
}

/// `posix_memalign` (runtime.c) asks here, holding the heap's lock: a block of `size` bytes
/// aligned to `alignment`, or `nil` when there is none.
@_cdecl("apus_heap_allocate")
public func heapAllocate(_ size: Int, _ alignment: Int) -> UnsafeMutableRawPointer? {
    // A CPU that frees gets nothing: runtime.c then reports it, with the heap's lock let go.
    guard KernelHeap.freeingDepth == 0 else { return nil }
    return KernelHeap.allocator?.allocate(byteCount: size, alignment: alignment)
}

/// `posix_memalign` (runtime.c) found no block of `size` bytes, or was asked for one while
/// this CPU frees, and let go of the heap's lock.
@_cdecl("apus_heap_exhausted")
public func heapExhausted(_ size: Int) {
    if KernelHeap.freeingDepth > 0 { KernelHeap.allocatedWhileFreeing(size) }
    KernelHeap.exhausted(requested: size)
}

/// `free` (runtime.c) gives a block back here, holding the heap's lock.
@_cdecl("apus_heap_free")
public func heapFree(_ pointer: UnsafeMutableRawPointer) {
    KernelHeap.allocator!.free(pointer)
}

/// runtime.c: a CPU asked for the heap's lock while holding it (an allocation inside the
/// allocator: a kernel bug).
/// Says so without allocating (the heap is locked), and powers off.
@_cdecl("apus_heap_lock_reentered")
public func heapLockReentered() {
    Serial.log.write("PANIC: a CPU took the kernel heap's lock a second time while holding it (an allocation inside the allocator)\n" as StaticString)
    PowerOff.exit(status: Panic.status)
}
