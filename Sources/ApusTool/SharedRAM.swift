import ApusCore
import Foundation

/// The machine's RAM as a file this process shares with QEMU (on Linux, in `/dev/shm`), so
/// that the tool can read the kernel's output rings and fill its input ring while the machine
/// runs.
final class SharedRAM: @unchecked Sendable {
    let path: String
    let byteCount: Int
    private let descriptor: Int32

    /// The folder for shared RAM files, if this host has one.
    static let folder = "/dev/shm"

    /// How the names of the shared RAM files of process `process` start.
    static func filePrefix(of process: pid_t) -> String { "\(folder)/apus-ram-\(process)-" }

    private static let lock = NSLock()
    /// The files of the shared RAM that exists now (``removeAll()``).
    nonisolated(unsafe) private static var live: Set<String> = []
    /// Set by ``removeAll()``: the tool is about to exit and makes no more files.
    nonisolated(unsafe) private static var closed = false

    init(byteCount: Int) throws {
        Self.lock.lock()
        defer { Self.lock.unlock() }
        guard !Self.closed else { throw ToolError("the run is stopping: no new shared RAM") }
        var template = Array("\(Self.filePrefix(of: getpid()))XXXXXX".utf8CString)
        let descriptor = mkstemp(&template)
        guard descriptor >= 0 else { throw ToolError("cannot make a file in \(Self.folder): \(String(cString: strerror(errno)))") }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        guard ftruncate(descriptor, off_t(byteCount)) == 0 else {
            close(descriptor)
            unlink(path)
            throw ToolError("cannot size \(path): \(String(cString: strerror(errno)))")
        }
        self.descriptor = descriptor
        self.byteCount = byteCount
        Self.live.insert(path)
    }

    deinit {
        close(descriptor)
        Self.lock.lock()
        defer { Self.lock.unlock() }
        if Self.live.remove(path) != nil { unlink(path) }
    }

    /// Removes the file of every shared RAM there is: for a tool that is about to exit
    /// without its objects going away (a signal, a reader that stopped reading).
    static func removeAll() {
        lock.lock()
        defer { lock.unlock() }
        closed = true
        for path in live { unlink(path) }
        live.removeAll()
    }

    func readWord(at offset: UInt64) -> UInt64 {
        var value: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &value) { pread(descriptor, $0.baseAddress, 8, off_t(offset)) }
        return UInt64(littleEndian: value)
    }

    func writeWord(_ word: UInt64, at offset: UInt64) {
        var value = word.littleEndian
        _ = withUnsafeBytes(of: &value) { pwrite(descriptor, $0.baseAddress, 8, off_t(offset)) }
    }

    /// Where the kernel's rings of `kind` are (`rings` of them, each 64 bytes of counters
    /// then its data), once its status record in the file at `statusPath` says so; `nil`
    /// before, or when the record points outside the RAM.
    func ringLocation(announcedIn statusPath: String, kind: RunRecord.Kind, rings: UInt64) -> (base: UInt64, size: UInt64)? {
        guard let bytes = FileManager.default.contents(atPath: statusPath) else { return nil }
        let whole = [UInt8](bytes.prefix(bytes.count - bytes.count % RunRecord.size))
        guard let record = RunRecord.decode(whole)?.first(where: { $0.kind == kind }),
              record.first > 0, record.second > 0, record.second <= 1 << 30 else { return nil }
        let base = UInt64(record.first), size = UInt64(record.second)
        guard base + rings * (64 + size) <= UInt64(byteCount) else { return nil }
        return (base, size)
    }

    /// Writes `bytes` at `offset`.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) {
        var done = 0
        while done < bytes.count {
            let count = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return }
            done += count
        }
    }

    /// The `count` bytes at `offset` (fewer when the file ends before).
    func read(at offset: UInt64, count: Int) -> Data {
        // Not zeroed first: the output rings are read at tens of MB/s.
        guard count > 0, let buffer = malloc(count) else { return Data() }
        let got = pread(descriptor, buffer, count, off_t(offset))
        return Data(bytesNoCopy: buffer, count: max(got, 0), deallocator: .free)
    }
}
