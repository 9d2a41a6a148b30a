import Foundation

/// Writes a line to standard error: the tool's own progress and problems, never a
/// program's output.
func note(_ line: String) {
    _ = writeAll(STDERR_FILENO, Data((line + "\n").utf8))
}
