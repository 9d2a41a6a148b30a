/// The memory system calls as a program makes them: `mmap` (8) and `munmap` (9), decoded
/// from raw registers and carried out on the process's ``MmStruct`` (ABI.md §4).
///
/// KeOS's `mmap` differs from Linux's: five arguments and no flags,
/// `mmap(addr, len, prot, fd, off)`; `addr` 0 is an error, never "choose for me"; `fd` −1 is
/// anonymous memory, anything else must be an open regular file. `munmap(addr)` takes no
/// length and removes the whole mapping that starts at `addr`.

/// The file table as `mmap` sees it: the small interface the process's file table
/// implements.
public protocol MappableFileSource {
    /// The regular file open as `descriptor`. ``KernelError/badFileDescriptor`` when nothing
    /// is open there; ``KernelError/invalidArgument`` when it is open but cannot be mapped
    /// (standard input, output or error, a pipe).
    func mappableFile(_ descriptor: Int32) throws(KernelError) -> any MappableFile
}

/// An `mmap` request decoded from its registers, before any file is looked up.
public struct MmapRequest: Sendable, Hashable {
    /// The descriptor that asks for anonymous, zero-filled memory.
    public static let anonymous: Int32 = -1

    public var address: VirtualAddress
    public var length: UInt64
    public var protection: Permission
    /// The file descriptor: ``anonymous`` or a descriptor to look up.
    public var descriptor: Int32
    public var offset: UInt64

    /// Decodes `mmap(addr, len, prot, fd, off)`. The address rules are the mapping's own
    /// (``MmStruct/mmap(at:length:protection:backing:)``); here fail what the registers
    /// alone condemn, with ``KernelError/invalidArgument``: a `prot` with bits besides
    /// READ, WRITE and EXEC or without READ, and an offset that is negative or unaligned.
    public init(_ arguments: SyscallArguments) throws(KernelError) {
        let protection = Permission(rawValue: arguments[2])
        let offset = arguments.signed(4)
        guard Permission.protectionBits.contains(protection), protection.contains(.read),
              offset >= 0, UInt64(offset) & PageGeometry.offsetMask == 0
        else { throw .invalidArgument }
        address = arguments.address(0)
        length = arguments[1]
        self.protection = protection
        descriptor = arguments.fileDescriptor(3)
        self.offset = UInt64(offset)
    }
}

public enum MemorySyscalls {
    /// `mmap(addr, len, prot, fd, off)`: returns `addr`, or an error code (negative).
    public static func mmap<RAM, P: Pager, Files: MappableFileSource>(
        _ arguments: SyscallArguments, memory: inout MmStruct<RAM, P>, files: Files
    ) -> Int64 {
        do throws(KernelError) {
            let request = try MmapRequest(arguments)
            let backing: Backing
            if request.descriptor == MmapRequest.anonymous {
                backing = .anonymous
            } else {
                let file = try files.mappableFile(request.descriptor)
                guard file.size > 0 else { throw .invalidArgument }
                backing = .file(FileBacking(file: file, offset: request.offset))
            }
            let address = try memory.mmap(at: request.address, length: request.length, protection: request.protection, backing: backing)
            return Int64(bitPattern: address.raw)
        } catch {
            return error.syscallReturnValue
        }
    }

    /// `munmap(addr)`: returns 0, or an error code (negative).
    public static func munmap<RAM, P: Pager>(_ arguments: SyscallArguments, memory: inout MmStruct<RAM, P>) -> Int64 {
        do throws(KernelError) {
            try memory.munmap(arguments.address(0))
            return 0
        } catch {
            return error.syscallReturnValue
        }
    }
}
