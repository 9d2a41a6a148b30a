/// A set of signals as one 64-bit mask: bit `n - 1` stands for signal `n`.
///
/// This is exactly Linux's kernel `sigset_t` on x86-64: 8 bytes, little-endian, the form
/// `rt_sigprocmask`, `rt_sigaction`, `rt_sigsuspend` and a signal frame's `uc_sigmask` carry.
/// (glibc's own `sigset_t` is 128 bytes, but it passes only the first 8 to the kernel, with
/// `sigsetsize = 8`; any other size is refused: ``checkSize(_:)``.)
///
/// A thread's *blocked* mask and its *pending* set are signal sets.
public struct SignalSet: Hashable, Sendable, CustomStringConvertible {
    /// The mask: bit `n - 1` set when signal `n` is in the set.
    public var bits: UInt64

    /// The size of a `sigset_t` in bytes, the only `sigsetsize` the calls accept.
    public static let byteCount = 8

    @inlinable public init(bits: UInt64 = 0) { self.bits = bits }

    @inlinable public init(_ signals: [Signal]) {
        bits = 0
        for signal in signals { insert(signal) }
    }

    public static let empty = SignalSet()
    /// Every signal, 1…64.
    public static let all = SignalSet(bits: ~0)
    /// `SIGKILL` and `SIGSTOP`: what no mask may ever hold (``blockable``).
    public static let unblockable = SignalSet([.kill, .stop])
    /// The signals whose default is to stop the process: `SIGSTOP`, `SIGTSTP`, `SIGTTIN`,
    /// `SIGTTOU`.
    public static let stops = SignalSet([.stop, .terminalStop, .terminalInput, .terminalOutput])
    /// The signals a fault of the thread itself can raise (Linux's `SYNCHRONOUS_MASK`):
    /// `SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGTRAP`, `SIGFPE`, `SIGSYS`.
    public static let synchronous = SignalSet([.segmentationFault, .busError, .illegalInstruction, .trap,
                                               .floatingPointException, .badSystemCall])

    @inlinable public var isEmpty: Bool { bits == 0 }
    @inlinable public func contains(_ signal: Signal) -> Bool { bits & signal.bit != 0 }
    @inlinable public mutating func insert(_ signal: Signal) { bits |= signal.bit }
    @inlinable public mutating func remove(_ signal: Signal) { bits &= ~signal.bit }
    @inlinable public func union(_ other: SignalSet) -> SignalSet { SignalSet(bits: bits | other.bits) }
    @inlinable public func intersection(_ other: SignalSet) -> SignalSet { SignalSet(bits: bits & other.bits) }
    @inlinable public func subtracting(_ other: SignalSet) -> SignalSet { SignalSet(bits: bits & ~other.bits) }

    /// The set without `SIGKILL` and `SIGSTOP`: what the kernel stores when a program asks to
    /// block a set. Linux drops the two silently rather than failing the call.
    @inlinable public var blockable: SignalSet { subtracting(.unblockable) }

    /// The lowest-numbered signal of the set, or `nil` when it is empty.
    @inlinable public var lowest: Signal? {
        bits == 0 ? nil : Signal(number: bits.trailingZeroBitCount + 1)
    }

    /// The signals of the set, lowest first.
    public var signals: [Signal] {
        var signals: [Signal] = []
        var rest = bits
        while rest != 0 {
            if let signal = Signal(number: rest.trailingZeroBitCount + 1) { signals.append(signal) }
            rest &= rest - 1
        }
        return signals
    }

    /// Fails with ``KernelError/invalidArgument`` unless `size` (a call's `sigsetsize`) is 8.
    @inlinable public static func checkSize(_ size: UInt64) throws(KernelError) {
        guard size == UInt64(byteCount) else { throw .invalidArgument }
    }

    /// The set as 8 little-endian bytes, as a `sigset_t` in user memory.
    public var bytes: [UInt8] { bits.littleEndianBytes }

    /// The set whose `sigset_t` starts at `offset` in `bytes`.
    public init(bytes: [UInt8], at offset: Int = 0) {
        bits = UInt64(littleEndianBytes: bytes, at: offset)
    }

    /// The signals' names in braces: `{SIGINT, SIGCHLD}`.
    public var description: String {
        var text = "{"
        for (index, signal) in signals.enumerated() { text += (index == 0 ? "" : ", ") + signal.description }
        return text + "}"
    }
}
