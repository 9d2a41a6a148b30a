/// The signal dispositions of a Linux process as `rt_sigaction` sets and reports them:
/// for each signal 1…64, the kernel's `struct sigaction` (handler, flags, restorer, mask:
/// four 64-bit words). A signal never set has the default action (all zero). `SIGKILL`
/// and `SIGSTOP` cannot be changed. At `execve` handlers go back to the default, and
/// ignored signals stay ignored.
public struct LinuxSignalActions: Sendable, Equatable {
    public static let signalCount = 64
    public static let actionSize = 32
    static let kill = 9, stop = 19
    /// The handler value of an ignored signal (`SIG_IGN`).
    static let ignore: UInt64 = 1

    /// Four words per signal, from signal 1; empty until the first change.
    private var words: [UInt64] = []

    public init() {}

    /// The action of `signal` as `struct sigaction`'s 32 bytes.
    public func action(_ signal: Int) -> [UInt8] {
        guard !words.isEmpty else { return [UInt8](repeating: 0, count: Self.actionSize) }
        return (0..<4).flatMap { words[(signal - 1) * 4 + $0].littleEndianBytes }
    }

    /// The handler of `signal` (0 default, 1 ignored, else an address).
    public func handler(_ signal: Int) -> UInt64 {
        words.isEmpty ? 0 : words[(signal - 1) * 4]
    }

    /// Sets `signal`'s action from `bytes` (a `struct sigaction`).
    /// ``KernelError/invalidArgument`` for a signal outside 1…64, `SIGKILL` or `SIGSTOP`.
    public mutating func set(_ signal: Int, to bytes: [UInt8]) throws(KernelError) {
        guard Self.isChangeable(signal), bytes.count == Self.actionSize else { throw .invalidArgument }
        if words.isEmpty { words = [UInt64](repeating: 0, count: Self.signalCount * 4) }
        for index in 0..<4 { words[(signal - 1) * 4 + index] = UInt64(littleEndianBytes: bytes, at: index * 8) }
    }

    /// Whether `signal` is a signal number whose action a program may change.
    public static func isChangeable(_ signal: Int) -> Bool {
        (1...signalCount).contains(signal) && signal != kill && signal != stop
    }

    /// The actions after `execve`: handlers back to the default, ignored signals ignored.
    public func afterExec() -> LinuxSignalActions {
        var reset = LinuxSignalActions()
        for signal in 1...Self.signalCount where handler(signal) == Self.ignore {
            try? reset.set(signal, to: Self.ignore.littleEndianBytes + [UInt8](repeating: 0, count: 24))
        }
        return reset
    }
}
