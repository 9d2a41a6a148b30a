/// Linux's memory calls act on ranges, not on whole regions: `munmap` of part of a
/// mapping, `mprotect` of some of its pages, `mmap` with `MAP_FIXED` over what is there,
/// and `mmap` at an address the kernel picks. Here those are built on regions: a region is
/// split at a page boundary into two regions that together are the same mapping (the
/// second's file bytes start further into the file), so every range operation becomes an
/// operation on whole regions.
extension MmStruct {
    /// Where the kernel looks for room for a mapping whose address it picks: down from
    /// here, below Linux's start-up stack.
    public static var pickedMappingsTop: VirtualAddress { VirtualAddress(0x7F00_0000_0000) }

    /// Splits the region that holds `address` strictly inside (not at its start) into two
    /// at `address`, which must be page-aligned. Nothing changes when no region holds it or
    /// one starts there. ``KernelError/noMemory`` when the region limit or the run's budget
    /// has no region left.
    mutating func split(at address: VirtualAddress) throws(KernelError) {
        guard let region = region(containing: address), region.range.start != address else { return }
        guard regions.count < Self.regionLimit, budget.takeRegions() else { throw .noMemory }
        let head = VirtualRange(start: region.range.start, end: address)
        let tail = VirtualRange(start: address, end: region.range.end)
        let moved = address.raw - region.range.start.raw
        var tailBacking = region.backing
        if case .file(let file) = region.backing {
            let length = file.length == .max ? .max : (file.length > moved ? file.length - moved : 0)
            tailBacking = .file(FileBacking(file: file.file, offset: file.offset &+ moved, length: length, faultsPastEnd: file.faultsPastEnd))
        }
        _ = regions.modifyValue(at: region.range.start.raw) { $0.range = head }
        regions.insert(Region(range: tail, permission: region.permission, backing: tailBacking), at: address.raw)
    }

    /// The regions inside the page-aligned `range`, after splitting those that cross its
    /// ends.
    private mutating func regionsSplit(to range: VirtualRange) throws(KernelError) -> [Region] {
        try split(at: range.start)
        try split(at: range.end)
        var inside: [Region] = []
        var cursor = range.start
        while cursor < range.end, let (_, region) = regions.ceiling(cursor.raw), region.range.start < range.end {
            inside.append(region)
            cursor = region.range.end
        }
        return inside
    }

    /// Linux's `munmap(addr, len)`: every page of `[address, address + length)` that is
    /// mapped goes, whichever regions hold it; pages not mapped are no error.
    /// ``KernelError/invalidArgument`` when `address` is not page-aligned, `length` is 0 or
    /// the range leaves the user half; ``KernelError/noMemory`` when a split needs a region
    /// the budget lacks (nothing has changed then).
    public mutating func unmapRange(_ address: VirtualAddress, length: UInt64) throws(KernelError) {
        guard address.isPageAligned, length != 0, let range = VirtualRange(pagesFrom: address, length: length),
              AddressSpaceLayout.userHalf.contains(range) else { throw .invalidArgument }
        for region in try regionsSplit(to: range) { try removeRegion(startingAt: region.range.start) }
    }

    /// Linux's `mprotect(addr, len, prot)`: every page of the range takes `protection`
    /// (READ is implied: x86-64 pages are always readable). Pages already present change at
    /// once; a page that becomes writable but whose frame is shared stays read-only until
    /// its first write copies it. ``KernelError/invalidArgument`` for an unaligned address
    /// or other protection bits, ``KernelError/noMemory`` (as Linux) when a page of the range
    /// is not mapped; nothing changes on an error.
    public mutating func protect(_ address: VirtualAddress, length: UInt64, protection: Permission) throws(KernelError) {
        guard address.isPageAligned, Permission.protectionBits.contains(protection) else { throw .invalidArgument }
        guard length != 0 else { return }
        guard let range = VirtualRange(pagesFrom: address, length: length), AddressSpaceLayout.userHalf.contains(range)
        else { throw .noMemory }
        var cursor = range.start
        while cursor < range.end {
            guard let region = region(containing: cursor) else { throw .noMemory }
            cursor = region.range.end
        }
        let permission = protection.union([.read, .user])
        for region in try regionsSplit(to: range) {
            _ = regions.modifyValue(at: region.range.start.raw) { $0.permission = permission }
            var present: [VirtualAddress] = []
            pageTable.forEachMappedPage(in: region.range) { page, _ in present.append(page) }
            for page in present {
                try? pageTable.updateLeaf(at: page) { entry in
                    // Shared frames (copy-on-write, the page cache's) stay read-only.
                    let writable = permission.contains(.write) && entry.permission.contains(.write)
                    return .leaf(frame: entry.frame, permission: writable ? permission : permission.subtracting(.write))
                }
            }
        }
    }

    /// A free range of `length` bytes (rounded up to pages) that the kernel picks for a
    /// mapping: the highest below ``pickedMappingsTop`` that no region touches.
    /// ``KernelError/noMemory`` when none is left.
    public func pickRange(length: UInt64) throws(KernelError) -> VirtualAddress {
        guard length != 0, let size = PageGeometry.roundUp(length), size < Self.pickedMappingsTop.raw else { throw .noMemory }
        var end = Self.pickedMappingsTop.raw
        while end >= size + PageGeometry.pageSize {
            let candidate = VirtualRange(start: VirtualAddress(end - size), end: VirtualAddress(end))
            guard let (_, region) = regions.floor(end - 1), region.range.end > candidate.start else {
                if AddressSpaceLayout.isAvailableToPrograms(candidate) { return candidate.start }
                end = AddressSpaceLayout.kernelWindow.start.raw
                continue
            }
            end = region.range.start.raw
        }
        throw .noMemory
    }
}
