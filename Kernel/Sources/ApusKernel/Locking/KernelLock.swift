import X86_64Support

/// The kernel lock: one lock that a CPU holds whenever it runs kernel code on shared state,
/// taken at every entry from a program (a system call, a fault, a tick) and let go on the
/// way back to ring 3 (syscall_entry.S, trap_entry.S: `apus_leave_kernel`) or when the CPU
/// idles.
///
/// Programs run in parallel on every CPU; the kernel runs on one at a time. This is the
/// first step of a kernel with several CPUs (Linux had one until 2011): every piece of
/// shared state is owned by this lock (``LockMap`` names them), so the kernel's code from
/// one CPU can stay as it was, and what each piece costs in waiting is measured, not
/// guessed: every CPU counts the TSC ticks it spun for the lock and how often it took it
/// (``CPU/Statistics``), and each run reports them (``RunReport/kernelLock(_:)``).
///
/// The lock belongs to the CPU, not to a thread: a CPU that switches threads in the kernel
/// keeps it, and the thread that next returns to ring 3 on that CPU lets it go.
enum KernelLock {
    static let lock = KernelSpinlock(LockMap.kernel)

    /// This CPU enters the kernel (or wakes from idling): it takes the lock, counting how
    /// long it waited. Taking it when this CPU holds it already is a kernel bug.
    static func enter() {
        let waited = lock.acquire()
        let statistics = CPU.this.statistics
        statistics.lockAcquisitions += 1
        statistics.lockWaitTicks += waited
    }

    /// This CPU leaves the kernel (for ring 3, or to idle): it lets the lock go, if it holds it.
    static func leave() {
        if lock.isHeldHere { lock.release() }
    }

    /// This CPU, holding the lock at a point where it may let go (a kernel thread's
    /// `yield`), hands it to a CPU that waits for it, if one does, and takes it back after:
    /// the other CPUs' threads run meanwhile.
    static func handOff() {
        guard lock.hasWaiters else { return }
        leave()
        let deadline = read_tsc() + Timer.tscPerMillisecond
        while lock.lock.owner == nil, lock.hasWaiters, read_tsc() < deadline { cpu_pause() }
        enter()
    }

    /// Whether this CPU holds the lock: what code on shared state may assert.
    static var isHeldHere: Bool { lock.isHeldHere }
}

/// syscall_entry.S and trap_entry.S, on the way back to ring 3.
@_cdecl("apus_leave_kernel")
public func apusLeaveKernel() {
    KernelLock.leave()
}
