import ApusCore
import Foundation

/// The terminal `apus run` reads from, while a program reads its input from it.
///
/// A terminal in *canonical* mode hands a reader one line at a time, once the user ends it
/// with Return, after its own editing (Backspace, Ctrl-U, Ctrl-W); it echoes what is typed;
/// Ctrl-D on an empty line makes the next read return 0 (the end of the input); and Ctrl-C
/// sends SIGINT to the foreground programs. That is how a program reading a terminal on
/// Linux sees it, so `apus run` puts the terminal in that mode for the run (a shell or a
/// program before may have left it raw) and puts back exactly what it found when the run
/// ends, however it ends (Ctrl-C included: `restore()` is safe to call from the signal
/// handler's thread, and more than once).
///
/// A Linux program may ask for other modes (``TerminalModes``: busybox's shell reads its
/// prompt's line key by key, without echo or signal keys, and edits it itself); the
/// terminal follows them while the run goes on (``follow(_:)``), and line mode again when
/// the program puts the usual modes back.
public enum Terminal {
    nonisolated(unsafe) private static var saved: termios?
    nonisolated(unsafe) private static var lineModeSet = false
    /// The modes a program asked for and the terminal follows; `nil`: line mode.
    nonisolated(unsafe) private static var programModes: TerminalModes?
    private static let lock = NSLock()

    /// The local modes a line-by-line reader needs: canonical input, echo (with erase and
    /// kill shown as erasing), and the signal keys.
    static let lineModes = tcflag_t(ICANON | ECHO | ECHOE | ECHOK | ISIG)

    /// When `descriptor` is a terminal: saves its mode and sets line-by-line input with
    /// echo and signal keys (and carriage returns read as newlines). Returns whether it is a
    /// terminal.
    @discardableResult
    public static func useLineMode(_ descriptor: Int32) -> Bool {
        guard isatty(descriptor) != 0, isForeground(descriptor) else { return false }
        var mode = termios()
        guard tcgetattr(descriptor, &mode) == 0 else { return false }
        lock.lock()
        defer { lock.unlock() }
        saved = mode
        lineModeSet = true
        var run = runMode(from: mode)
        _ = tcsetattr(descriptor, TCSANOW, &run)
        return true
    }

    /// The terminal follows `modes`, the modes the program set (`nil`: line mode), when
    /// ``useLineMode(_:)`` set its mode; nothing changes when it follows them already.
    public static func follow(_ modes: TerminalModes?, _ descriptor: Int32 = STDIN_FILENO) {
        lock.lock()
        defer { lock.unlock() }
        guard lineModeSet, let saved, modes != programModes else { return }
        programModes = modes
        var run = runMode(from: saved)
        _ = tcsetattr(descriptor, TCSANOW, &run)
    }

    /// The mode for the run, from the terminal's own `mode`: line mode, less what the
    /// program turned off. Without canonical input a read returns as soon as a byte is there.
    private static func runMode(from mode: termios) -> termios {
        var run = mode
        run.c_lflag |= lineModes
        run.c_iflag |= tcflag_t(ICRNL)
        guard let modes = programModes else { return run }
        if !modes.canonical {
            run.c_lflag &= ~tcflag_t(ICANON)
            withUnsafeMutableBytes(of: &run.c_cc) { controls in
                controls[Int(VMIN)] = 1
                controls[Int(VTIME)] = 0
            }
        }
        if !modes.echoes { run.c_lflag &= ~tcflag_t(ECHO | ECHONL) }
        if !modes.signalKeys { run.c_lflag &= ~tcflag_t(ISIG) }
        return run
    }

    /// Whether this process may use the terminal at `descriptor`: it is in the terminal's
    /// foreground process group. A background job (`apus run hello &`) that changed the
    /// terminal's mode or read from it would be stopped by SIGTTOU or SIGTTIN.
    public static func isForeground(_ descriptor: Int32) -> Bool {
        tcgetpgrp(descriptor) == getpgrp()
    }

    /// Whether ``useLineMode(_:)`` set a terminal's mode (and a stopped run that goes on
    /// should set it again).
    public static var wasInLineMode: Bool {
        lock.lock()
        defer { lock.unlock() }
        return lineModeSet
    }

    /// Puts the terminal's mode back as ``useLineMode(_:)`` found it.
    public static func restore(_ descriptor: Int32 = STDIN_FILENO) {
        lock.lock()
        defer { lock.unlock() }
        guard var mode = saved else { return }
        _ = tcsetattr(descriptor, TCSANOW, &mode)
        saved = nil
    }
}
