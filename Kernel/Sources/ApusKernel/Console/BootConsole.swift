/// The console of a run: standard input from the `stdin` boot module (then end of input),
/// standard output and standard error to their channels (Serial.swift). Every process of the
/// run shares it.
///
/// Owned by the kernel lock (``LockMap``).
final class BootConsole: Console {
    private let input: UnsafeRawBufferPointer
    private var consumed = 0

    init(input: UnsafeRawBufferPointer) { self.input = input }

    var pendingInputCount: Int { input.count - consumed }

    func readInput(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let count = min(buffer.count, input.count - consumed)
        if count > 0 { buffer.baseAddress!.copyMemory(from: input.baseAddress! + consumed, byteCount: count) }
        consumed += count
        return count
    }

    func write(_ bytes: UnsafeRawBufferPointer, to stream: ConsoleStream) {
        switch stream {
        case .output: Serial.console.write(bytes)
        case .error: Serial.errors.write(bytes)
        }
    }
}
