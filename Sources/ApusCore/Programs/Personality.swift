/// Which system call table a process uses: KeOS's (ABI.md §1–§6) or Linux's (§7).
///
/// One kernel serves both. A process's personality is fixed when it starts and again at
/// every `execve`, by the header of the program it runs: the OS/ABI byte 3 (GNU/Linux)
/// makes a Linux process, any other value a KeOS one, unless the run forces a choice for
/// programs whose header does not say (`apus run --abi linux|keos`).
public enum Personality: Sendable, Hashable {
    case keos
    case linux

    /// The personality a program with header OS/ABI byte `osABI` runs with: Linux's when
    /// the byte says GNU/Linux; otherwise `unmarked` (KeOS's unless the run says).
    public init(osABI: UInt8, unmarked: Personality = .keos) {
        self = osABI == ELFProgram.osABILinux ? .linux : unmarked
    }

    /// The personality a command line names (`keos` or `linux`), `nil` for another word.
    public init?<Name: Sequence<UInt8>>(name: Name) {
        let word = Array(name)
        if word == Array("linux".utf8) {
            self = .linux
        } else if word == Array("keos".utf8) {
            self = .keos
        } else {
            return nil
        }
    }
}
