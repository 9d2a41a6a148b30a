/// A signal: a number from 1 to 64 that the kernel posts to a process or a thread to tell it
/// that something happened (a child ended, Ctrl-C was typed, it touched memory it may not).
///
/// Linux x86-64 numbers its signals as signal(7) lists them: 1–31 are the *standard* signals,
/// each with a name and a fixed meaning; 32–64 are the *real-time* signals, which programs
/// give meanings of their own (glibc keeps 32 and 33 for its threads, so `SIGRTMIN` is 34 to a
/// program). A program's answer to a signal is its ``SignalAction``; without one the kernel
/// does the signal's ``DefaultAction``.
///
/// Two signals are the kernel's own: `SIGKILL` always ends the process and `SIGSTOP` always
/// stops it. Neither can be caught, ignored or blocked (``isCatchable``), so that something
/// can always end or stop a program, whatever it does with its other signals.
public struct Signal: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The signal's number, 1…64.
    public let number: Int

    /// The lowest and highest signal numbers of Linux x86-64 (`_NSIG` is 64).
    public static let numbers: ClosedRange<Int> = 1...64
    /// The first real-time signal as the kernel counts (`SIGRTMIN` of the kernel headers).
    public static let firstRealTime = 32

    /// The signal numbered `number`, or `nil` outside 1…64.
    @inlinable public init?(number: Int) {
        guard Signal.numbers.contains(number) else { return nil }
        self.number = number
    }

    /// The signal a system call argument names: a number outside 1…64 is
    /// ``KernelError/invalidArgument``, as for Linux's `rt_sigaction` and `kill`.
    @inlinable public static func decoded(_ raw: Int64) throws(KernelError) -> Signal {
        guard raw >= Int64(numbers.lowerBound), raw <= Int64(numbers.upperBound),
              let signal = Signal(number: Int(raw)) else { throw .invalidArgument }
        return signal
    }

    @usableFromInline init(_ number: Int) { self.number = number }

    public static func < (a: Signal, b: Signal) -> Bool { a.number < b.number }

    /// False for `SIGKILL` and `SIGSTOP`, which no program can catch, ignore or block.
    @inlinable public var isCatchable: Bool { self != .kill && self != .stop }

    /// True for 32…64, the signals without a fixed meaning.
    @inlinable public var isRealTime: Bool { number >= Signal.firstRealTime }

    /// The bit that stands for this signal in a ``SignalSet``: bit `number - 1`.
    @inlinable public var bit: UInt64 { 1 << UInt64(number - 1) }

    public static let hangUp = Signal(1)
    public static let interrupt = Signal(2)
    public static let quit = Signal(3)
    public static let illegalInstruction = Signal(4)
    public static let trap = Signal(5)
    public static let abort = Signal(6)
    public static let busError = Signal(7)
    public static let floatingPointException = Signal(8)
    public static let kill = Signal(9)
    public static let user1 = Signal(10)
    public static let segmentationFault = Signal(11)
    public static let user2 = Signal(12)
    public static let brokenPipe = Signal(13)
    public static let alarm = Signal(14)
    public static let terminate = Signal(15)
    public static let stackFault = Signal(16)
    public static let child = Signal(17)
    public static let `continue` = Signal(18)
    public static let stop = Signal(19)
    public static let terminalStop = Signal(20)
    public static let terminalInput = Signal(21)
    public static let terminalOutput = Signal(22)
    public static let urgent = Signal(23)
    public static let cpuTimeLimit = Signal(24)
    public static let fileSizeLimit = Signal(25)
    public static let virtualAlarm = Signal(26)
    public static let profilingAlarm = Signal(27)
    public static let windowChange = Signal(28)
    public static let io = Signal(29)
    public static let power = Signal(30)
    public static let badSystemCall = Signal(31)

    /// The names of signals 1…31 as signal(7) gives them.
    static let standardNames: [StaticString] = [
        "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
        "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT",
        "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
        "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
    ]

    /// The name programs know the signal by: `SIGINT`, or `SIGRT32` … `SIGRT64` for the
    /// real-time signals (numbered as the kernel numbers them).
    public var description: String {
        if isRealTime { return "SIGRT\(number)" }
        return Signal.standardNames[number - 1].withUTF8Buffer { String(decoding: $0, as: UTF8.self) }
    }
}
