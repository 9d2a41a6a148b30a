import ApusCore
import X86_64Support

/// The scheduler the kernel runs: ApusCore's round robin, over thread control blocks.
typealias KernelScheduler = Scheduler<RoundRobin<ThreadControlBlock>>

/// The mechanism of scheduling: the running thread, the switch between threads, waiting
/// and waking. There is one, `Kernel.scheduler`: every thread of every process and every
/// kernel thread is one of its threads, it is the one owner of their states, and
/// everything that changes which thread runs goes through it (the single owner that
/// several CPUs would later lock).
///
/// The boot's own stack is the *idle context*: the scheduler switches there when no thread
/// is ready, and the kernel's run loop (ProcessRun.swift) asks ApusCore's `DeadlockRule` what
/// then happens (the run is over, the outside may still wake a thread, or every thread left
/// waits for something no one can provide).
///
/// A thread that ends cannot free its own stack while it runs on it: it is put on the ended
/// list, the scheduler switches away, and whoever runs next frees it right after the switch,
/// before any program runs again.
final class Scheduler<Policy: SchedulingPolicy> where Policy.Runnable == ThreadControlBlock {
    private var policy: Policy
    /// The thread running now; `nil` in the idle context.
    private(set) var current: ThreadControlBlock?
    /// Every thread not yet freed.
    private(set) var threads: [ThreadControlBlock] = []
    private var ended: [ThreadControlBlock] = []
    private let idleStackPointer = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)

    /// A scheduler whose policy decides which ready thread runs next. Its lists have room for
    /// `threadLimit` threads from the start, so that no thread's wake-up, end or freeing
    /// needs memory while no more threads than that exist.
    init(policy: Policy, threadLimit: Int) {
        self.policy = policy
        threads.reserveCapacity(threadLimit)
        ended.reserveCapacity(threadLimit)
    }

    deinit { idleStackPointer.deallocate() }

    /// A new thread, ready to run.
    func add(_ thread: ThreadControlBlock) {
        threads.append(thread)
        policy.enqueue(thread)
    }

    /// From the idle context: runs ready threads until none is left ready, and comes back.
    func runReadyThreads() {
        precondition(current == nil, "runReadyThreads is for the idle context")
        reapEnded()
        guard hasReadyThread else { return }
        switchToNext()
    }

    /// The running thread's time slice is over: the next ready thread runs, and this one
    /// goes to the back of the queue. Returns when it runs again.
    func preempt() {
        guard current != nil, hasReadyThread else { return }
        policy.enqueue(current!)
        switchToNext()
    }

    /// The running thread gives the CPU to the next ready thread, if any, and goes to the
    /// back of the queue (what a tick does to a program; kernel threads call it themselves,
    /// since the kernel runs with interrupts off). Returns when it runs again.
    func yield() {
        preempt()
    }

    /// The running thread waits on `variable` until it is woken, in a system call: the
    /// kernel itself is the mutex (interrupts are off, so nothing ran between the call's check
    /// of its condition and this). Returns when it runs again; the call then checks again.
    func wait(on variable: ConditionVariable) {
        guard let thread = current else { preconditionFailure("only a thread can wait") }
        variable.enqueue(thread.id)
        sleep(thread, on: variable.waiters)
    }

    /// Every thread waiting on `variable` becomes ready (a broadcast).
    func broadcast(_ variable: ConditionVariable) {
        for id in variable.broadcast() { makeReady(id) }
    }

    // MARK: - Synchronisation for kernel threads (ApusCore's MutexState, SemaphoreState, ConditionVariable: their rules; the blocking is here)

    /// The running thread takes `mutex`, waiting its turn if another holds it.
    func lock(_ mutex: MutexState) {
        guard let thread = current else { preconditionFailure("only a thread can lock") }
        if !mutex.lock(by: thread.id) { sleep(thread, on: mutex.waiters) }
    }

    /// The running thread gives `mutex` back; the longest waiter, if any, has it now.
    func unlock(_ mutex: MutexState) {
        guard let thread = current else { preconditionFailure("only a thread can unlock") }
        if let next = mutex.unlock(by: thread.id) { makeReady(next) }
    }

    /// The running thread takes a unit of `semaphore`, waiting for one if there is none.
    func down(_ semaphore: SemaphoreState) {
        guard let thread = current else { preconditionFailure("only a thread can wait") }
        if !semaphore.down(by: thread.id) { sleep(thread, on: semaphore.waiters) }
    }

    /// Gives a unit of `semaphore` (to its longest waiter, who becomes ready).
    func up(_ semaphore: SemaphoreState) {
        if let next = semaphore.up() { makeReady(next) }
    }

    /// The running thread, holding `mutex`, waits on `variable`: it joins the queue and
    /// releases the mutex in one step (no wake-up can fall in between), sleeps until
    /// signalled, and takes the mutex again before it returns. Check the condition again
    /// after: the ConditionVariable's loop.
    func wait(on variable: ConditionVariable, releasing mutex: MutexState) {
        guard let thread = current else { preconditionFailure("only a thread can wait") }
        variable.enqueue(thread.id)
        unlock(mutex)
        sleep(thread, on: variable.waiters)
        lock(mutex)
    }

    /// Wakes the thread that has waited longest on `variable`, if any.
    func signal(_ variable: ConditionVariable) {
        if let next = variable.signal() { makeReady(next) }
    }

    /// `thread` sleeps, already on `queue` (a mutex, semaphore or condition variable put it
    /// there), until it is made ready.
    private func sleep(_ thread: ThreadControlBlock, on queue: WaitQueue) {
        thread.state = .waiting(queue)
        switchToNext()
    }

    /// Thread `id`, woken, becomes ready (unless it stopped waiting meanwhile).
    private func makeReady(_ id: ThreadID) {
        guard let thread = threads.first(where: { $0.id == id }), case .waiting = thread.state else { return }
        thread.state = .ready
        policy.enqueue(thread)
    }

    /// `thread`, which is not running, must end as soon as it runs: a waiting thread stops
    /// waiting and becomes ready for that.
    func makeEnd(_ thread: ThreadControlBlock) {
        thread.mustEnd = true
        if case .waiting(let queue) = thread.state {
            queue.remove(thread.id)
            thread.state = .ready
            policy.enqueue(thread)
        }
    }

    /// The threads waiting now, with what they wait for.
    var waitingThreads: [ThreadControlBlock] {
        threads.filter { if case .waiting = $0.state { true } else { false } }
    }

    /// The running thread ends: where to save its stack pointer and which to load to run
    /// the next thread (or the idle context). The caller switches there for good; since this
    /// returns before, no reference to any thread stays on the ended thread's stack.
    @inline(never)
    func prepareEndOfCurrent() -> (save: UnsafeMutablePointer<UInt64>, load: UInt64) {
        guard current != nil else { preconditionFailure("no thread to end") }
        current!.state = .ended
        KernelHeap.whileFreeing { ended.append(current!) } // within the room reserved for every thread
        return prepareSwitch()
    }

    /// Frees the threads that ended, except the running one (after a switch, none is).
    /// Allocates nothing: a thread's end gives back, it never needs memory.
    func reapEnded() {
        guard !ended.isEmpty else { return }
        KernelHeap.whileFreeing {
            var index = 0
            while index < ended.count {
                let thread = ended[index]
                guard thread !== current else {
                    index += 1
                    continue
                }
                ended.remove(at: index)
                threads.removeAll { $0 === thread }
                if thread.process != nil { ProcessRun.current?.threadFreed() }
                thread.release()
            }
        }
    }

    /// Whether some thread is ready to run.
    private var hasReadyThread: Bool { policy.hasReadyThread }

    /// Runs the next ready thread (or the idle context) instead of the running one, and
    /// returns when the running one runs again; then frees whoever ended meanwhile.
    private func switchToNext() {
        let target = prepareSwitch()
        switch_context(target.save, target.load)
        reapEnded()
    }

    /// Makes the next ready thread (or, with none, the idle context) the running one: CR3,
    /// the kernel stack of traps and system calls, and the FPU/SSE registers follow it.
    /// Returns where to save the stack pointer of the thread that stops and which to load.
    /// It holds every thread reference itself, so none outlives it on a stack that is
    /// switched away from.
    @inline(never)
    private func prepareSwitch() -> (save: UnsafeMutablePointer<UInt64>, load: UInt64) {
        let previous = current
        if let previous, previous.state != .ended { fxsave(previous.fpuState) }
        let save = previous?.savedStackPointer ?? idleStackPointer
        current = policy.next()
        if let next = current {
            CPUTables.setKernelStack(top: next.stackTop)
            // A kernel thread runs on the kernel's own page table. Threads of one process
            // share theirs: loading the same root again would only flush the TLB.
            let root = next.process?.pageTableRoot ?? Kernel.memory.pageTable.root.raw
            if read_cr3() != root { write_cr3(root) }
            fxrstor(next.fpuState)
            return (save, next.savedStackPointer.pointee)
        }
        current = nil
        write_cr3(Kernel.memory.pageTable.root.raw)
        return (save, idleStackPointer.pointee)
    }
}
