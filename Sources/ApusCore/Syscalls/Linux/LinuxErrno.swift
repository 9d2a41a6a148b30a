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
}
