import Foundation

/// A named pipe (FIFO) that QEMU writes a character device into, read as it is written.
///
/// The reader opens it first, then holds a write end of its own, so that the read side sees
/// its end only after ``finish()``: not before QEMU has opened it, nor while QEMU runs.
final class StreamingFIFO: @unchecked Sendable {
    private let readEnd: Int32
    private var ownWriteEnd: Int32
    private var reader: StreamReader?

    init(path: String) throws {
        guard mkfifo(path, 0o600) == 0 else { throw ToolError("cannot make the named pipe \(path): \(String(cString: strerror(errno)))") }
        readEnd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard readEnd >= 0 else { throw ToolError("cannot open the named pipe \(path): \(String(cString: strerror(errno)))") }
        ownWriteEnd = open(path, O_WRONLY | O_CLOEXEC)
        guard ownWriteEnd >= 0 else {
            close(readEnd)
            throw ToolError("cannot open the named pipe \(path): \(String(cString: strerror(errno)))")
        }
        _ = fcntl(readEnd, F_SETFL, fcntl(readEnd, F_GETFL) & ~O_NONBLOCK)
    }

    func start(onData: @escaping @Sendable (Data) -> Void) {
        reader = StreamReader(descriptor: readEnd, onData: onData)
    }

    /// Once the writer (QEMU) is gone: reads what is left, and returns at the end.
    func finish() {
        if ownWriteEnd >= 0 { close(ownWriteEnd); ownWriteEnd = -1 }
        reader?.join()
    }
}
