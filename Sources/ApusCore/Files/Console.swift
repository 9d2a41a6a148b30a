/// The console: where a program's standard input comes from and where its standard output
/// and error go (the terminal of `apus run`, or a test's buffers).
///
/// Input may arrive while the program runs: a user types a line, a pipe on the host brings
/// the next megabyte. So a read of standard input is like a read of a pipe (ABI.md §5): it
/// returns what is pending, up to the count asked; when nothing is pending but more may
/// still come, the reader *waits* on the console's ``inputArrival`` condition and uses no
/// CPU until the kernel sees input arrive (or end) and broadcasts it; once the input has ended
/// (Ctrl-D, the end of a file) a read of an empty input returns 0, every time.
///
/// A console whose input is all there from the start (a test's string, a boot module) has
/// no condition: its input has ended as soon as it is read.
///
/// A Linux program sees the console as a terminal: it reads its settings (`TCGETS`) and
/// changes them (`TCSETS`, ``setTerminalSettings(_:)``), which one where a user types
/// follows (``TerminalModes``); others keep a canonical terminal's and ignore changes.
public protocol Console: AnyObject {
    /// Bytes of input that a read can take now without waiting.
    var pendingInputCount: Int { get }
    /// Copies up to `buffer.count` bytes of pending input into `buffer` and returns how many;
    /// 0 when none is pending (then `buffer` is untouched).
    func readInput(into buffer: UnsafeMutableRawBufferPointer) -> Int
    /// Writes `bytes` to standard output or standard error.
    func write(_ bytes: UnsafeRawBufferPointer, to stream: ConsoleStream)
    /// Where a reader of an empty input waits while more input may still come; `nil` once
    /// the input has ended (then a read of an empty input returns 0), or at an end of file
    /// that ends one read only (Ctrl-D at a terminal).
    var inputArrival: ConditionVariable? { get }
    /// A read of at least a byte found nothing pending and nothing to wait for, and returns
    /// 0: an end of file that ends one read is used up.
    func takeEndOfFile()
    /// The terminal's settings, a `struct termios` (``LinuxStructures/termiosSize`` bytes),
    /// as `TCGETS` reports them.
    var terminalSettings: [UInt8] { get }
    /// `TCSETS`: the settings a program gives (``LinuxStructures/termiosSize`` bytes).
    func setTerminalSettings(_ settings: [UInt8])
}

extension Console {
    /// A console whose input is all there from the start never waits.
    public var inputArrival: ConditionVariable? { nil }
    /// A console whose input ends once has no end of file to use up.
    public func takeEndOfFile() {}
    /// A console no one types at stays a canonical terminal.
    public var terminalSettings: [UInt8] { LinuxStructures.canonicalTerminal }
    public func setTerminalSettings(_ settings: [UInt8]) {}
}

public enum ConsoleStream: Sendable {
    case output
    case error
}
