import ApusCore
import Foundation

/// Where `apus run --trace` writes: turns the kernel's system call records into lines
/// (``SyscallTrace``) as they arrive, and writes them to a descriptor (standard error or the
/// trace file) in large writes. A record cut between two deliveries waits for its rest.
public final class TraceWriter: @unchecked Sendable {
    private let descriptor: Int32
    private let lock = NSLock()
    private var pending: [UInt8] = []
    private var text: [UInt8] = []
    private var failure: String?

    public init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Takes what the kernel's trace ring gave.
    public func append(_ data: Data) {
        lock.lock()
        defer { lock.unlock() }
        guard failure == nil else { return }
        // A delivery decodes in place; only a record cut at its end waits, copied, for the rest.
        let used: Int?
        if pending.isEmpty {
            used = data.withUnsafeBytes { SyscallTrace.appendLines(of: $0, to: &text) }
            if let used, used < data.count { pending = [UInt8](data.dropFirst(used)) }
        } else {
            pending.append(contentsOf: data)
            used = pending.withUnsafeBytes { SyscallTrace.appendLines(of: $0, to: &text) }
            if let used { pending.removeFirst(used) }
        }
        guard used != nil else {
            failure = "the kernel's trace records are damaged; the trace stops here"
            pending = []
            return
        }
        if !text.isEmpty {
            if let error = FileOutput.writeAll(descriptor, text) { failure = "cannot write the trace: \(String(cString: strerror(error)))" }
            text.removeAll(keepingCapacity: true)
        }
    }

    /// Once the machine has stopped: what went wrong with the trace, if anything.
    public func finish() -> String? {
        lock.lock()
        defer { lock.unlock() }
        if failure == nil, !pending.isEmpty { failure = "the trace ends in the middle of a record" }
        return failure
    }
}

/// Writing all of a buffer to a descriptor, as the tool's output needs it.
public enum FileOutput {
    /// Writes all of `bytes` to `descriptor`: retries a write a signal interrupted, and waits
    /// while a non-blocking descriptor is full (EAGAIN) instead of giving up. `nil` when all
    /// went out, else the error (`errno`) that stopped it.
    public static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written > 0 {
                offset += written
                continue
            }
            let error = written < 0 ? errno : EIO
            switch error {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK:
                var waiting = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                _ = poll(&waiting, 1, 1000)
            default:
                return error
            }
        }
        return nil
    }

    public static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBytes { writeAll(descriptor, $0) }
    }
}
