/// The trace of a Linux program (ABI.md §7), strace style: its calls by Linux's names
/// (``LinuxSyscallNumber/name``), paths as strings, descriptors as numbers, the bytes a
/// `read` or `write` moved, and an error as its errno's name:
///
///     [1.1] openat(-100, "/etc/passwd", 0x0, 0x0) = -2 ENOENT
///     [1.1] write(1, "hi\n", 3) = 3
///     [1.1] brk(0x0) = 0x5ec000
///
/// A record says its call went through Linux's table with the flag
/// ``SyscallTrace/Flags/linux``; the record itself is the same as a KeOS call's.
extension SyscallTrace {
    /// What the record of Linux call `number` carries: the path it was given (read after the
    /// call, as the call read it: not after a successful `execve`, whose old memory is gone),
    /// or the bytes a `read` or `write` moved.
    static func linuxCarried(number: UInt64, result: Int64) -> Carried {
        guard let call = LinuxSyscallNumber(rawValue: number) else { return .none }
        switch call {
        case .read, .write, .pread64:
            return result > 0 ? .buffer(argument: 1, count: Int(result)) : .none
        case .execve:
            return result < 0 ? .string(argument: 0) : .none
        case .open, .stat, .lstat, .mkdir, .unlink, .rmdir, .chdir, .access, .chmod, .chown, .lchown, .readlink, .rename, .link:
            return .string(argument: 0)
        case .openat, .newfstatat, .mkdirat, .unlinkat, .faccessat, .faccessat2, .readlinkat, .renameat, .renameat2, .linkat,
             .fchmodat, .fchownat, .utimensat:
            return .string(argument: 1)
        default:
            return .none
        }
    }

    /// How each argument of a Linux call shows, one letter each as for KeOS's calls
    /// (``argumentShapes(of:)``): `i` an `int`, `n` a count, `a` an address or flags in
    /// hexadecimal, `s` the string or buffer the record carries.
    static func linuxArgumentShapes(of call: LinuxSyscallNumber) -> StaticString {
        switch call {
        case .read, .write, .readv, .writev, .getdents64: return "isn"
        case .pread64: return "isnn"
        case .open, .stat, .lstat, .access, .chmod, .mkdir: return "sa"
        case .unlink, .rmdir, .chdir: return "s"
        case .readlink: return "san"
        case .rename, .link: return "sa"
        case .chown, .lchown: return "sii"
        case .execve: return "saa"
        case .openat: return "isaa"
        case .newfstatat, .unlinkat, .mkdirat, .faccessat, .faccessat2, .fchmodat, .utimensat: return "isaa"
        case .readlinkat: return "isan"
        case .renameat, .linkat: return "isia"
        case .renameat2: return "isiaa"
        case .fchownat: return "isiia"
        case .close, .dup, .exit, .exitGroup, .fchdir, .fsync, .getpgid, .getsid, .umask: return "i"
        case .fstat, .fchmod: return "ia"
        case .dup2, .kill, .setpgid: return "ii"
        case .dup3, .fcntl, .fchown: return "iia"
        case .tgkill: return "iii"
        case .lseek: return "ini"
        case .ioctl: return "iaa"
        case .pipe: return "a"
        case .select: return "iaaaa"
        case .pselect6: return "iaaaaa"
        case .alarm: return "n"
        case .pipe2: return "aa"
        case .wait4: return "iaaa"
        case .mmap: return "anaaia"
        case .munmap: return "an"
        case .mprotect: return "ana"
        case .brk, .setTidAddress, .uname: return "a"
        case .getcwd, .getrandom: return "ana"
        case .clone: return "aaaaa"
        case .rtSigaction, .rtSigprocmask: return "iaan"
        case .getpid, .getppid, .gettid, .getuid, .geteuid, .getgid, .getegid, .getpgrp, .setsid, .fork, .vfork, .schedYield,
             .rtSigreturn:
            return ""
        default: return "aaa"
        }
    }

    /// A Linux call's line after its `[P.T] `.
    static func appendLinuxCall(_ d: Decoded, to text: inout [UInt8]) {
        let call = LinuxSyscallNumber(rawValue: d.number)
        if let call {
            append(call.name, to: &text)
        } else {
            append("syscall_", to: &text)
            appendDecimal(Int64(d.number), to: &text)
        }
        text.append(UInt8(ascii: "("))
        let shapes = call.map(linuxArgumentShapes(of:)) ?? "aaaaaa"
        for index in 0..<shapes.utf8CodeUnitCount {
            if index > 0 { append(", ", to: &text) }
            switch shapes.utf8Start[index] {
            case UInt8(ascii: "i"): appendDecimal(d.int(index), to: &text)
            case UInt8(ascii: "n"): appendDecimal(Int64(bitPattern: d.argument(index)), to: &text)
            case UInt8(ascii: "s"): appendCarried(d, at: index, to: &text)
            default: appendHexadecimal(d.argument(index), to: &text)
            }
        }
        append(") = ", to: &text)
        guard let result = d.result else {
            text.append(UInt8(ascii: "?"))
            text.append(UInt8(ascii: "\n"))
            return
        }
        if (-4095 ... -1).contains(result) {
            appendDecimal(result, to: &text)
            text.append(UInt8(ascii: " "))
            append(LinuxErrno(code: -result).name, to: &text)
        } else if call == .mmap || call == .brk {
            appendHexadecimal(UInt64(bitPattern: result), to: &text)
        } else {
            appendDecimal(result, to: &text)
        }
        text.append(UInt8(ascii: "\n"))
    }
}
