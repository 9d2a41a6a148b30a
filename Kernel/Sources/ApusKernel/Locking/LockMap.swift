/// Every lock of the kernel, what it owns, and the order they are taken in: the lock map.
///
/// Each class of locks is registered here with the lock-order validator (``LockOrder``),
/// named for the state it owns, so a panic names the state, not an address.
///
/// | lock | owns | order |
/// |---|---|---|
/// | ``kernel`` (``KernelLock``) | the scheduler (every CPU's run queue, `current`, the thread list), wait queues and condition variables, the process table and every process (its address space, page table, file table, pipes), the frame allocator, the console, the disk (its queue and its requests, also in its interrupt handler), the run's wake-up list, the file system lock's own state and, against the other CPUs, everything that lock keeps to one thread, the kernel log's lines, the TLB shootdown requests it sends | first |
/// | the file system lock (``FileSystemLock``) | the mounted file system (its block and page caches, its open transaction, its deferred releases) and the address spaces it fills pages into, kept to one thread across its waits for the disk | a sleeping lock, taken by a thread whose CPU holds the kernel lock (so after it); waiting for it lets the kernel lock go as every wait does; not a spinlock, so left out of the validator |
/// | the kernel heap (``KernelHeap``) | the heap allocator behind every Swift object | innermost: no lock is taken while it is held, so it is left out of the validator |
/// | the lock-order validator's own (``LockOrder``) | the validator | innermost, not validated |
///
/// A CPU's own data (``CPU``, its `apus_cpu_local` with its exit flag, whether it runs a
/// freeing path, and its TLB shootdown mailbox) is owned by
/// that CPU: others write a mailbox only while it is empty, with the kernel lock held.
enum LockMap {
    /// The kernel lock's class.
    static let kernel: LockClass = LockOrder.register("the kernel (scheduler, processes, memory, files, console)")
}
