/// How a program wants the console's terminal to treat what is typed: the local modes of
/// the settings it gave with `TCSETS` (`c_lflag` of a `struct termios`) that the terminal of
/// `apus run`, on the host, follows while the program runs.
///
/// A terminal in *canonical* mode hands a reader whole lines, after its own editing
/// (Backspace, Ctrl-U), *echoes* what is typed, and turns the *signal keys* (Ctrl-C, Ctrl-\,
/// Ctrl-Z) into signals. That is how programs start; a program with a line editor of its own
/// (busybox's shell at its prompt) turns all three off, reads key by key, echoes and edits
/// itself, and puts them back before it runs a command. The host's terminal is the one the
/// user types at, so it is the host's that follows: the kernel tells the tool the modes
/// through the input ring (``ringWord``), and `apus` sets its terminal to match.
public struct TerminalModes: Hashable, Sendable {
    /// Whole lines, edited by the terminal (`ICANON`).
    public var canonical: Bool
    /// What is typed is echoed (`ECHO`).
    public var echoes: Bool
    /// Ctrl-C, Ctrl-\ and Ctrl-Z are signals, not input (`ISIG`).
    public var signalKeys: Bool

    /// The `c_lflag` bits (`<asm-generic/termbits.h>`).
    public static let signalKeysFlag: UInt32 = 0o1
    public static let canonicalFlag: UInt32 = 0o2
    public static let echoFlag: UInt32 = 0o10
    /// Where `c_lflag` sits in a `struct termios`.
    public static let localFlagsOffset = 12
    /// The bit of ``ringWord`` that says a program set modes (0: the terminal's usual ones).
    static let setBit: UInt64 = 1 << 32

    public init(canonical: Bool, echoes: Bool, signalKeys: Bool) {
        (self.canonical, self.echoes, self.signalKeys) = (canonical, echoes, signalKeys)
    }

    /// The modes of the `struct termios` in `settings` (the bytes `TCSETS` copied in).
    public init(settings: [UInt8]) {
        let flags = settings.count >= Self.localFlagsOffset + 4 ? UInt32(littleEndianBytes: settings, at: Self.localFlagsOffset) : 0
        self.init(canonical: flags & Self.canonicalFlag != 0, echoes: flags & Self.echoFlag != 0,
                  signalKeys: flags & Self.signalKeysFlag != 0)
    }

    /// The modes as the input ring's `terminal_modes` word carries them.
    public var ringWord: UInt64 {
        var flags: UInt32 = 0
        if canonical { flags |= Self.canonicalFlag }
        if echoes { flags |= Self.echoFlag }
        if signalKeys { flags |= Self.signalKeysFlag }
        return Self.setBit | UInt64(flags)
    }

    /// The modes a ring word carries; `nil` for a word no program set (0), or for one that is
    /// no modes' word (the tool does not trust the machine's RAM).
    public init?(ringWord: UInt64) {
        guard ringWord & ~(Self.setBit | UInt64(Self.canonicalFlag | Self.echoFlag | Self.signalKeysFlag)) == 0,
              ringWord & Self.setBit != 0 else { return nil }
        self.init(canonical: ringWord & UInt64(Self.canonicalFlag) != 0, echoes: ringWord & UInt64(Self.echoFlag) != 0,
                  signalKeys: ringWord & UInt64(Self.signalKeysFlag) != 0)
    }
}
