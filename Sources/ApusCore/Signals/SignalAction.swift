/// What a program asked to happen when a signal arrives: Linux's `struct sigaction`, set and
/// read with `rt_sigaction`.
///
/// An action has a *handler*: `SIG_DFL` (0, the signal's ``DefaultAction``), `SIG_IGN` (1,
/// nothing) or the address of a function in the program. With a function come
/// ``SignalActionFlags``, the *mask* of signals blocked while the function runs (besides the
/// signal itself, unless `SA_NODEFER`), and the *restorer*, the code the function returns
/// to, which calls `rt_sigreturn`.
///
/// The kernel reads and writes it as `struct kernel_sigaction`, which differs from glibc's
/// `struct sigaction` in field order and in the size of the mask (32 bytes):
///
/// ```
/// offset  0  sa_handler   8 bytes  (SIG_DFL = 0, SIG_IGN = 1, or a function address)
/// offset  8  sa_flags     8 bytes
/// offset 16  sa_restorer  8 bytes
/// offset 24  sa_mask      8 bytes  (a sigset_t, sigsetsize = 8)
/// ```
///
/// The kernel never calls the handler address itself, so it is kept as the program gave it;
/// a bad one makes the program fault in its own handler, which is the program's affair.
public struct SignalAction: Hashable, Sendable {
    /// Where a signal goes: the kernel's default, nowhere, or a function of the program.
    public enum Handler: Hashable, Sendable {
        case `default`
        case ignore
        case function(UInt64)

        /// `SIG_DFL` and `SIG_IGN`, the two handler values that are not addresses.
        public static let defaultValue: UInt64 = 0
        public static let ignoreValue: UInt64 = 1

        @inlinable public init(raw: UInt64) {
            switch raw {
            case Handler.defaultValue: self = .default
            case Handler.ignoreValue: self = .ignore
            default: self = .function(raw)
            }
        }

        @inlinable public var raw: UInt64 {
            switch self {
            case .default: Handler.defaultValue
            case .ignore: Handler.ignoreValue
            case let .function(address): address
            }
        }
    }

    public var handler: Handler
    public var flags: SignalActionFlags
    /// Signals blocked, besides those already blocked, while the handler runs.
    public var mask: SignalSet
    /// The code the handler returns to (meaningful with `SA_RESTORER`).
    public var restorer: UInt64

    /// The size of `struct kernel_sigaction` in bytes.
    public static let byteCount = 32

    @inlinable public init(handler: Handler, flags: SignalActionFlags = [], mask: SignalSet = .empty, restorer: UInt64 = 0) {
        self.handler = handler
        self.flags = flags
        self.mask = mask
        self.restorer = restorer
    }

    /// The action every signal starts with, and every handled signal gets back at `execve`.
    public static let `default` = SignalAction(handler: .default)
    public static let ignore = SignalAction(handler: .ignore)

    /// The action in the `struct kernel_sigaction` at the start of `bytes` (32 bytes, as
    /// copied from the program); `sigsetSize` is the call's fourth argument, which must be 8.
    /// Unknown flags are dropped and `SIGKILL`/`SIGSTOP` removed from the mask.
    public init(kernelSigaction bytes: [UInt8], sigsetSize: UInt64) throws(KernelError) {
        try SignalSet.checkSize(sigsetSize)
        guard bytes.count >= SignalAction.byteCount else { throw .badAddress }
        handler = Handler(raw: UInt64(littleEndianBytes: bytes, at: 0))
        flags = SignalActionFlags(decoding: UInt64(littleEndianBytes: bytes, at: 8))
        restorer = UInt64(littleEndianBytes: bytes, at: 16)
        mask = SignalSet(bytes: bytes, at: 24).blockable
    }

    /// The action as the 32 bytes of a `struct kernel_sigaction`, for the old action that
    /// `rt_sigaction` writes back.
    public var kernelSigaction: [UInt8] {
        handler.raw.littleEndianBytes + flags.rawValue.littleEndianBytes + restorer.littleEndianBytes + mask.bytes
    }

    /// True when a signal with this action would do nothing at all: `SIG_IGN`, or `SIG_DFL`
    /// for a signal whose default is to be ignored.
    @inlinable public func ignores(_ signal: Signal) -> Bool {
        switch handler {
        case .ignore: true
        case .default: signal.defaultAction == .ignore
        case .function: false
        }
    }

    /// The action an `execve` leaves: a handler cannot survive the program it belonged to,
    /// so it becomes `SIG_DFL`; `SIG_IGN` stays (that is how `nohup` works). Flags, mask and
    /// restorer are cleared, as Linux's `flush_signal_handlers` does.
    @inlinable public var afterExec: SignalAction {
        handler == .ignore ? .ignore : .default
    }
}
