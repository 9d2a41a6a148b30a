import ApusCore
import X86_64Support

/// Console input that arrives while a run goes on: how the run notices it and what it does
/// while nothing else can run.
///
/// The input ring raises no interrupt, so the run looks at it at every timer tick (every
/// 4 ms, Timer.swift) and wakes the readers waiting on the console when they could go on.
/// The console's condition is one that something outside the threads can bring about
/// (``ConditionSource/outside``): when every thread left waits and one of them waits for
/// console input, the ``DeadlockRule`` says so, and the CPU idles (`sti; hlt`) until the
/// next tick and looks again, instead of ending the processes. Once the input has ended,
/// the readers are woken (their reads return 0) and no one waits on it any more.
extension ProcessRun {
    /// At a tick, or after idling: wakes the console's readers when input arrived or ended.
    func pollConsoleInput() {
        guard let console = StreamedConsole.current, console.readerCanGoOn else { return }
        scheduler.broadcast(console.arrival)
    }

    /// Every thread left waits, and one of them for the outside: the CPU idles until input
    /// comes or the next tick, and the readers are woken if they can go on.
    func idleForOutside() {
        if StreamedConsole.current?.readerCanGoOn != true { enable_interrupts_and_halt() }
        pollConsoleInput()
    }
}
