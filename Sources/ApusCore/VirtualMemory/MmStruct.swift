/// The memory state of one process: its page table, its regions and the pager that fills
/// them. Named after Linux's `struct mm_struct` (and KeOS's `MmStruct`).
///
/// Everything a program can do to its memory goes through here, and all of it is checked
/// before anything changes:
/// * ``mmap(at:length:protection:backing:)`` and ``munmap(_:)`` (the system calls, with
///   every rule of ABI.md §4), and ``addRegion(_:permission:backing:)`` for the loader;
/// * ``accessOK(_:length:write:)``, the question every system call asks before it touches
///   a user pointer, and the user copies built on it (`UserCopy.swift`);
/// * ``handlePageFault(at:errorCode:)``, the CPU's page fault, and ``resolveAccess(at:access:)``,
///   the access it (or a kernel copy) needs served, which decide whether a faulting program
///   gets its page or dies;
/// * ``fork()``, the copy-on-write copy of the whole address space (`Fork.swift`).
///
/// `MmStruct` is `~Copyable`: owning it is owning the address space, and when it goes away
/// its page table gives every frame back.
public struct MmStruct<RAM: PhysicalMemory, P: Pager>: ~Copyable {
    /// The page table of the address space (its ``PageTable/root`` goes into CR3).
    public internal(set) var pageTable: PageTable<RAM>
    /// The paging policy.
    public private(set) var pager: P
    /// The regions by start address (internal so that ``fork()`` can give the child a copy).
    var regions = AddressMap<Region>()
    /// What ``handlePageFault(at:errorCode:)`` remembers of its last fault, for a caller
    /// that does not keep it per thread.
    private var faultMemory = StaleFaultMemory()

    /// The budget of regions this address space draws on, with every other of its run.
    public let budget: ResourceBudget

    /// An empty address space that takes frames from `frames`, filled by `pager`. With
    /// `kernelTemplate`, the kernel half and kernel window of that page table are shared.
    /// Its regions count against `budget` (one of its own when none is given).
    public init(frames: FrameAllocator<RAM>, pager: P, kernelTemplate: PhysicalAddress? = nil,
                budget: ResourceBudget = ResourceBudget()) throws(KernelError) {
        pageTable = try PageTable(frames: frames, sharingKernelSlotsOf: kernelTemplate)
        self.pager = pager
        self.budget = budget
    }

    deinit {
        budget.returnRegions(regions.count)
    }

    // MARK: - Regions

    /// The number of regions.
    public var regionCount: Int { regions.count }

    /// The most regions a process may have, like Linux's `vm.max_map_count`: the kernel keeps
    /// its regions on a heap of fixed size, so a program must not be able to fill it. All the
    /// processes of a run together are bounded by their ``budget``.
    public static var regionLimit: Int { 131_072 }

    /// The region that holds `address`, if any.
    public func region(containing address: VirtualAddress) -> Region? {
        guard let (_, region) = regions.floor(address.raw), region.range.contains(address) else { return nil }
        return region
    }

    /// The region that starts exactly at `address`, if any.
    public func region(startingAt address: VirtualAddress) -> Region? {
        regions.value(at: address.raw)
    }

    /// Calls `body` with every region in address order.
    public func forEachRegion<Failure: Error>(_ body: (Region) throws(Failure) -> Void) throws(Failure) {
        try regions.forEach { (_, region) throws(Failure) in try body(region) }
    }

    /// True when some region shares an address with `range`.
    public func overlapsRegion(_ range: VirtualRange) -> Bool {
        guard !range.isEmpty, let (_, region) = regions.floor(range.end.raw - 1) else { return false }
        return region.range.end > range.start
    }

    /// Adds a region over the page-aligned, non-empty `range` and lets the pager fill it.
    /// This is the kernel-side primitive behind `mmap` and the ELF loader; USER is always
    /// added to `permission`.
    ///
    /// Fails with ``KernelError/invalidArgument`` when the range is empty, unaligned,
    /// outside the user half, in the kernel window or overlapping a region, or when the
    /// permission lacks READ; with ``KernelError/noMemory`` when frames run out, the
    /// process already has ``regionLimit`` regions, or the run's ``budget`` has none left. On failure nothing has changed.
    public mutating func addRegion(_ range: VirtualRange, permission: Permission, backing: Backing) throws(KernelError) {
        guard !range.isEmpty, range.isPageAligned,
              AddressSpaceLayout.isAvailableToPrograms(range),
              permission.contains(.read), Permission.all.contains(permission),
              !overlapsRegion(range)
        else { throw .invalidArgument }
        guard regions.count < Self.regionLimit, budget.takeRegions() else { throw .noMemory }
        let region = Region(range: range, permission: permission.union(.user), backing: backing)
        do {
            try pager.regionAdded(region, pageTable: &pageTable)
        } catch {
            budget.returnRegions()
            throw error
        }
        regions.insert(region, at: range.start.raw)
    }

    /// Removes the region that starts exactly at `start`: its pages are unmapped, its frames
    /// freed, and the addresses can be mapped again. ``KernelError/invalidArgument`` when no
    /// region starts there.
    public mutating func removeRegion(startingAt start: VirtualAddress) throws(KernelError) {
        guard let region = regions.remove(at: start.raw) else { throw .invalidArgument }
        budget.returnRegions()
        pager.regionRemoved(region, pageTable: &pageTable)
    }

    // MARK: - mmap and munmap (ABI.md §4)

    /// The `mmap` system call: maps `length` bytes (rounded up to pages) at `address` with
    /// `protection` (`PROT_*` bits) filled from `backing`, and returns `address`.
    ///
    /// Every rule is checked before anything is mapped, and a failure leaves nothing behind:
    /// `address` must be non-zero, page-aligned and canonical; `[address, address + length)`
    /// must lie in the user half without wrapping, outside the kernel window, and
    /// overlap no region; `length` must be non-zero; `protection` must include READ and hold
    /// no bits but READ, WRITE and EXEC. Violations are ``KernelError/invalidArgument``;
    /// running out of frames is ``KernelError/noMemory``.
    public mutating func mmap(at address: VirtualAddress, length: UInt64, protection: Permission, backing: Backing) throws(KernelError) -> VirtualAddress {
        guard address.raw != 0, address.isPageAligned, address.isCanonical, length != 0,
              Permission.protectionBits.contains(protection), protection.contains(.read),
              let range = VirtualRange(pagesFrom: address, length: length)
        else { throw .invalidArgument }
        try addRegion(range, permission: protection, backing: backing)
        return address
    }

    /// The `munmap` system call: `address` must be the exact start of a region, and the
    /// whole region goes (frames freed, translations invalidated). Anything else — NULL, a
    /// kernel address, an address inside a region, a region already gone — is
    /// ``KernelError/invalidArgument`` and changes nothing.
    public mutating func munmap(_ address: VirtualAddress) throws(KernelError) {
        try removeRegion(startingAt: address)
    }

    // MARK: - Checking user pointers

    /// True iff every page that `[address, address + length)` touches lies in a region that
    /// allows reading, and writing too when `write` is set (ABI.md §4). An empty range still
    /// checks the page of `address`; a range that wraps past 2^64 is refused. Regions are
    /// consulted, never the page table, so this never faults a page in.
    public func accessOK(_ address: VirtualAddress, length: UInt64, write: Bool) -> Bool {
        guard let end = address.advanced(by: max(length, 1)) else { return false }
        let needed: Permission = write ? [.read, .write] : .read
        var cursor = address.pageBase
        while cursor < end {
            guard let region = region(containing: cursor), region.permission.contains(needed) else { return false }
            cursor = region.range.end
        }
        return true
    }

    // MARK: - Page faults

    /// Decides what becomes of a page fault that the program itself raised at `address`,
    /// with the CPU's `errorCode`.
    ///
    /// A fault that no page-table change can fix (``PageFaultErrorCode/isServable`` is false:
    /// a supervisor-mode access made while the program ran, a reserved bit, a protection key)
    /// ends the process at once. A fault on a page that already allows the access is a stale
    /// TLB entry: the translation is dropped and the access retried, but only once for the
    /// same page in a row; the same fault again means the CPU faults for a reason the page
    /// table cannot see, and retrying would loop forever, so the process ends. Everything
    /// else goes to ``resolveAccess(at:access:)``. "In a row" is the address space's own
    /// memory here; a kernel with several threads per process keeps one per thread
    /// (``handlePageFault(at:errorCode:remembering:mayBeServedAlready:)``).
    ///
    /// With `mayBeServedAlready` (the kernel had to wait before it could serve the fault, and
    /// another thread of the process may have served the same page meanwhile), a page that
    /// allows the access is not counted as a stale translation: the access is retried, and
    /// the next fault is judged afresh.
    public mutating func handlePageFault(at address: VirtualAddress, errorCode: PageFaultErrorCode, mayBeServedAlready: Bool = false) -> FaultResolution {
        var memory = faultMemory
        defer { faultMemory = memory }
        return handlePageFault(at: address, errorCode: errorCode, remembering: &memory, mayBeServedAlready: mayBeServedAlready)
    }

    /// ``handlePageFault(at:errorCode:mayBeServedAlready:)`` for one thread, which keeps what
    /// `memory` holds of its own last fault. With several CPUs, threads of one process fault
    /// on one page at once (the first maps it, and the others find it mapped when they get
    /// their turn): each may find it already allowing the access once without being taken
    /// for looping.
    public mutating func handlePageFault(at address: VirtualAddress, errorCode: PageFaultErrorCode,
                                         remembering memory: inout StaleFaultMemory,
                                         mayBeServedAlready: Bool = false) -> FaultResolution {
        guard errorCode.isServable else { return .segmentationFault(.unservable(errorCode)) }
        let access = errorCode.access
        // The region and the leaf are looked up once, here, for every decision below.
        let region = region(containing: address)
        let entry = try? pageTable.walk(address)
        if let region, region.permission.contains(access.requiredPermission),
           let entry, entry.permission.contains(access.requiredPermission.union(.user)) {
            guard !mayBeServedAlready else {
                memory.page = nil
                pageTable.frames.memory.invalidateTranslation(of: address.pageBase, inAddressSpaceOf: pageTable.root)
                return .resolved
            }
            guard memory.page != address.pageBase else {
                memory.page = nil
                return .segmentationFault(.repeated(errorCode))
            }
            memory.page = address.pageBase
            pageTable.frames.memory.invalidateTranslation(of: address.pageBase, inAddressSpaceOf: pageTable.root)
            return .resolved
        }
        memory.page = nil
        return resolveAccess(at: address, access: access, in: region, entry: entry)
    }

    /// Decides what becomes of a user access at `address` that no page serves yet (a
    /// program's, or a kernel copy's on its behalf): outside every region, or against the region's
    /// permission, it is a segmentation fault with its cause; a page that already serves the
    /// access (a stale TLB entry) is resolved at once; a write to a present page that its
    /// region allows to be written is copy-on-write (``copyOnWrite(_:at:in:)``); an absent
    /// page is the pager's to serve.
    public mutating func resolveAccess(at address: VirtualAddress, access: AccessKind) -> FaultResolution {
        resolveAccess(at: address, access: access, in: region(containing: address), entry: try? pageTable.walk(address))
    }

    /// ``resolveAccess(at:access:)`` with the region holding `address` (if any) and its
    /// leaf (if present) looked up already.
    private mutating func resolveAccess(at address: VirtualAddress, access: AccessKind, in region: Region?, entry: PageTableEntry?) -> FaultResolution {
        guard let region else { return .segmentationFault(.notPresent) }
        guard region.permission.contains(access.requiredPermission) else {
            switch access {
            case .read: return .segmentationFault(.notPresent)
            case .write: return .segmentationFault(.writeToReadOnly)
            case .execute: return .segmentationFault(.executeNonExecutable)
            }
        }
        if let entry {
            if entry.permission.contains(access.requiredPermission) {
                pageTable.frames.memory.invalidateTranslation(of: address.pageBase, inAddressSpaceOf: pageTable.root)
                return .resolved
            }
            // Leaves carry their region's permission, less WRITE while their frame is shared.
            precondition(access == .write, "a present page refuses an access its region allows")
            return copyOnWrite(entry, at: address.pageBase, in: region)
        }
        return pager.pageIn(at: address, access: access, in: region, pageTable: &pageTable)
    }

    /// The first write to a page whose frame is shared copy-on-write (mapped read-only in
    /// every address space that shares it, its share count one per sharer): the writer gets
    /// its own copy of the frame, mapped with the region's permission, and gives up its share
    /// of the original. The last sharer left copies nothing: it makes its page writable
    /// again. This is a property of frames, handled here before any pager is asked, so it
    /// works with every pager. ``FaultResolution/outOfMemory`` when no frame is left for
    /// the copy; nothing has changed then.
    mutating func copyOnWrite(_ entry: PageTableEntry, at page: VirtualAddress, in region: Region) -> FaultResolution {
        let frames = pageTable.frames
        let original = entry.frame
        var frame = original
        if frames.shareCount(of: frame) > 1 {
            guard let copy = frames.allocate() else { return .outOfMemory }
            frames.memory.copyFrame(from: frame, to: copy)
            frame = copy
        }
        do throws(PageTableError) {
            try pageTable.updateLeaf(at: page) { _ in .leaf(frame: frame, permission: region.permission) }
        } catch {
            preconditionFailure("copy-on-write: the page went away")
        }
        // The share of the original goes only now that no CPU reaches it through this
        // address space (updateLeaf invalidated the translation everywhere): the other
        // sharer may free it at once.
        if frame != original { frames.free(original) }
        return .resolved
    }

    /// The frame behind the user page holding `address`, ready for `access` by the kernel on
    /// the program's behalf: KeOS's `get_user_page`. The page must be in a region that allows
    /// the access; a page the pager has not filled yet is faulted in.
    /// ``KernelError/badAddress`` when the region does not allow it,
    /// ``KernelError/noMemory`` when no frame is left to fill it.
    public mutating func userPage(at address: VirtualAddress, for access: AccessKind) throws(KernelError) -> PhysicalAddress {
        try preparedUserPage(at: address, for: access).frame
    }

    /// ``userPage(at:for:)``, and whether the page was absent and the pager has just filled
    /// it: such a page holds nothing the program has seen (zeros, or its file's bytes), so
    /// dropping it again changes nothing the program can tell.
    mutating func preparedUserPage(at address: VirtualAddress, for access: AccessKind) throws(KernelError) -> (frame: PhysicalAddress, filled: Bool) {
        // Fast path: a present user leaf that allows the access. Leaves never allow more
        // than their region, and kernel pages (kernel window, kernel half) lack USER.
        let present = try? pageTable.walk(address)
        if let present, present.permission.contains(access.requiredPermission.union(.user)) {
            return (present.frame, false)
        }
        switch resolveAccess(at: address, access: access) {
        case .resolved:
            guard let entry = try? pageTable.walk(address) else { preconditionFailure("pager resolved a fault without mapping the page") }
            return (entry.frame, present == nil)
        case .segmentationFault: throw .badAddress
        case .outOfMemory: throw .noMemory
        }
    }
}

/// What one thread's page faults remember: the page of its last fault that found the page
/// already allowing the access (a stale TLB entry, retried once).
public struct StaleFaultMemory: Sendable, Equatable {
    var page: VirtualAddress?

    public init() {}
}
