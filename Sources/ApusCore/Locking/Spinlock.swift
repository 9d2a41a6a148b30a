import Synchronization

/// A spinlock: a word in memory that at most one CPU holds at a time; the others spin on it
/// (try again and again) until it is free.
///
/// Several CPUs run the kernel at once, and each changes shared state (the frames, the run
/// queues, a pipe) in several steps that no other CPU may see half done. A CPU cannot sleep
/// while it waits for such a step to end (sleeping is itself a change to the run queues), so
/// it spins: one atomic compare-and-exchange (`lock cmpxchg`) per attempt, which succeeds for
/// exactly one CPU when several try at once.
///
/// What it guarantees and asks:
/// * **Mutual exclusion**: between a CPU's ``acquire(by:whileWaiting:)`` and its
///   ``release(by:)``, no other CPU holds the lock. The compare-exchange that takes it is an
///   *acquiring* access and the store that frees it a *releasing* one, so what the holder
///   wrote is seen by the next holder.
/// * **An owner**: the lock knows which CPU holds it. Only that CPU may release it, and a
///   second acquire by the holder (which would spin forever, waiting for itself) is refused
///   by name instead (``AcquireOutcome/heldByCaller``).
/// * **Short holds, interrupts off**: a holder must not be interrupted by code that wants the
///   same lock on the same CPU, so the kernel turns interrupts off before it acquires and
///   restores them after it releases (the kernel's `KernelLock`); and it never sleeps holding one.
///
/// The order in which a CPU takes several locks is checked by the ``LockOrderValidator``.
public final class Spinlock: @unchecked Sendable {
    /// What the lock protects, in words, for panics and the lock map.
    public let name: StaticString
    /// Its class in the ``LockOrderValidator`` (locks of one kind share one).
    public let lockClass: LockClass
    /// 0 when free, else the holder's ``CPUIndex`` + 1.
    private let word = Atomic<Int>(0)

    public init(_ name: StaticString, class lockClass: LockClass) {
        self.name = name
        self.lockClass = lockClass
    }

    /// What an acquire came to.
    public enum AcquireOutcome: Equatable, Sendable {
        /// The caller holds the lock now, after `failedAttempts` tries that found it held.
        case acquired(failedAttempts: Int)
        /// The caller already holds it: acquiring again would wait for itself forever.
        case heldByCaller
    }

    /// The CPU holding the lock, if any (a snapshot: it may change at once unless the
    /// caller is that CPU).
    public var owner: CPUIndex? {
        let value = word.load(ordering: .relaxed)
        return value == 0 ? nil : CPUIndex(value - 1)
    }

    /// Whether `cpu` holds the lock (exact when asked by `cpu` itself).
    public func isHeld(by cpu: CPUIndex) -> Bool { word.load(ordering: .relaxed) == cpu.value + 1 }

    /// Takes the lock for `cpu` if it is free; `false` (and nothing changed) when it is not.
    public func tryAcquire(by cpu: CPUIndex) -> Bool {
        word.compareExchange(expected: 0, desired: cpu.value + 1, successOrdering: .acquiring, failureOrdering: .relaxed).exchanged
    }

    /// Takes the lock for `cpu`, spinning while another CPU holds it; `whileWaiting` runs
    /// between attempts (the kernel answers requests from other CPUs there, which they may
    /// be waiting for while they hold the lock). The attempts read the word before they try
    /// the exchange, so waiting CPUs do not fight over its cache line.
    public func acquire(by cpu: CPUIndex, whileWaiting: () -> Void = {}) -> AcquireOutcome {
        if isHeld(by: cpu) { return .heldByCaller }
        var failed = 0
        while !tryAcquire(by: cpu) {
            failed += 1
            while word.load(ordering: .relaxed) != 0 { whileWaiting() }
        }
        return .acquired(failedAttempts: failed)
    }

    /// `cpu`, the holder, gives the lock back.
    public func release(by cpu: CPUIndex) {
        precondition(isHeld(by: cpu), "a CPU released a spinlock it does not hold")
        word.store(0, ordering: .releasing)
    }
}
