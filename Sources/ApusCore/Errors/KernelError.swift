/// The errors a system call can report to a user program.
///
/// A system call returns a signed 64-bit value in `rax`. A negative value is an error whose
/// magnitude is one of these codes, always below `0x100`, so a program tests
/// `r < 0 && -r < 0x100` (ABI.md §1). The numbers are the contract with programs written for
/// KeOS and must never change; most agree with Linux's `errno` values of the same meaning.
///
/// Kernel code reports failures with typed throws, `throws(KernelError)`, so that every
/// path that can fail names the error it produces and the Embedded build needs no
/// existential `Error` boxes.
public enum KernelError: Int64, Error, Sendable, CaseIterable {
    case operationNotPermitted = 1
    case noSuchEntry = 2
    case ioError = 5
    case noExec = 8
    case badFileDescriptor = 9
    case noMemory = 12
    case invalidAccess = 13
    case badAddress = 14
    case busy = 16
    case fileExist = 17
    case notDirectory = 20
    case isDirectory = 21
    case invalidArgument = 22
    case tooManyOpenFile = 24
    case noSpace = 28
    case brokenPipe = 32
    case nameTooLong = 36
    case noSuchSyscall = 38
    case directoryNotEmpty = 39

    /// The value a system call returns for this error: the code, negated.
    @inlinable
    public var syscallReturnValue: Int64 { -rawValue }

    /// Decodes a system call's return value: the error it reports, or `nil` for success.
    @inlinable
    public init?(syscallReturnValue value: Int64) {
        guard value < 0, value > -0x100 else { return nil }
        self.init(rawValue: -value)
    }
}

extension KernelError: CustomStringConvertible {
    /// The name programs know the error by, as in ABI.md §1 (for example `BadAddress`).
    public var description: String { name.withUTF8Buffer { String(decoding: $0, as: UTF8.self) } }

    /// The error's name as ABI.md §1 gives it (``description`` as a static string).
    public var name: StaticString {
        switch self {
        case .operationNotPermitted: "OperationNotPermitted"
        case .noSuchEntry: "NoSuchEntry"
        case .ioError: "IOError"
        case .noExec: "NoExec"
        case .badFileDescriptor: "BadFileDescriptor"
        case .noMemory: "NoMemory"
        case .invalidAccess: "InvalidAccess"
        case .badAddress: "BadAddress"
        case .busy: "Busy"
        case .fileExist: "FileExist"
        case .notDirectory: "NotDirectory"
        case .isDirectory: "IsDirectory"
        case .invalidArgument: "InvalidArgument"
        case .tooManyOpenFile: "TooManyOpenFile"
        case .noSpace: "NoSpace"
        case .brokenPipe: "BrokenPipe"
        case .nameTooLong: "NameTooLong"
        case .noSuchSyscall: "NoSuchSyscall"
        case .directoryNotEmpty: "DirectoryNotEmpty"
        }
    }
}
