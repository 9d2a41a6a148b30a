/// A pager decides *when* the pages of a region get frames: the policy half of virtual
/// memory.
///
/// ``MmStruct`` keeps the mechanism: it validates requests, keeps the regions, answers
/// `accessOK`. The pager it is built with decides when memory is actually spent:
/// * ``EagerPager`` fills every page of a region the moment it is created, so a page fault
///   inside a region is always a program error;
/// * ``LazyPager`` records the region and fills each page at its first touch, in
///   ``pageIn(at:access:in:pageTable:)``.
///
/// Copy-on-write is not a pager's business: a write to a shared frame is handled by
/// `MmStruct` before any pager is asked, so it works the same with every pager. The pager
/// answers only for pages that are absent.
///
/// `MmStruct` is generic over its pager (`MmStruct<RAM, EagerPager>`), not an existential,
/// so the Embedded build calls the policy directly.
public protocol Pager {
    /// A region has just been created (validated, not overlapping). Give its pages frames as
    /// the policy says. On failure (``KernelError/noMemory``) nothing of the region may stay
    /// mapped and no frame may leak.
    mutating func regionAdded<RAM>(_ region: Region, pageTable: inout PageTable<RAM>) throws(KernelError)

    /// A region is going away: unmap whatever of it is mapped and give the frames back.
    mutating func regionRemoved<RAM>(_ region: Region, pageTable: inout PageTable<RAM>)

    /// The program (or a kernel copy on its behalf) made `access` at `address` inside
    /// `region`, whose permission allows it, and no page is mapped there. Make the page
    /// serve it, or say why not.
    mutating func pageIn<RAM>(
        at address: VirtualAddress, access: AccessKind, in region: Region, pageTable: inout PageTable<RAM>
    ) -> FaultResolution
}

extension Pager {
    /// The usual way to let a region go: every present page of it, and every table it leaves
    /// empty, goes back to the allocator.
    public mutating func regionRemoved<RAM>(_ region: Region, pageTable: inout PageTable<RAM>) {
        pageTable.unmapAll(in: region.range)
    }
}

/// What became of a page fault.
public enum FaultResolution: Sendable, Hashable {
    /// The page now serves the access; retry the instruction (or the copy).
    case resolved
    /// The access is not allowed; the process must die (exit status −1).
    case segmentationFault(FaultCause)
    /// The access is allowed but no frame was left to serve it.
    case outOfMemory
}

/// Why a user access faulted, named as the kernel log reports it (ABI.md §3).
public enum FaultCause: Sendable, Hashable {
    /// Nothing is mapped at the address.
    case notPresent
    /// A write to a page that does not allow writing.
    case writeToReadOnly
    /// An instruction fetch from a page that does not allow executing.
    case executeNonExecutable
    /// A fault no page-table change can fix (a supervisor-mode access while the program
    /// ran, a reserved bit, a protection key): the CPU's error code says which.
    case unservable(PageFaultErrorCode)
    /// The same fault again on a page whose entry already allows the access.
    case repeated(PageFaultErrorCode)
    /// The page belongs to a file the disk failed to read (or whose data is damaged).
    case unreadableFile
    /// The page of a Linux program's file mapping lies past the end of the file.
    case pastEndOfFile
}

extension FaultCause: CustomStringConvertible {
    public var description: String {
        switch self {
        case .notPresent: "access to a non-present page"
        case .writeToReadOnly: "write to a read-only page"
        case .executeNonExecutable: "execution of a non-executable page"
        case .unservable(let code): "a fault the kernel cannot serve, error code \(code)"
        case .repeated(let code): "the same fault again on a page that allows the access, error code \(code)"
        case .unreadableFile: "the page's file could not be read from the disk"
        case .pastEndOfFile: "access past the end of the mapped file"
        }
    }
}
