import ApusCore
import Foundation

/// The machine's RAM as a file this process shares with QEMU (on Linux, in `/dev/shm`), so
/// that the tool can read the kernel's output rings while the machine runs.
final class SharedRAM: @unchecked Sendable {
    let path: String
    let byteCount: Int
    private let descriptor: Int32

    /// The folder for shared RAM files, if this host has one.
    static let folder = "/dev/shm"

    init(byteCount: Int) throws {
        var template = Array("\(Self.folder)/apus-ram-XXXXXX".utf8CString)
        let descriptor = mkstemp(&template)
        guard descriptor >= 0 else { throw ToolError("cannot make a file in \(Self.folder): \(String(cString: strerror(errno)))") }
        path = String(cString: template)
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        guard ftruncate(descriptor, off_t(byteCount)) == 0 else {
            close(descriptor)
            unlink(path)
            throw ToolError("cannot size \(path): \(String(cString: strerror(errno)))")
        }
        self.descriptor = descriptor
        self.byteCount = byteCount
    }

    deinit {
        close(descriptor)
        unlink(path)
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

    func read(at offset: UInt64, count: Int) -> Data {
        var data = Data(count: count)
        let got = data.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, off_t(offset)) }
        return got == count ? data : data.prefix(max(got, 0))
    }
}

/// A thread that works while the machine runs (a ring's reader or writer): started with
/// ``start(_:)``, it asks ``stopped`` to learn that QEMU has exited, and is waited for with
/// ``join()``.
final class MachineWorker: @unchecked Sendable {
    private let lock = NSLock()
    private var machineStopped = false
    private let done = DispatchSemaphore(value: 0)

    func start(_ body: @escaping @Sendable () -> Void) {
        let done = self.done
        Thread {
            body()
            done.signal()
        }.start()
    }

    /// Whether the machine has stopped.
    var stopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return machineStopped
    }

    /// The machine has stopped.
    func stop() {
        lock.lock()
        machineStopped = true
        lock.unlock()
    }

    /// Waits for the work to end (again and again, if asked).
    func join() {
        done.wait()
        done.signal()
    }
}

/// Reads the kernel's two output rings (standard output and error) while the machine runs:
/// waits for the kernel's `outputRings` status record, then moves whatever the kernel has
/// written out of each ring and hands it over, until told the machine has stopped and the
/// rings are empty. The layout is output_ring.c's: per ring `written` at 0, `read` at 8, data
/// from 64.
final class OutputRingReader: @unchecked Sendable {
    private let ram: SharedRAM
    private let statusPath: String
    private let onData: @Sendable (Data, ConsoleStream) -> Void
    private let worker = MachineWorker()

    init(ram: SharedRAM, statusPath: String, onData: @escaping @Sendable (Data, ConsoleStream) -> Void) {
        self.ram = ram
        self.statusPath = statusPath
        self.onData = onData
        worker.start { [self] in readRings() }
    }

    /// Once QEMU has exited: reads what is left and returns.
    func finish() {
        worker.stop()
        worker.join()
    }

    private var stopped: Bool { worker.stopped }

    /// Where the rings are, once the kernel has said so.
    private func ringLocation() -> (base: UInt64, size: UInt64)? {
        ram.ringLocation(announcedIn: statusPath, kind: .outputRings, rings: 2)
    }

    private func readRings() {
        var location = ringLocation()
        while location == nil {
            let last = stopped
            location = ringLocation()
            if location == nil {
                if last { return }
                usleep(2_000)
            }
        }
        guard let (base, size) = location else { return }
        var pause: UInt32 = 100
        while true {
            let last = stopped
            var moved = false
            for (index, stream) in [ConsoleStream.output, .error].enumerated() {
                moved = drain(ring: base + UInt64(index) * (64 + size), size: size, stream: stream) || moved
            }
            if moved {
                pause = 100
            } else if last {
                return
            } else {
                usleep(pause)
                pause = min(pause * 2, 5_000)
            }
        }
    }

    /// Moves what ring `ring` holds out; true when there was something.
    private func drain(ring: UInt64, size: UInt64, stream: ConsoleStream) -> Bool {
        let written = ram.readWord(at: ring)
        var read = ram.readWord(at: ring + 8)
        guard written > read, written - read <= size else { return false }
        while read < written {
            let at = read % size
            let count = min(written - read, size - at)
            let data = ram.read(at: ring + 64 + at, count: Int(count))
            guard !data.isEmpty else { return false }
            onData(data, stream)
            read += UInt64(data.count)
            ram.writeWord(read, at: ring + 8)
        }
        return true
    }
}
