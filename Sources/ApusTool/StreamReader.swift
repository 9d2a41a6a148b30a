import Foundation

/// Reads a file descriptor to its end on a thread of its own, handing each chunk over as it
/// arrives: the one way the tool reads a child's output (a pipe is read by exactly one
/// reader, and never only after the child exits, when a full pipe could have blocked it).
final class StreamReader: @unchecked Sendable {
    private let descriptor: Int32
    private let done = DispatchSemaphore(value: 0)

    /// Starts reading `descriptor` (which the reader then owns and closes at its end).
    init(descriptor: Int32, onData: @escaping @Sendable (Data) -> Void) {
        self.descriptor = descriptor
        let thread = Thread { [descriptor, done] in
            _ = readChunks(from: descriptor) { onData(Data($0)) }
            close(descriptor)
            done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Waits until the stream has ended and every chunk was handed over.
    func join() {
        done.wait()
        done.signal()
    }
}

/// Reads `descriptor` to its end in 64 KiB chunks, retrying a read that a signal
/// interrupted, and hands each chunk to `body`; returns 0 at the end, or the `errno` of a
/// read that failed.
func readChunks(from descriptor: Int32, _ body: (UnsafeRawBufferPointer) throws -> Void) rethrows -> Int32 {
    let chunk = 1 << 16
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
    defer { buffer.deallocate() }
    while true {
        let count = read(descriptor, buffer, chunk)
        if count < 0 && errno == EINTR { continue }
        if count < 0 { return errno }
        if count == 0 { return 0 }
        try body(UnsafeRawBufferPointer(start: buffer, count: count))
    }
}
