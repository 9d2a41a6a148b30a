/// The memory system calls, as concepts: `mmap` and `munmap` on the process's ``MmStruct``
/// (ABI.md §4), and `getphys`, which shows a program the translation behind one of its
/// addresses.
///
/// KeOS's `mmap` differs from Linux's: five arguments and no flags,
/// `mmap(addr, len, prot, fd, off)`; `addr` 0 is an error, never "choose for me"; `fd` −1 is
/// anonymous memory, anything else must be an open regular file. `munmap(addr)` takes no
/// length and removes the whole mapping that starts at `addr`. The request below holds
/// what both need, decoded; each personality decodes its own registers into it.

/// The file table as `mmap` sees it: the small interface the process's file table
/// implements.
public protocol MappableFileSource {
    /// The regular file open as `descriptor`. ``KernelError/badFileDescriptor`` when nothing
    /// is open there; ``KernelError/invalidArgument`` when it is open but cannot be mapped
    /// (standard input, output or error, a pipe).
    func mappableFile(_ descriptor: Int32) throws(KernelError) -> any MappableFile
}

extension FileTable: MappableFileSource {
    /// The regular file open as `descriptor`; standard input, output, error, pipes and
    /// directories cannot be mapped.
    public func mappableFile(_ descriptor: Int32) throws(KernelError) -> any MappableFile {
        guard case .file(let handle, _, _) = try file(descriptor).kind else { throw .invalidArgument }
        return handle
    }
}

/// An `mmap` request, decoded, before any file is looked up.
public struct MmapRequest: Sendable, Hashable {
    /// The descriptor that asks for anonymous, zero-filled memory.
    public static let anonymous: Int32 = -1

    public var address: VirtualAddress
    public var length: UInt64
    public var protection: Permission
    /// The file descriptor: ``anonymous`` or a descriptor to look up.
    public var descriptor: Int32
    public var offset: UInt64
    /// Whether pages past the end of the file fault (a Linux program's `mmap`) rather than
    /// read as zeros (KeOS's: ``FileBacking``).
    public var faultsPastEndOfFile = false

    /// The request to map `length` bytes at `address` with `protection`, from the file open as
    /// `descriptor` at `offset` (or anonymous memory). The address rules are the mapping's
    /// own (``MmStruct/mmap(at:length:protection:backing:)``); here fail, with
    /// ``KernelError/invalidArgument``, what the arguments alone condemn: a protection with
    /// bits besides READ, WRITE and EXEC or without READ, and an offset that is negative or
    /// unaligned.
    public init(address: VirtualAddress, length: UInt64, protection: Permission, descriptor: Int32, offset: Int64) throws(KernelError) {
        guard Permission.protectionBits.contains(protection), protection.contains(.read),
              offset >= 0, UInt64(offset) & PageGeometry.offsetMask == 0
        else { throw .invalidArgument }
        self.address = address
        self.length = length
        self.protection = protection
        self.descriptor = descriptor
        self.offset = UInt64(offset)
    }
}

extension MmStruct {
    /// `mmap`: maps what `request` asks, its file looked up in `files`, and returns its
    /// address. An empty file cannot be mapped (``KernelError/invalidArgument``); the rest of
    /// the rules and errors are ``mmap(at:length:protection:backing:)``'s.
    public mutating func mmap<Files: MappableFileSource>(_ request: MmapRequest, files: Files) throws(KernelError) -> VirtualAddress {
        let backing: Backing
        if request.descriptor == MmapRequest.anonymous {
            backing = .anonymous
        } else {
            let file = try files.mappableFile(request.descriptor)
            guard try file.size() > 0 else { throw .invalidArgument }
            backing = .file(FileBacking(file: file, offset: request.offset, faultsPastEnd: request.faultsPastEndOfFile))
        }
        return try mmap(at: request.address, length: request.length, protection: request.protection, backing: backing)
    }
}

extension UserProcess {
    /// `mmap` in this process's memory, from its files.
    public mutating func mmap(_ request: MmapRequest) throws(KernelError) -> VirtualAddress {
        try mm.mmap(request, files: files)
    }

    /// `munmap`: the mapping that starts exactly at `address` goes
    /// (``MmStruct/munmap(_:)``).
    public mutating func munmap(_ address: VirtualAddress) throws(KernelError) {
        try mm.munmap(address)
    }

    /// The leaf entry that maps `address` for the program (`getphys`):
    /// ``KernelError/invalidArgument`` when no entry maps it for the program (the kernel's
    /// own pages, which lack USER, are not the program's to look at).
    public func userTranslation(of address: VirtualAddress) throws(KernelError) -> PageTableEntry {
        guard address.isCanonical, let entry = try? mm.pageTable.walk(address), entry.flags.contains(.user)
        else { throw .invalidArgument }
        return entry
    }
}
