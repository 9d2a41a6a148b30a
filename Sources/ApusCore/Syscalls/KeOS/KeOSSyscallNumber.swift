/// The KeOS system call numbers (ABI.md §1): what a program puts in `rax` before `syscall`.
///
/// The arguments follow in `rdi, rsi, rdx, r10, r8, r9` (``SyscallArguments``); the result
/// comes back in `rax`, a negative value being an error (``KernelError``). What each call
/// does, and which concept serves it, is the table in ``KeOSSyscalls``.
public enum KeOSSyscallNumber: UInt64, Sendable {
    case exit = 0x00
    case open = 0x01
    case read = 0x02
    case write = 0x03
    case seek = 0x04
    case tell = 0x05
    case close = 0x06
    case pipe = 0x07
    case mmap = 0x08
    case munmap = 0x09
    case fork = 0x0A
    case threadCreate = 0x0B
    case threadJoin = 0x0C
    case exitGroup = 0x0D
    case create = 0x0E
    case mkdir = 0x0F
    case unlink = 0x10
    case chdir = 0x11
    case readdir = 0x12
    case stat = 0x13
    case fsync = 0x14
    case getphys = 0x81
}
