/// Physical memory for the hosted build: an arena of ordinary memory that plays RAM.
///
/// Host tests, the model-based test and the benchmarks run the real page tables, pagers and
/// user copies on frames carved out of this arena. Physical addresses start at
/// ``physicalBase`` (1 MiB, as on a PC where the first megabyte is firmware's), so a zero
/// physical address is never a valid frame.
///
/// There is no CPU behind it, so no TLB to flush; instead it counts invalidations so that
/// tests can check the page table asks for them.
public final class HostMemory: PhysicalMemory {
    /// The physical address of the arena's first byte.
    public static let physicalBase = PhysicalAddress(0x10_0000)

    /// The physical addresses the arena plays.
    public let range: PhysicalRange
    private let base: UnsafeMutableRawPointer

    /// How many translations have been invalidated so far, one by one.
    public private(set) var invalidations = 0
    /// How many times every translation of an address space was invalidated at once.
    public private(set) var wholeInvalidations = 0
    /// Called at every invalidation, one by one or whole: tests look at the frames there
    /// (nothing taken away may be free before its translation is gone).
    public var onInvalidation: (() -> Void)?

    /// An arena of `byteCount` bytes (rounded up to whole pages). The memory is not touched
    /// here, so a large arena costs only what is used.
    public init(byteCount: Int) {
        let length = Int(PageGeometry.roundUp(UInt64(byteCount))!)
        base = UnsafeMutableRawPointer.allocate(byteCount: length, alignment: Int(PageGeometry.pageSize))
        range = PhysicalRange(start: Self.physicalBase, end: Self.physicalBase.advanced(by: UInt64(length)))
    }

    deinit { base.deallocate() }

    public func pointer(to address: PhysicalAddress) -> UnsafeMutableRawPointer {
        precondition(range.contains(address), "physical address outside the host arena")
        return base + Int(address.raw - range.start.raw)
    }

    public func invalidateTranslation(of address: VirtualAddress, inAddressSpaceOf root: PhysicalAddress) {
        invalidations += 1
        onInvalidation?()
    }

    public func invalidateAllTranslations(inAddressSpaceOf root: PhysicalAddress) {
        wholeInvalidations += 1
        onInvalidation?()
    }
}
