import KernelRuntime
import X86_64Support

/// The console of a run whose standard input streams in while it runs (`apus run` with the
/// machine's RAM shared): input from the input ring (input_ring.c), output to the program's
/// channels like ``BootConsole``.
///
/// A read takes what the ring holds; when it holds nothing and the host has not said that
/// the input ended, the reader waits on ``arrival`` (ABI.md §5). An end of file the host
/// marked (Ctrl-D at a terminal, while a Linux program leads the run) makes one read return
/// 0, and the input goes on after it.
///
/// Nothing tells the kernel when bytes arrive (the ring raises no interrupt), so the console
/// is a source of wake-ups from outside the threads that the run looks at
/// (``OutsideWakeSource``): its readers are woken when bytes are pending or the input has
/// ended (their reads then return 0, and no one waits on it any more).
///
/// Ctrl-C at the host's terminal comes through the ring too, as a count of presses, while
/// the run says it takes them (``takesInterrupts``; TerminalInterrupts.swift); and the modes a
/// program sets for the terminal go the other way, for the host's terminal to follow
/// (``setTerminalSettings(_:)``).
///
/// Owned by the kernel lock (``LockMap``): every read and write of a program, and the ticks
/// that look at the ring, hold it.
final class StreamedConsole: Console, OutsideWakeSource {
    /// The streamed console of the run going on, if its input streams.
    nonisolated(unsafe) static var current: StreamedConsole?

    /// The presses of Ctrl-C and Ctrl-Z the run has acted on: those before it started are
    /// not its.
    private var interruptsSeen = apus_input_ring_interrupts()
    private var suspensionsSeen = apus_input_ring_suspensions()

    /// Whether Ctrl-C and Ctrl-Z at the host's terminal come to the run (true) or are the
    /// host's (false: Ctrl-C ends the run, Ctrl-Z stops the machine); the host reads it at
    /// each press.
    var takesInterrupts = false {
        didSet { apus_input_ring_set_takes_interrupts(takesInterrupts ? 1 : 0) }
    }

    /// The settings `TCGETS` reports: a canonical terminal's until a program changes them.
    private(set) var terminalSettings = LinuxStructures.canonicalTerminal

    /// `TCSETS`: kept for `TCGETS`, and their modes told to the host.
    func setTerminalSettings(_ settings: [UInt8]) {
        terminalSettings = settings
        apus_input_ring_set_terminal_modes(TerminalModes(settings: settings).ringWord)
    }

    /// The run is over: the host's terminal goes back to its usual modes.
    func forgetTerminalModes() {
        apus_input_ring_set_terminal_modes(0)
    }

    /// Whether Ctrl-C was pressed (once or more) since the last look.
    func takeInterrupt() -> Bool {
        let count = apus_input_ring_interrupts()
        defer { interruptsSeen = count }
        return count != interruptsSeen
    }

    /// Whether Ctrl-Z was pressed (once or more) since the last look.
    func takeSuspension() -> Bool {
        let count = apus_input_ring_suspensions()
        defer { suspensionsSeen = count }
        return count != suspensionsSeen
    }

    /// Readers waiting for input to arrive or end.
    let arrival = ConditionVariable("console input arrives or ends", source: .outside)

    var pendingInputCount: Int { Int(apus_input_ring_pending()) }

    /// The pending bytes, up to an end of file.
    func readInput(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        return Int(apus_input_ring_take(base, UInt64(buffer.count)))
    }

    /// A read returned 0 at an end of file the host marked: the input goes on after it.
    func takeEndOfFile() {
        if apus_input_ring_at_end_of_file() != 0 { apus_input_ring_take_end_of_file() }
    }

    /// The queue while input may still come; `nil` once the host's input has ended and
    /// every byte of it was read, and at an end of file (the next read returns 0).
    var inputArrival: ConditionVariable? { hasEnded || apus_input_ring_at_end_of_file() != 0 ? nil : arrival }

    /// Whether no byte is left and none will come.
    var hasEnded: Bool { apus_input_ring_ended() != 0 && apus_input_ring_pending() == 0 }

    /// Whether a reader waiting now could go on: bytes are pending, an end of file is next,
    /// or the input ended.
    var waiterCanGoOn: Bool { apus_input_ring_pending() > 0 || apus_input_ring_at_end_of_file() != 0 || hasEnded }

    var condition: ConditionVariable { arrival }

    func write(_ bytes: UnsafeRawBufferPointer, to stream: ConsoleStream) {
        switch stream {
        case .output: Serial.console.write(bytes)
        case .error: Serial.errors.write(bytes)
        }
    }
}
