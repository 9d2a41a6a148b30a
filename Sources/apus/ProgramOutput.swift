import ApusCore
import ApusTool
import Foundation

/// Passes a program's output on as it arrives: its standard output to ours, its standard
/// error to ours. A full non-blocking pipe is waited for. When ours is closed (`apus run … |
/// head`), the run ends as a program's would on a broken pipe: the machine stops and the
/// command exits with 141 (SIGPIPE). When it cannot be written for another reason (a full
/// disk, `> /dev/full`), the machine stops too and the command says so and exits with
/// ``outputFailedStatus``.
@Sendable func passProgramOutput(_ data: Data, _ stream: ConsoleStream) {
    let descriptor = stream == .output ? STDOUT_FILENO : STDERR_FILENO
    guard let error = data.withUnsafeBytes({ FileOutput.writeAll(descriptor, $0) }) else { return }
    Machine.stopEverything()
    Terminal.restore()
    if error == EPIPE { exit(128 + SIGPIPE) }
    let name = stream == .output ? "standard output" : "standard error"
    note("apus: cannot write the program's output to this command's \(name): \(String(cString: strerror(error))); the run was stopped")
    exit(outputFailedStatus)
}

/// The status of a run whose output could not be written (EX_IOERR).
let outputFailedStatus: Int32 = 74

/// Writes all of `data` to `descriptor` (``FileOutput/writeAll(_:_:)``); false when it cannot.
func writeAll(_ descriptor: Int32, _ data: Data) -> Bool {
    data.withUnsafeBytes { FileOutput.writeAll(descriptor, $0) } == nil
}
