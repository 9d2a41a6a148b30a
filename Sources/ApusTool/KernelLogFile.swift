import Foundation

/// The kernel's log (COM2, the file `log` of the run's folder) read after a boot, in memory
/// that does not grow with the boot's length.
///
/// A run writes a few lines to the log, so a boot of a million runs writes hundreds of
/// megabytes. A log up to ``keptBytes`` is read whole; a longer one keeps its first and last
/// halves of that, with a line between them saying how much was left out: the start (the boot,
/// the first runs) and the end (the last runs, a panic, the unmount) are what a person or a
/// check reads.
enum KernelLogFile {
    static let keptBytes = 8 << 20

    /// The log at `path` (empty when it cannot be read); `keeping` bytes at most, start and end.
    static func read(_ path: String, keeping limit: Int = keptBytes) -> String {
        guard let file = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? file.close() }
        guard let size = try? file.seekToEnd(), size > UInt64(limit) else {
            try? file.seek(toOffset: 0)
            return String(decoding: (try? file.readToEnd()) ?? Data(), as: UTF8.self)
        }
        let half = UInt64(limit / 2)
        try? file.seek(toOffset: 0)
        let head = (try? file.read(upToCount: Int(half))) ?? Data()
        try? file.seek(toOffset: size - half)
        let tail = (try? file.read(upToCount: Int(half))) ?? Data()
        // Whole lines on both sides of the cut.
        let headLines = head[head.startIndex..<(head.lastIndex(of: 0x0A).map { $0 + 1 } ?? head.startIndex)]
        let tailLines = tail[(tail.firstIndex(of: 0x0A).map { $0 + 1 } ?? tail.startIndex)...]
        let omitted = size - UInt64(headLines.count) - UInt64(tailLines.count)
        return String(decoding: headLines, as: UTF8.self)
            + "[\(omitted) bytes of the kernel log left out here: it is longer than \(limit >> 20) MiB]\n"
            + String(decoding: tailLines, as: UTF8.self)
    }
}
