import Synchronization
import X86_64Support

/// A spinlock of the kernel: ApusCore's ``Spinlock`` held with interrupts off, its order
/// checked against every other lock's.
///
/// * **Interrupts off while held.** An interrupt handler on the holding CPU that wanted the
///   same lock would spin forever on its own CPU. So `acquire` saves RFLAGS and clears IF
///   before it spins, and `release` restores IF as it was (xv6's `push_off`/`pop_off`).
/// * **An owner.** A second acquire by the holding CPU stops the kernel naming the lock
///   (it would otherwise spin forever, waiting for itself).
/// * **An order.** Before it spins, the CPU asks the ``LockOrderValidator`` (``LockOrder``)
///   whether taking this lock now could deadlock with an order seen before; an inversion
///   stops the kernel with both locks' names.
/// * **Answering while waiting.** A CPU that spins does so with interrupts off, yet the
///   holder may wait for it (a TLB shootdown waits for every CPU that caches the address
///   space): the spinning CPU answers such requests between its attempts.
final class KernelSpinlock {
    let lock: Spinlock
    /// RFLAGS of the holder before it acquired (meaningful while held).
    private var savedFlags: UInt64 = 0
    /// CPUs spinning for the lock now.
    private let spinning = Atomic<Int>(0)

    /// Whether some CPU spins for the lock now.
    var hasWaiters: Bool { spinning.load(ordering: .relaxed) > 0 }

    init(_ lockClass: LockClass) {
        lock = Spinlock(lockClass.name, class: lockClass)
    }

    var name: StaticString { lock.name }

    /// Takes the lock on this CPU, with interrupts off until ``release()``. Returns the TSC
    /// ticks it spun (0 when it was free).
    @discardableResult
    func acquire() -> UInt64 {
        let flags = save_flags_and_disable_interrupts()
        let cpu = CPU.thisIndex
        LockOrder.acquiring(lock.lockClass, on: cpu)
        if lock.tryAcquire(by: cpu) {
            savedFlags = flags
            return 0
        }
        let start = read_tsc()
        spinning.add(1, ordering: .relaxed)
        defer { spinning.subtract(1, ordering: .relaxed) }
        switch lock.acquire(by: cpu, whileWaiting: { TLBShootdown.answerPending(); cpu_pause() }) {
        case .heldByCaller:
            Panic.stop("CPU \(cpu) acquired the lock of \(lock.name) a second time while holding it")
        case .acquired:
            savedFlags = flags
            return read_tsc() - start
        }
    }

    /// Gives the lock back and restores interrupts as they were before ``acquire()``.
    func release() {
        let cpu = CPU.thisIndex
        let flags = savedFlags
        LockOrder.released(lock.lockClass, on: cpu)
        lock.release(by: cpu)
        restore_interrupts(flags)
    }

    /// Whether this CPU holds the lock.
    var isHeldHere: Bool { lock.isHeld(by: CPU.thisIndex) }

    /// Runs `body` holding the lock.
    func withLock<Result>(_ body: () -> Result) -> Result {
        acquire()
        defer { release() }
        return body()
    }
}

/// The kernel's lock-order validator (ApusCore's ``LockOrderValidator``), shared by every CPU
/// behind a lock of its own, which is outside every order (it is taken last and held for a
/// few instructions, with interrupts off).
enum LockOrder {
    nonisolated(unsafe) static var validator = LockOrderValidator()
    private static let guardLock = Spinlock("the lock-order validator", class: LockClass(index: LockOrderValidator.classLimit - 1, name: "the lock-order validator"))

    /// A new class of locks, named for the state its locks own (``LockMap``).
    static func register(_ name: StaticString) -> LockClass {
        guarded { validator.register(name) }
    }

    /// `cpu` is about to acquire a lock of `lockClass`: an inversion or a double acquire
    /// stops the kernel with the names.
    static func acquiring(_ lockClass: LockClass, on cpu: CPUIndex) {
        if let violation = guarded({ validator.acquiring(lockClass, on: cpu) }) {
            Panic.stop("\(violation)")
        }
    }

    static func released(_ lockClass: LockClass, on cpu: CPUIndex) {
        guarded { validator.released(lockClass, on: cpu) }
    }

    private static func guarded<Result>(_ body: () -> Result) -> Result {
        let flags = save_flags_and_disable_interrupts()
        let cpu = CPU.thisIndex
        while !guardLock.tryAcquire(by: cpu) { cpu_pause() }
        let result = body()
        guardLock.release(by: cpu)
        restore_interrupts(flags)
        return result
    }
}
