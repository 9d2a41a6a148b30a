/// The signal keys typed at this process's terminal, for a machine whose run takes them: a
/// Linux program leads it, and its console's foreground process group gets the signal
/// (the kernel's TerminalInterrupts.swift). When no run takes them, the keys are the tool's
/// own: Ctrl-C ends the run, Ctrl-Z stops the machine with the tool.
extension Machine {
    /// Ctrl-C: passed on as SIGINT (true), or not taken, and the tool is to end as Ctrl-C
    /// ends it (false).
    public static func passInterrupt() -> Bool {
        InputRingWriter.passInterrupt()
    }

    /// Ctrl-Z: passed on as SIGTSTP (true), or not taken, and the tool is to stop the
    /// machine and itself (false).
    public static func passSuspension() -> Bool {
        InputRingWriter.passSuspension()
    }
}
