/// The kernel stacks of threads: one block of the kernel heap, taken at boot and cut into
/// stacks of `HeapBudget.kernelStackBytes` (64 KiB), one for each thread a run may have.
///
/// A stack is 16 pages in one piece. The kernel heap serves a run of several pages only
/// where it has one, and while programs run it must never need one (HeapAllocator.swift: a
/// heap whose blocks are a page or less cannot fail while it holds its budget). So the
/// stacks are all taken at once, before any program runs, and handed out and back here: a
/// thread's start takes one, its end gives it back, and neither needs memory. The free stacks
/// form a list threaded through their own first bytes.
enum KernelStacks {
    /// Stacks there are: one per thread a run may have (`ProcessTable.threadLimit`); the
    /// kernel's own threads, which run only outside runs, share them.
    static let count = ProcessTable<Never>.threadLimit
    static let size = HeapBudget.kernelStackBytes

    nonisolated(unsafe) private static var base: UnsafeMutableRawPointer?
    nonisolated(unsafe) private static var firstFree: UnsafeMutableRawPointer?

    /// Takes the block for every stack from the heap (boot, before any program).
    static func initialize() {
        let block = UnsafeMutableRawPointer.allocate(byteCount: count * size, alignment: Int(PageGeometry.pageSize))
        base = block
        for index in (0..<count).reversed() { giveBack(block + index * size) }
    }

    /// A stack (its lowest address). There is one for each thread the process table lets
    /// start; none left is a kernel bug.
    static func take() -> UnsafeMutableRawPointer {
        guard let stack = firstFree else { fatalError("no kernel stack left: more threads than the process table allows") }
        firstFree = stack.load(as: UnsafeMutableRawPointer?.self)
        return stack
    }

    /// `stack` is free again. Allocates nothing.
    static func giveBack(_ stack: UnsafeMutableRawPointer) {
        precondition(base.map { stack >= $0 && stack < $0 + count * size && (stack - $0) % size == 0 } ?? false, "not a kernel stack")
        stack.storeBytes(of: firstFree, as: UnsafeMutableRawPointer?.self)
        firstFree = stack
    }
}
