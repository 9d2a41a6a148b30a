import ApusCore
import X86_64Support

/// The kernel heap: ApusCore's `HeapAllocator` over the lower-half kernel window, behind the
/// `posix_memalign` and `free` that the Embedded Swift runtime calls for every object.
///
/// boot.S maps the window's first `HEAP_SIZE` bytes (48 MiB, set in linker.ld) onto free
/// frames it chose after the boot modules (heap_frames.S: not part of the image, so no loader
/// zeroes or copies them); the kernel page table maps the same frames again. It does not grow, so everything a process can make the kernel keep
/// is bounded (regions, descriptors, pipe buffers) well below its size. Why the lower half: see `docs/memory-layout.md`.
///
/// Every CPU allocates (every Swift object, every string), so the allocator has a spinlock of
/// its own, which runtime.c's entry points hold around these calls: the innermost lock of
/// the kernel (no lock is taken while it is held), taken with interrupts off (``LockMap``).
enum KernelHeap {
    nonisolated(unsafe) static var allocator: HeapAllocator?
    /// A block set aside at boot and given back when the heap runs dry, so that the panic
    /// that reports it can still format its message and backtrace (which allocate).
    nonisolated(unsafe) private static var emergencyReserve: UnsafeMutableRawPointer?
    static let emergencyReserveSize = 64 * 1024

    static var physicalStart: PhysicalAddress { PhysicalAddress(heap_physical_start()) }
    static var size: Int { Int(heap_physical_end() - heap_physical_start()) }

    static func initialize() {
        let base = UnsafeMutableRawPointer(bitPattern: UInt(AddressSpaceLayout.kernelWindow.start.raw))!
        allocator = HeapAllocator(base: base, byteCount: size)
        emergencyReserve = allocator!.allocate(byteCount: emergencyReserveSize, alignment: 16)
    }

    /// Stops the kernel because the heap cannot serve `byteCount` bytes: no Swift object can
    /// be made any more. Everything a program can make the kernel keep is bounded well below
    /// the heap's size, so this is a kernel bug, reported as one.
    static func exhausted(requested byteCount: Int) -> Never {
        let free = allocator!.freePages * Int(PageGeometry.pageSize)
        if let reserve = emergencyReserve {
            emergencyReserve = nil
            allocator!.free(reserve)
        }
        Panic.stop("kernel heap exhausted: \(byteCount) bytes requested, \(free) free of \(size)")
    }
}

/// `posix_memalign` (runtime.c) asks here, holding the heap's lock: a block of `size` bytes
/// aligned to `alignment`, or `nil` when there is none.
@_cdecl("apus_heap_allocate")
public func heapAllocate(_ size: Int, _ alignment: Int) -> UnsafeMutableRawPointer? {
    KernelHeap.allocator?.allocate(byteCount: size, alignment: alignment)
}

/// `posix_memalign` (runtime.c) found no block of `size` bytes, and let go of the heap's lock.
@_cdecl("apus_heap_exhausted")
public func heapExhausted(_ size: Int) {
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
