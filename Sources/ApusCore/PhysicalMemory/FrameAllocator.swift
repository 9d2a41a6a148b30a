/// The frame allocator: hands out 4 KiB frames of physical memory and takes them back.
///
/// Every page a program touches and every page table is one frame. The allocator must be
/// fast (a 16 MiB `mmap` takes 4,096 frames), must not need a heap (the kernel heap itself
/// is built from frames), and must make mistakes loud, because a frame freed twice ends up
/// mapped in two places and corrupts memory far from the bug.
///
/// How it works, with no memory but the frames it manages:
/// * The first frames of the range hold a table of *share counts*, one 32-bit word per frame:
///   0 for a free frame, 1 for a frame with one owner, more for a frame shared by several
///   address spaces after a copy-on-write `fork`. ``free(_:)`` drops one owner and recycles
///   the frame when none is left; freeing a free frame stops the kernel with a message.
/// * Free frames form a list threaded through the frames themselves (each free frame holds
///   the address of the next one in its first eight bytes), as in xv6's `kalloc`.
/// * Frames above a *watermark* have never been handed out and are free without being on the
///   list, so setting up the allocator touches no memory beyond the count table.
///
/// Frames are zeroed when handed out, so no byte of a previous owner can leak to the next.
/// A frame known to hold only zeros when it is given back (a page table whose last entry
/// was just cleared) goes on a second list, ``freeZeroed(_:)``, and is handed out first
/// without being zeroed again: only its first eight bytes, the list's link, are cleared.
///
/// When the free frames are gone, the allocator asks its ``reclaimer`` (the file system's
/// caches, which hold frames they can drop) for some back before it gives up: so a cache
/// that fills memory while nobody else needs it never costs a process a frame.
///
/// For tests the allocator can be told to fail one future allocation
/// (``failAllocation(after:)``), which is how every "out of memory half way" path is tested.
public final class FrameAllocator<RAM: PhysicalMemory> {
    /// The window through which frames are zeroed and read.
    public let memory: RAM
    /// The frames handed out by this allocator (the range given, minus the count table).
    public let managed: PhysicalRange

    private let shareCounts: UnsafeMutablePointer<UInt32>
    private var freeListHead: PhysicalAddress?
    /// The free frames that hold zeros but for the link in their first eight bytes.
    private var zeroedListHead: PhysicalAddress?
    private var watermark: PhysicalAddress

    /// Frames that can be handed out now.
    public private(set) var freeCount: Int
    /// Successful allocations since the allocator was made (a measure for tests).
    public private(set) var allocationCount = 0
    /// Allocations that needed no zeroing (a measure for tests and benchmarks).
    public private(set) var zeroedReuseCount = 0
    private var allocationsBeforeFailure: Int?
    /// Who gives frames back when none is free; `nil`: nobody.
    public var reclaimer: (any FrameReclaimer)?
    /// Set while the reclaimer works, so that an allocation it makes cannot call it again.
    private var reclaiming = false
    /// How many frames one call asks the reclaimer for: enough that the next allocations
    /// need not ask again at once.
    public static var reclaimBatch: Int { 32 }

    /// An allocator for the frames of `range` (page-aligned, at least two frames), reached
    /// through `memory`.
    public init(memory: RAM, range: PhysicalRange) {
        precondition(range.start.isPageAligned && range.end.isPageAligned, "frame range must be page-aligned")
        let pageSize = PageGeometry.pageSize
        let frames = range.length / pageSize
        let tableFrames = (frames * UInt64(MemoryLayout<UInt32>.stride) + pageSize - 1) / pageSize
        precondition(frames > tableFrames, "frame range too small to hold its own share counts")

        self.memory = memory
        managed = PhysicalRange(start: range.start.advanced(by: tableFrames * pageSize), end: range.end)
        shareCounts = memory.pointer(to: range.start).bindMemory(to: UInt32.self, capacity: Int(frames - tableFrames))
        shareCounts.initialize(repeating: 0, count: Int(frames - tableFrames))
        watermark = managed.start
        freeCount = Int(frames - tableFrames)
    }

    /// Every frame this allocator manages.
    public var totalCount: Int { Int(managed.length / PageGeometry.pageSize) }
    /// Frames handed out and not yet freed.
    public var usedCount: Int { totalCount - freeCount }

    /// A zeroed frame with one owner, or `nil` when memory is exhausted (or a test asked for
    /// this allocation to fail).
    public func allocate() -> PhysicalAddress? {
        if let remaining = allocationsBeforeFailure {
            allocationsBeforeFailure = remaining == 0 ? nil : remaining - 1
            if remaining == 0 { return nil }
        }
        let frame: PhysicalAddress
        var zeroed = false
        if let head = zeroedListHead {
            let next = memory.pointer(to: head).load(as: UInt64.self)
            zeroedListHead = next == 0 ? nil : PhysicalAddress(next)
            frame = head
            zeroed = true
        } else if let head = freeListHead {
            let next = memory.pointer(to: head).load(as: UInt64.self)
            freeListHead = next == 0 ? nil : PhysicalAddress(next)
            frame = head
        } else if watermark < managed.end {
            frame = watermark
            watermark = watermark.advanced(by: PageGeometry.pageSize)
        } else {
            return reclaimThenAllocate()
        }
        let index = self.index(of: frame)
        precondition(shareCounts[index] == 0, "frame allocator handed out a frame in use")
        shareCounts[index] = 1
        freeCount -= 1
        allocationCount += 1
        if zeroed {
            memory.pointer(to: frame).storeBytes(of: UInt64(0), as: UInt64.self)
            zeroedReuseCount += 1
        } else {
            memory.zeroFrame(frame)
        }
        return frame
    }

    /// Every frame is in use: the reclaimer gives some back, and the allocation is tried
    /// once more; `nil` when it gave none.
    private func reclaimThenAllocate() -> PhysicalAddress? {
        guard let reclaimer, !reclaiming else { return nil }
        reclaiming = true
        let released = reclaimer.reclaimFrames(Self.reclaimBatch)
        reclaiming = false
        return released > 0 ? allocate() : nil
    }

    /// Drops one owner of `frame`; when it was the last, the frame becomes free.
    public func free(_ frame: PhysicalAddress) {
        let index = self.index(of: frame)
        precondition(shareCounts[index] > 0, "frame freed twice (or never allocated)")
        shareCounts[index] -= 1
        guard shareCounts[index] == 0 else { return }
        memory.pointer(to: frame).storeBytes(of: freeListHead?.raw ?? 0, as: UInt64.self)
        freeListHead = frame
        freeCount += 1
    }

    /// ``free(_:)`` for a frame that holds only zeros (checked in debug builds): when it was
    /// the last owner, the frame goes on the list of frames handed out without zeroing.
    public func freeZeroed(_ frame: PhysicalAddress) {
        let index = self.index(of: frame)
        precondition(shareCounts[index] > 0, "frame freed twice (or never allocated)")
        assert(isZero(frame), "freeZeroed: the frame holds more than zeros")
        shareCounts[index] -= 1
        guard shareCounts[index] == 0 else { return }
        memory.pointer(to: frame).storeBytes(of: zeroedListHead?.raw ?? 0, as: UInt64.self)
        zeroedListHead = frame
        freeCount += 1
    }

    private func isZero(_ frame: PhysicalAddress) -> Bool {
        let words = memory.pointer(to: frame).assumingMemoryBound(to: UInt64.self)
        for index in 0..<Int(PageGeometry.pageSize) / MemoryLayout<UInt64>.size where words[index] != 0 { return false }
        return true
    }

    /// Adds an owner to the allocated `frame` (copy-on-write sharing).
    public func share(_ frame: PhysicalAddress) {
        let index = self.index(of: frame)
        precondition(shareCounts[index] > 0, "cannot share a free frame")
        precondition(shareCounts[index] < UInt32.max, "frame share count overflow")
        shareCounts[index] += 1
    }

    /// How many owners `frame` has: 0 when free.
    public func shareCount(of frame: PhysicalAddress) -> Int {
        Int(shareCounts[index(of: frame)])
    }

    /// Makes the allocation after the next `successes` successful ones fail, once. With 0,
    /// the very next allocation fails.
    public func failAllocation(after successes: Int) {
        precondition(successes >= 0)
        allocationsBeforeFailure = successes
    }

    /// Cancels a failure asked for with ``failAllocation(after:)`` that has not happened yet.
    public func cancelInjectedFailure() {
        allocationsBeforeFailure = nil
    }

    private func index(of frame: PhysicalAddress) -> Int {
        precondition(frame.isPageAligned && managed.contains(frame), "not a frame of this allocator: \(frame)")
        return Int((frame.raw - managed.start.raw) >> PageGeometry.pageShift)
    }
}

/// Something that holds frames it can give back at once when the allocator runs dry (the
/// file system's caches: clean pages and blocks are copies of the disk). It must not wait
/// (no disk write), since any allocation anywhere may ask it.
public protocol FrameReclaimer: AnyObject {
    /// Frees up to `count` frames it holds; returns how many it freed.
    func reclaimFrames(_ count: Int) -> Int
}
