/// A Linux system call's error: an `errno` value, returned negated (−errno) in `rax`.
///
/// The kernel's own errors (``KernelError``) carry Linux's numbers already (ENOENT is 2,
/// EFAULT 14…), so each maps to itself; the codes below are those only Linux's calls
/// report.
public struct LinuxErrno: Error, Equatable, Sendable {
    public var code: Int64

    public init(code: Int64) { self.code = code }

    /// The Linux error of the kernel's `error` (the same number).
    public init(_ error: KernelError) { code = error.rawValue }

    /// The value the call returns in `rax`.
    public var syscallReturnValue: Int64 { -code }

    public static let noSuchProcess = LinuxErrno(code: 3) // ESRCH
    public static let interrupted = LinuxErrno(code: 4) // EINTR
    public static let io = LinuxErrno(.ioError) // EIO
    public static let argumentsTooLong = LinuxErrno(code: 7) // E2BIG
    public static let noChild = LinuxErrno(code: 10) // ECHILD
    public static let tryAgain = LinuxErrno(code: 11) // EAGAIN
    public static let notATerminal = LinuxErrno(code: 25) // ENOTTY
    public static let illegalSeek = LinuxErrno(code: 29) // ESPIPE
    public static let outOfRange = LinuxErrno(code: 34) // ERANGE
    public static let noSuchCall = LinuxErrno(.noSuchSyscall) // ENOSYS
    public static let invalid = LinuxErrno(.invalidArgument) // EINVAL
    public static let fault = LinuxErrno(.badAddress) // EFAULT
    public static let badDescriptor = LinuxErrno(.badFileDescriptor) // EBADF
    public static let notPermitted = LinuxErrno(.operationNotPermitted) // EPERM
    public static let accessDenied = LinuxErrno(.invalidAccess) // EACCES

    /// The errno's name as Linux's headers spell it (`ENOENT`), `E?` for one Apus never returns.
    public var name: StaticString {
        switch code {
        case 1: "EPERM"
        case 2: "ENOENT"
        case 3: "ESRCH"
        case 4: "EINTR"
        case 5: "EIO"
        case 7: "E2BIG"
        case 8: "ENOEXEC"
        case 9: "EBADF"
        case 10: "ECHILD"
        case 11: "EAGAIN"
        case 12: "ENOMEM"
        case 13: "EACCES"
        case 14: "EFAULT"
        case 16: "EBUSY"
        case 17: "EEXIST"
        case 18: "EXDEV"
        case 20: "ENOTDIR"
        case 21: "EISDIR"
        case 22: "EINVAL"
        case 24: "EMFILE"
        case 25: "ENOTTY"
        case 27: "EFBIG"
        case 28: "ENOSPC"
        case 29: "ESPIPE"
        case 32: "EPIPE"
        case 34: "ERANGE"
        case 36: "ENAMETOOLONG"
        case 38: "ENOSYS"
        case 39: "ENOTEMPTY"
        case 40: "ELOOP"
        default: "E?"
        }
    }
}
