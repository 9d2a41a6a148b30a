import ApusCore
import ApusTool
import Foundation

/// Passes a program's output on as it arrives: its standard output to ours, its standard
/// error to ours. When ours is closed (`apus run … | head`), the run ends as a program's
/// would on a broken pipe: the machine stops and the command exits with 141 (SIGPIPE).
@Sendable func passProgramOutput(_ data: Data, _ stream: ConsoleStream) {
    let descriptor = stream == .output ? STDOUT_FILENO : STDERR_FILENO
    if !writeAll(descriptor, data) {
        Machine.stopEverything()
        exit(128 + SIGPIPE)
    }
}

/// Writes all of `data` to `descriptor`, retrying a write that a signal interrupted; false
/// when it cannot (a closed pipe).
func writeAll(_ descriptor: Int32, _ data: Data) -> Bool {
    data.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }
}
