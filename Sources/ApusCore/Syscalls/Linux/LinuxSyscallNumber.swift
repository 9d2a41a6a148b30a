/// Linux's x86-64 system call numbers (`arch/x86/entry/syscalls/syscall_64.tbl`) for the
/// calls Apus serves to Linux programs (ABI.md §7). Any other number is −ENOSYS, and the
/// kernel log names it (``LinuxSyscalls``).
public enum LinuxSyscallNumber: UInt64, Sendable, CaseIterable {
    case read = 0
    case write = 1
    case open = 2
    case close = 3
    case stat = 4
    case fstat = 5
    case lstat = 6
    case poll = 7
    case lseek = 8
    case mmap = 9
    case mprotect = 10
    case munmap = 11
    case brk = 12
    case rtSigaction = 13
    case rtSigprocmask = 14
    case rtSigreturn = 15
    case ioctl = 16
    case pread64 = 17
    case readv = 19
    case writev = 20
    case access = 21
    case pipe = 22
    case select = 23
    case schedYield = 24
    case dup = 32
    case dup2 = 33
    case nanosleep = 35
    case alarm = 37
    case getpid = 39
    case clone = 56
    case fork = 57
    case vfork = 58
    case execve = 59
    case exit = 60
    case wait4 = 61
    case kill = 62
    case uname = 63
    case fcntl = 72
    case fsync = 74
    case getcwd = 79
    case chdir = 80
    case fchdir = 81
    case mkdir = 83
    case rmdir = 84
    case rename = 82
    case link = 86
    case unlink = 87
    case readlink = 89
    case chmod = 90
    case fchmod = 91
    case chown = 92
    case fchown = 93
    case lchown = 94
    case umask = 95
    case gettimeofday = 96
    case getuid = 102
    case getgid = 104
    case geteuid = 107
    case getegid = 108
    case setpgid = 109
    case getppid = 110
    case getpgrp = 111
    case setsid = 112
    case getpgid = 121
    case getsid = 124
    case rtSigsuspend = 130
    case sigaltstack = 131
    case prctl = 157
    case archPrctl = 158
    case gettid = 186
    case tkill = 200
    case getdents64 = 217
    case setTidAddress = 218
    case clockGettime = 228
    case clockNanosleep = 230
    case exitGroup = 231
    case tgkill = 234
    case openat = 257
    case mkdirat = 258
    case fchownat = 260
    case newfstatat = 262
    case unlinkat = 263
    case renameat = 264
    case linkat = 265
    case readlinkat = 267
    case fchmodat = 268
    case pselect6 = 270
    case ppoll = 271
    case utimensat = 280
    case faccessat = 269
    case setRobustList = 273
    case dup3 = 292
    case pipe2 = 293
    case prlimit64 = 302
    case renameat2 = 316
    case getrandom = 318
    case rseq = 334
    case faccessat2 = 439

    /// The call's name as Linux's headers spell it (`__NR_` less), for traces and logs.
    public var name: StaticString {
        switch self {
        case .read: "read"
        case .write: "write"
        case .open: "open"
        case .close: "close"
        case .stat: "stat"
        case .fstat: "fstat"
        case .lstat: "lstat"
        case .poll: "poll"
        case .lseek: "lseek"
        case .mmap: "mmap"
        case .mprotect: "mprotect"
        case .munmap: "munmap"
        case .brk: "brk"
        case .rtSigaction: "rt_sigaction"
        case .rtSigprocmask: "rt_sigprocmask"
        case .rtSigreturn: "rt_sigreturn"
        case .ioctl: "ioctl"
        case .pread64: "pread64"
        case .readv: "readv"
        case .writev: "writev"
        case .access: "access"
        case .pipe: "pipe"
        case .select: "select"
        case .schedYield: "sched_yield"
        case .dup: "dup"
        case .dup2: "dup2"
        case .nanosleep: "nanosleep"
        case .alarm: "alarm"
        case .getpid: "getpid"
        case .clone: "clone"
        case .fork: "fork"
        case .vfork: "vfork"
        case .execve: "execve"
        case .exit: "exit"
        case .wait4: "wait4"
        case .kill: "kill"
        case .uname: "uname"
        case .fcntl: "fcntl"
        case .fsync: "fsync"
        case .getcwd: "getcwd"
        case .chdir: "chdir"
        case .fchdir: "fchdir"
        case .mkdir: "mkdir"
        case .rmdir: "rmdir"
        case .rename: "rename"
        case .link: "link"
        case .chmod: "chmod"
        case .fchmod: "fchmod"
        case .chown: "chown"
        case .fchown: "fchown"
        case .lchown: "lchown"
        case .fchownat: "fchownat"
        case .fchmodat: "fchmodat"
        case .pselect6: "pselect6"
        case .ppoll: "ppoll"
        case .unlink: "unlink"
        case .readlink: "readlink"
        case .umask: "umask"
        case .gettimeofday: "gettimeofday"
        case .getuid: "getuid"
        case .getgid: "getgid"
        case .geteuid: "geteuid"
        case .getegid: "getegid"
        case .setpgid: "setpgid"
        case .getppid: "getppid"
        case .getpgrp: "getpgrp"
        case .setsid: "setsid"
        case .getpgid: "getpgid"
        case .getsid: "getsid"
        case .rtSigsuspend: "rt_sigsuspend"
        case .sigaltstack: "sigaltstack"
        case .prctl: "prctl"
        case .archPrctl: "arch_prctl"
        case .gettid: "gettid"
        case .tkill: "tkill"
        case .getdents64: "getdents64"
        case .setTidAddress: "set_tid_address"
        case .clockGettime: "clock_gettime"
        case .clockNanosleep: "clock_nanosleep"
        case .exitGroup: "exit_group"
        case .tgkill: "tgkill"
        case .openat: "openat"
        case .mkdirat: "mkdirat"
        case .newfstatat: "newfstatat"
        case .unlinkat: "unlinkat"
        case .renameat: "renameat"
        case .linkat: "linkat"
        case .renameat2: "renameat2"
        case .readlinkat: "readlinkat"
        case .utimensat: "utimensat"
        case .faccessat: "faccessat"
        case .setRobustList: "set_robust_list"
        case .dup3: "dup3"
        case .pipe2: "pipe2"
        case .prlimit64: "prlimit64"
        case .getrandom: "getrandom"
        case .rseq: "rseq"
        case .faccessat2: "faccessat2"
        }
    }
}
