import ApusCore
import Foundation

/// Reads the kernel's output rings while the machine runs: waits for the kernel's
/// `outputRings` status record, then moves whatever the kernel has written out of each ring
/// and hands it over, until told the machine has stopped and the rings are empty. The layout
/// is output_ring.c's: per ring `written` at 0, `read` at 8, data from 64.
final class OutputRingReader: @unchecked Sendable {
    private let ram: SharedRAM
    private let statusPath: String
    private let onData: @Sendable (Data, Ring) -> Void
    private let worker = MachineWorker()

    /// The rings, in the kernel's order (KernelRuntime.h).
    enum Ring: Int, CaseIterable {
        /// The program's standard output (and its standard error, when they are joined).
        case output
        /// The program's standard error.
        case error
        /// Memory-map records (``MemoryMapRecords``).
        case memoryMaps
        /// System call trace records (``SyscallTrace``).
        case trace
    }

    init(ram: SharedRAM, statusPath: String, onData: @escaping @Sendable (Data, Ring) -> Void) {
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
        ram.ringLocation(announcedIn: statusPath, kind: .outputRings, rings: UInt64(Ring.allCases.count))
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
            for ring in Ring.allCases {
                moved = drain(ring: base + UInt64(ring.rawValue) * (64 + size), size: size, as: ring) || moved
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

    /// Moves what the ring at `ring` holds out; true when there was something.
    private func drain(ring: UInt64, size: UInt64, as kind: Ring) -> Bool {
        let written = ram.readWord(at: ring)
        var read = ram.readWord(at: ring + 8)
        guard written > read, written - read <= size else { return false }
        while read < written {
            let at = read % size
            let count = min(written - read, size - at)
            let data = ram.read(at: ring + 64 + at, count: Int(count))
            guard !data.isEmpty else { return false }
            onData(data, kind)
            read += UInt64(data.count)
            ram.writeWord(read, at: ring + 8)
        }
        return true
    }
}
