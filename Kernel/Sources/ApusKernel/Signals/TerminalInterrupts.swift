import X86_64Support

/// Ctrl-C at the host's terminal, as a Linux program expects it: `SIGINT` to the console's
/// foreground process group (``ControllingTerminal``), so a shell's foreground job ends and
/// the shell, which handles or ignores `SIGINT`, goes on. Ctrl-Z likewise sends `SIGTSTP`:
/// the job stops and its shell takes the terminal back (`fg` continues it). A group that no
/// shell could continue (the run's first process is one) passes over the stop, as on Linux
/// (``ProcessGroups/ignoresDefaultStop(by:group:among:)``, ProcessStops.swift).
///
/// The host's terminal turns Ctrl-C into a `SIGINT` for `apus` itself, which passes it on
/// through the input ring (StreamedConsole.swift) while the run says it takes it: while its
/// first process runs a Linux program, whose session the console is. Otherwise (a KeOS
/// program leads the run, which has no signals) `apus` ends the run as it always did. The
/// kernel looks at the ring's counts at each of the bootstrap CPU's ticks and whenever a CPU
/// idles, as for input.
extension ProcessRun {
    /// Tells the host whether Ctrl-C and Ctrl-Z are the run's: while its first process runs
    /// a Linux program (at its start, and after each of its `execve`s).
    func routeInterrupts() {
        let first = table.entry(ProcessTable<ProcessControlBlock>.firstProcessID)?.process
        StreamedConsole.current?.takesInterrupts = first?.core.personality == .linux
    }

    /// Ctrl-C or Ctrl-Z was pressed since the last look (once or more): `SIGINT` or
    /// `SIGTSTP` to the foreground group.
    func pollInterrupts() {
        guard let console = StreamedConsole.current, console.takesInterrupts else { return }
        if console.takeInterrupt() { _ = send(.fromKernel(.interrupt), to: .group(terminal.foregroundGroup), sender: nil) }
        if console.takeSuspension() { _ = send(.fromKernel(.terminalStop), to: .group(terminal.foregroundGroup), sender: nil) }
    }
}
