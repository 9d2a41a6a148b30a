/// Linux's memory calls over the process's ``MmStruct``: the program break (`brk`) and
/// `mmap` with flags, an address the kernel may pick, and `MAP_FIXED` (ABI.md §7).
/// `munmap` of part of a mapping and `mprotect` are the range operations of
/// `RegionRanges.swift`.
extension UserProcess {
    /// `brk(addr)`: moves the break to `address` when the pages between the old and new
    /// break can be mapped (or unmapped), and returns the break as it then is, as Linux
    /// does (a failure returns the old one; `brk(0)` asks where it is).
    public mutating func moveBreak(to address: VirtualAddress) -> VirtualAddress {
        let start = linux.breakStart, current = linux.breakEnd
        guard address >= start, let newEnd = PageGeometry.roundUp(address.raw), let oldEnd = PageGeometry.roundUp(current.raw),
              address.raw - start.raw <= 1 << 32 else { return current }
        if newEnd > oldEnd {
            let range = VirtualRange(start: VirtualAddress(oldEnd), end: VirtualAddress(newEnd))
            guard (try? mm.addRegion(range, permission: [.read, .write], backing: .anonymous)) != nil else { return current }
        } else if newEnd < oldEnd {
            guard (try? mm.unmapRange(VirtualAddress(newEnd), length: oldEnd - newEnd)) != nil else { return current }
        }
        linux.breakEnd = address
        return address
    }

    /// `mmap(addr, length, prot, flags, fd, offset)`: a private mapping, anonymous or of a
    /// file, at `addr` with `MAP_FIXED` (replacing what was there), else where the kernel
    /// picks (the hint is not followed). `MAP_SHARED` of a file is refused
    /// (``KernelError/invalidArgument``: writes would have to reach the file).
    public mutating func linuxMap(_ a: SyscallArguments) throws(KernelError) -> Int64 {
        let flags = a[3], length = a[1]
        let kind = flags & (LinuxMapFlag.shared | LinuxMapFlag.private)
        let known = LinuxMapFlag.shared | LinuxMapFlag.private | LinuxMapFlag.fixed | LinuxMapFlag.anonymous
            | LinuxMapFlag.fixedNoReplace | LinuxMapFlag.ignored
        guard kind != 0, kind != LinuxMapFlag.shared | LinuxMapFlag.private, flags & ~known == 0, length != 0,
              Permission.protectionBits.contains(Permission(rawValue: a[2])) else { throw .invalidArgument }
        let anonymous = flags & LinuxMapFlag.anonymous != 0
        if kind == LinuxMapFlag.shared, !anonymous { throw .invalidArgument }
        let request = try MmapRequest(address: a.address(0), length: length, protection: Permission(rawValue: a[2]).union(.read),
                                      descriptor: anonymous ? MmapRequest.anonymous : a.fileDescriptor(4), offset: anonymous ? 0 : a.signed(5))
        var placed = request
        placed.faultsPastEndOfFile = true
        if flags & (LinuxMapFlag.fixed | LinuxMapFlag.fixedNoReplace) != 0 {
            guard request.address.isPageAligned else { throw .invalidArgument }
            if flags & LinuxMapFlag.fixed != 0 {
                if !anonymous { _ = try files.mappableFile(request.descriptor) }
                try mm.unmapRange(request.address, length: length)
            }
        } else {
            placed.address = try mm.pickRange(length: length)
        }
        return Int64(bitPattern: try mm.mmap(placed, files: files).raw)
    }
}

/// `mmap`'s flags (`<asm-generic/mman.h>`).
public enum LinuxMapFlag {
    public static let shared: UInt64 = 0x01
    public static let `private`: UInt64 = 0x02
    public static let fixed: UInt64 = 0x10
    public static let anonymous: UInt64 = 0x20
    public static let fixedNoReplace: UInt64 = 0x100000
    /// Flags accepted and without effect here: MAP_NORESERVE, MAP_POPULATE, MAP_STACK,
    /// MAP_GROWSDOWN, MAP_DENYWRITE, MAP_EXECUTABLE.
    public static let ignored: UInt64 = 0x4000 | 0x8000 | 0x20000 | 0x0100 | 0x0800 | 0x1000
}
