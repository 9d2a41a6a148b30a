import ApusCore
import KernelSupport

/// Console input that arrives while a run goes on: how the run notices it and what it does
/// while nothing else can run.
///
/// The input ring raises no interrupt, so the run looks at it at every timer tick (every
/// 4 ms, Timer.swift) and wakes the readers waiting on the console when they could go on. A
/// thread waiting for console input that may still come is not deadlocked: when every
/// thread left waits and one of them waits for input, the CPU idles (`sti; hlt`) until the
/// next tick and looks again, instead of ending the processes. Once the input has ended,
/// the readers are woken (their reads return 0) and the usual deadlock rule holds again.
extension ProcessRun {
    /// At a tick, or after idling: wakes the console's readers when input arrived or ended.
    func pollConsoleInput() {
        guard let console = StreamedConsole.current, console.readerCanGoOn else { return }
        scheduler.broadcast(console.arrival)
    }

    /// With every thread left waiting: true when one of them waits for console input that
    /// may still come; then the CPU has idled until input came or the next tick, and the
    /// readers are woken if they can go on. False when no one waits for console input.
    func idleForConsoleInput(_ waiting: [ThreadControlBlock]) -> Bool {
        guard let console = StreamedConsole.current else { return false }
        let readerWaits = waiting.contains { thread in
            if case .waiting(let queue) = thread.state { queue === console.arrival.waiters } else { false }
        }
        guard readerWaits else { return false }
        if !console.readerCanGoOn { enable_interrupts_and_halt() }
        pollConsoleInput()
        return true
    }
}
