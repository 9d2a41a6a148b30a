/// `execve(path, argv, envp)` as the core decodes it: the program's path and its argument
/// and environment strings, read from the caller's memory and checked before the kernel
/// replaces anything (ABI.md §7). The kernel loads the new program into a new address space
/// (``ProgramLaunch``), and only when that succeeded does the old one go.
public enum LinuxExec {
    /// The most strings `argv` and `envp` may hold together, and their bytes (Linux's
    /// `ARG_MAX` is larger; the start-up stack's room is this).
    public static var maximumStrings: Int { 4096 }

    /// What `execve` asks.
    public struct Request: Equatable, Sendable {
        public var path: [UInt8]
        public var arguments: [[UInt8]]
        public var environment: [[UInt8]]

        public init(path: [UInt8], arguments: [[UInt8]], environment: [[UInt8]]) {
            self.path = path
            self.arguments = arguments
            self.environment = environment
        }
    }

    /// The request of `execve(a[0], a[1], a[2])` in `process`: ``KernelError/badAddress``
    /// for a bad pointer, ``KernelError/noSuchEntry`` for an empty path, `E2BIG` (as
    /// ``LinuxErrno``'s 7) when the strings do not fit; a NULL `argv` or `envp` is empty.
    public static func request<RAM, P: Pager>(_ a: SyscallArguments, in process: inout UserProcess<RAM, P>) throws(LinuxErrno) -> Request {
        do throws(KernelError) {
            let path = try process.mm.copyInCString(at: a.address(0), maximumLength: UserProcess<RAM, P>.maximumPathLength)
            guard !path.isEmpty else { throw .noSuchEntry }
            var budget = LinuxStartupStack.argumentSpace
            let arguments = try strings(at: a.address(1), budget: &budget, in: &process.mm)
            let environment = try strings(at: a.address(2), budget: &budget, in: &process.mm)
            return Request(path: LinuxPaths.isSelfExecutable(path) ? process.linux.executablePath : path,
                           arguments: arguments, environment: environment)
        } catch {
            throw error == .invalidArgument ? LinuxErrno.argumentsTooLong : LinuxErrno(error)
        }
    }

    /// The NULL-terminated vector of strings at `vector` (none when it is NULL), within
    /// `budget` bytes (each string, its NUL and its pointer count); past it
    /// ``KernelError/invalidArgument``.
    static func strings<RAM, P: Pager>(at vector: VirtualAddress, budget: inout Int, in mm: inout MmStruct<RAM, P>) throws(KernelError) -> [[UInt8]] {
        guard vector.raw != 0 else { return [] }
        var strings: [[UInt8]] = []
        var slot = vector
        while true {
            let pointer = UInt64(littleEndianBytes: try mm.copyIn(count: 8, from: slot), at: 0)
            if pointer == 0 { return strings }
            guard strings.count < maximumStrings, budget > 8 else { throw .invalidArgument }
            let string: [UInt8]
            do throws(KernelError) {
                string = try mm.copyInCString(at: VirtualAddress(pointer), maximumLength: budget - 8)
            } catch {
                throw error == .nameTooLong ? .invalidArgument : error
            }
            budget -= string.count + 1 + 8
            strings.append(string)
            guard let next = slot.advanced(by: 8) else { throw .badAddress }
            slot = next
        }
    }
}
