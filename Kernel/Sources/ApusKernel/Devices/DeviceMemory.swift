import X86_64Support

/// Memory a device reaches on its own (DMA): where a kernel pointer is in physical memory.
///
/// A device knows nothing of page tables: it reads and writes RAM at physical addresses, and
/// a buffer it uses must be contiguous there, not only in the kernel's view. Two kernel
/// windows are contiguous by construction, and a pointer into either turns into a physical
/// address by arithmetic:
/// * the **direct map** (DirectMap.swift): physical `p` at `DirectMap.offset + p`, for frames
///   from the frame allocator (the page cache's pages);
/// * the **kernel heap window** (KernelHeap.swift): consecutive frames from
///   `heap_physical_start` (kernel_heap.S), so a heap block of any size is contiguous, and a
///   page-aligned one starts on a frame.
/// Anything else (a user address, the kernel image) is not offered to a device.
enum DeviceMemory {
    /// The direct map holds the RAM below 4 GiB (KernelMemory.swift).
    static let directMapLimit: UInt64 = 1 << 32

    /// The physical address of the `byteCount` bytes at `pointer`, when they lie in one of
    /// the windows above; `nil` otherwise.
    static func physicalAddress(of pointer: UnsafeRawPointer, byteCount: Int) -> UInt64? {
        let address = UInt64(UInt(bitPattern: pointer))
        let count = UInt64(byteCount)
        let heapStart = AddressSpaceLayout.kernelWindow.start.raw
        if address >= heapStart, address - heapStart <= UInt64(KernelHeap.size), count <= UInt64(KernelHeap.size) - (address - heapStart) {
            return KernelHeap.physicalStart.raw + (address - heapStart)
        }
        if address >= DirectMap.offset, address - DirectMap.offset <= directMapLimit, count <= directMapLimit - (address - DirectMap.offset) {
            return address - DirectMap.offset
        }
        return nil
    }

    /// `byteCount` bytes of zeroed, page-aligned kernel heap, with their physical address: for
    /// memory a device and the kernel share for as long as the device lives (its rings).
    static func allocate(byteCount: Int) -> (pointer: UnsafeMutableRawPointer, physicalAddress: UInt64) {
        let pageSize = Int(PageGeometry.pageSize)
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: pageSize)
        memset(pointer, 0, byteCount)
        guard let physical = physicalAddress(of: pointer, byteCount: byteCount) else {
            fatalError("a kernel heap block outside the heap window")
        }
        return (pointer, physical)
    }
}
