import Foundation

/// Splits a byte stream into lines and hands each to a callback as it completes.
public final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = Data()
    public private(set) var lines: [String] = []
    private let onLine: @Sendable (String) -> Void

    public init(onLine: @escaping @Sendable (String) -> Void) { self.onLine = onLine }

    public func append(_ data: Data) {
        lock.lock()
        defer { lock.unlock() }
        pending.append(data)
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
            pending.removeSubrange(pending.startIndex...newline)
            lines.append(line)
            onLine(line)
        }
    }

    /// Hands over the last line when the stream did not end with a newline.
    public func finish() {
        lock.lock()
        defer { lock.unlock() }
        if !pending.isEmpty {
            let line = String(decoding: pending, as: UTF8.self)
            lines.append(line)
            onLine(line)
            pending.removeAll()
        }
    }
}
