import ApusCore
import KernelSupport

/// The kernel heap: ApusCore's `HeapAllocator` over the lower-half kernel window, behind the
/// `posix_memalign` and `free` that the Embedded Swift runtime calls for every object.
///
/// boot.S maps the window's first `HEAP_SIZE` bytes (32 MiB, set in linker.ld) onto the
/// frames right after the kernel image (`__heap_physical_start`); the kernel page table maps
/// the same frames again. It does not grow, so everything a process can make the kernel keep
/// is bounded (regions, descriptors, pipe buffers) well below its size. Why the lower half: see `docs/memory-layout.md`.
enum KernelHeap {
    nonisolated(unsafe) static var allocator: HeapAllocator?

    static var physicalStart: PhysicalAddress { PhysicalAddress(heap_physical_start()) }
    static var size: Int { Int(heap_physical_end() - heap_physical_start()) }

    static func initialize() {
        let base = UnsafeMutableRawPointer(bitPattern: UInt(AddressSpaceLayout.kernelWindow.start.raw))!
        allocator = HeapAllocator(base: base, byteCount: size)
    }
}

/// `posix_memalign` (runtime.c) asks here: a block of `size` bytes aligned to `alignment`.
@_cdecl("apus_heap_allocate")
public func heapAllocate(_ size: Int, _ alignment: Int) -> UnsafeMutableRawPointer? {
    KernelHeap.allocator?.allocate(byteCount: size, alignment: alignment)
}

/// `free` (runtime.c) gives a block back here.
@_cdecl("apus_heap_free")
public func heapFree(_ pointer: UnsafeMutableRawPointer) {
    KernelHeap.allocator!.free(pointer)
}
