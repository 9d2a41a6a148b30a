import ApusCore
import Foundation

/// The kernel's status channel read while it grows.
///
/// QEMU appends every byte the kernel sends to port 0x2E8 to the file `status` of the run's
/// folder; a record (``RunRecord``, 32 bytes) may be there in part when this looks. Each
/// ``readNew(_:)`` reads what came since the last one and hands on every whole record, keeping
/// at most one record's worth of bytes back, so that the records of a million runs pass through
/// a few kilobytes of memory rather than being kept (a boot of `--repeat 1000000` writes
/// 64 MB of them).
///
/// A channel is damaged when its bytes are not records (a forged or broken channel: a record
/// without the magic number, an unknown kind, or bytes left over at the end); from then on
/// it hands on nothing, and the boot has no records to believe.
final class StatusChannel {
    private let descriptor: Int32
    private var partial: [UInt8] = []
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)
    /// Every byte read so far (progress: a run's time-out restarts when it grows).
    private(set) var bytesRead = 0
    private(set) var isDamaged = false

    /// Opens the channel's file; `nil` when it cannot be read.
    init?(path: String) {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
    }

    deinit { close(descriptor) }

    /// Hands `body` every whole record that came since the last call, in order.
    func readNew(_ body: (RunRecord) -> Void) {
        while !isDamaged {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return }
            bytesRead += count
            partial.append(contentsOf: buffer[0..<count])
            let whole = partial.count - partial.count % RunRecord.size
            guard let records = RunRecord.decode(Array(partial[0..<whole])) else {
                isDamaged = true
                return
            }
            partial.removeFirst(whole)
            records.forEach(body)
        }
    }

    /// Reads the rest after the machine stopped: bytes left over that make no whole record
    /// damage the channel.
    func finish(_ body: (RunRecord) -> Void) {
        readNew(body)
        if !partial.isEmpty { isDamaged = true }
    }
}
