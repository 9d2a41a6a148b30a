import Foundation

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
