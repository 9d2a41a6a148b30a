/// The `sa_flags` of a ``SignalAction``: how a handler is to be run, with Linux x86-64's
/// values (`<asm/signal.h>`).
///
/// * `SA_SIGINFO`: the handler takes three arguments (signal, `siginfo_t *`, `ucontext_t *`).
///   The kernel passes all three either way, so the flag changes nothing here but is kept.
/// * `SA_RESTORER`: `sa_restorer` is the code the handler returns to, which calls
///   `rt_sigreturn` (glibc's `__restore_rt`). On x86-64 a handler cannot be run without one:
///   the signal frame is refused and the thread gets `SIGSEGV` (``SignalFrame``).
/// * `SA_RESTART`: a blocking system call the signal interrupted is restarted after the
///   handler instead of failing with `EINTR`.
/// * `SA_NODEFER`: the signal is not blocked while its own handler runs.
/// * `SA_RESETHAND`: the action goes back to the default once the handler has been chosen
///   (one-shot handlers, System V's `signal`).
/// * `SA_ONSTACK`: run the handler on the thread's alternate signal stack (``AlternateStack``,
///   set with `sigaltstack`); without one the flag has no effect.
/// * `SA_NOCLDSTOP`, `SA_NOCLDWAIT` (for `SIGCHLD` only): the parent wants no `SIGCHLD` when
///   a child stops; children leave no zombie. Kept for the kernel to consult.
///
/// Any other bit is cleared on the way in, as Linux (since 5.11) does with bits it does not
/// know, so that a program reading the action back sees which flags were understood.
public struct SignalActionFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt64
    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let noChildStop = SignalActionFlags(rawValue: 0x0000_0001)
    public static let noChildWait = SignalActionFlags(rawValue: 0x0000_0002)
    public static let siginfo = SignalActionFlags(rawValue: 0x0000_0004)
    public static let restorer = SignalActionFlags(rawValue: 0x0400_0000)
    public static let onStack = SignalActionFlags(rawValue: 0x0800_0000)
    public static let restart = SignalActionFlags(rawValue: 0x1000_0000)
    public static let noDefer = SignalActionFlags(rawValue: 0x4000_0000)
    public static let resetHand = SignalActionFlags(rawValue: 0x8000_0000)

    /// Every flag the kernel understands.
    public static let known: SignalActionFlags = [.noChildStop, .noChildWait, .siginfo, .restorer, .onStack, .restart, .noDefer, .resetHand]

    /// The flags of `raw` the kernel understands; the other bits dropped.
    @inlinable public init(decoding raw: UInt64) { rawValue = raw & SignalActionFlags.known.rawValue }
}
