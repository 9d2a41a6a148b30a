import X86_64Support

/// The file system lock: one sleeping lock, on the kernel's scheduler, that keeps the file
/// system (its caches, its open transaction, its deferred releases) and the address spaces
/// it fills pages into to one thread at a time.
///
/// Why it is needed: a disk request puts the calling thread to sleep until the device's
/// interrupt (VirtioBlockDevice.swift), so another thread may run in the middle of a file
/// system call, and without the lock it could enter the file system then and find it half
/// changed (a transaction open, a page being read in), or unmap the pages a `read` is
/// filling. So the kernel takes the lock around everything that may reach the file system:
/// every system call (any user copy may fault a file page in) and every page fault of a
/// program (``ProcessRun/systemCall(_:)``, ``ProcessRun/handleUserException(_:)``). It is
/// released before a call waits on a condition (a pipe, console input, a thread's end): a
/// thread never waits for another thread while it holds the lock. So a thread waiting for the
/// lock waits for the thread that holds it, which runs or waits for the disk, and the deadlock
/// rule stays exact (the lock's queue is a `.threads` condition; the disk's is `.outside`).
///
/// Nested paths take nothing twice: a user copy in a file call that faults a file page in,
/// or a frame shortage in the middle of a file call that asks the caches for frames
/// (``FrameAllocator/reclaimer``, which drops clean pages only, never what a call has pinned),
/// all run inside the one acquisition. A second ``acquire(by:)`` by the holder only counts
/// (the lock is re-entrant), so no path can deadlock on itself.
///
/// With no thread running (the boot's first load of the program, the end of a run, the
/// deadlock handler in the idle context) there is nobody to exclude: no thread can run while
/// the kernel waits for the disk there (the driver polls), and no thread holds the lock then.
///
/// With several CPUs the lock's own state (its holder, its depth, its queue) is the kernel
/// lock's (``LockMap``): only a CPU that holds the kernel lock takes or gives back this one,
/// so the kernel lock comes first and this one second. A thread that waits for this lock, for
/// the disk or on a condition sleeps through the scheduler as every waiting thread does: its
/// CPU switches to another thread or idles, and idling lets the kernel lock go (the kernel
/// lock is the CPU's, not the thread's). So while the holder sleeps for the disk, the other
/// CPUs run programs, and their threads that enter the kernel for a call or a fault sleep
/// here in turn; the disk's interrupt, routed through the I/O APIC to some CPU, makes the
/// holder ready, and it goes on on whichever CPU takes it, holding this lock all along. No
/// thread holds this lock in its program, and no CPU spins for the kernel lock on behalf of a
/// sleeping thread, so the two locks cannot deadlock. The state this lock keeps to one thread
/// (the file system, its caches, the frames it reclaims) is the kernel lock's too, against
/// the other CPUs.
///
/// The lock is taken and given back twice per system call, so the uncontended path touches
/// only two integers (no object, no reference count); the queue is used only when a thread
/// must wait, and the lock is handed to the thread that waited longest (no thread can slip in
/// between and starve it).
enum FileSystemLock {
    /// The holder's thread id, or ``free``.
    nonisolated(unsafe) private static var holder = free
    /// How many times the holder has taken it (nested acquisitions).
    nonisolated(unsafe) private(set) static var depth = 0
    static let free = 0
    /// Where threads wait for the lock: a condition only a thread (the holder) brings about.
    nonisolated(unsafe) static let handedOver = ConditionVariable("the file system lock is handed over")

    /// How an acquisition went.
    enum Acquisition {
        /// The lock was free (or the thread's already).
        case atOnce
        /// The thread waited for it: other threads ran meanwhile, and may have changed what
        /// the thread was about to do (served the page it faulted on).
        case afterWaiting
        /// The thread was ended while it waited (its process is ending): it does not hold the
        /// lock and must not use the file system.
        case ended
    }

    /// The running thread `thread` takes the lock, waiting its turn if another thread holds
    /// it.
    @discardableResult
    static func acquire(by thread: ThreadID) -> Acquisition {
        if holder == free {
            holder = thread.value
            depth = 1
            return .atOnce
        }
        if holder == thread.value {
            depth += 1
            return .atOnce
        }
        // Handed over by release(), or woken by the thread's end (ProcessRun.finish).
        Kernel.scheduler.wait(on: handedOver)
        return holder == thread.value ? .afterWaiting : .ended
    }

    /// The running thread `thread` lets go of the lock once. The last release first settles
    /// the releases of inodes whose last handle went meanwhile (``FileSystem/settleReleases()``,
    /// which may write to the disk and so needs the lock), then hands the lock to the thread
    /// that has waited longest, if any.
    static func release(by thread: ThreadID) {
        precondition(holder == thread.value && depth > 0, "the file system lock released by a thread that does not hold it")
        if depth > 1 {
            depth -= 1
            return
        }
        // Settling may wait for the disk, and another thread may return to its program
        // meanwhile on this CPU: an exit this thread has asked for (its CPU's exit flag, read
        // when a thread leaves the kernel) is kept aside until it runs again, on whichever
        // CPU it then runs.
        let exitPending = cpu_local_exit_pending() != 0
        cpu_local_clear_exit_pending()
        RootVolume.settleReleases()
        if exitPending { cpu_local_set_exit_pending() }
        depth = 0
        guard let next = handedOver.waiters.waiters.first else {
            holder = free
            return
        }
        holder = next.value
        depth = 1
        Kernel.scheduler.signal(handedOver)
    }

    /// Whether `thread` (`nil`: the kernel with no thread running) may use the file system
    /// now: it holds the lock, or nobody does.
    static func isHeld(by thread: ThreadID?) -> Bool {
        holder == (thread?.value ?? free)
    }
}
