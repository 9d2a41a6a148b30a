import Synchronization
import X86_64Support

/// The scheduler the kernel runs: ApusCore's run queue per CPU, over thread control blocks.
typealias KernelScheduler = Scheduler<PerCPURunQueues<ThreadControlBlock>>

/// The mechanism of scheduling: the thread each CPU runs, the switch between threads,
/// waiting and waking. There is one, `Kernel.scheduler`: every thread of every process and
/// every kernel thread is one of its threads, it is the one owner of their states, and
/// everything that changes which thread runs goes through it, with the kernel lock held
/// (``KernelLock``): so each CPU's queue, each `current` and the thread list are the
/// kernel lock's.
///
/// Each CPU has its own *idle context* (the bootstrap processor's boot stack, an application
/// processor's own): the scheduler switches there when no thread is ready for the CPU, and
/// the CPU idles (``idle()``) until an interrupt: its timer, or another CPU's wake-up IPI
/// when it put a thread on this CPU's queue. On the bootstrap processor the kernel's run loop
/// (ProcessRun.swift) asks ApusCore's `DeadlockRule` what then happens (the run is over, the
/// outside may still wake a thread, or every thread left waits for something no one can
/// provide).
///
/// A thread that ends cannot free its own stack while it runs on it: it is left on its CPU
/// (``CPU/ended``), the CPU switches away, and frees it right after the switch, before any
/// program runs again there.
final class Scheduler<Policy: SchedulingPolicy> where Policy.Runnable == ThreadControlBlock {
    private var policy: Policy
    /// Every thread not yet freed.
    private(set) var threads: [ThreadControlBlock] = []
    /// Whether some thread is ready, readable without the kernel lock: an idle CPU woken by
    /// its timer, or a program's tick, looks here first and takes the lock only when there
    /// is something to run (a hint: the lock holder changes it, and decides).
    private let readyHint = Atomic<Bool>(false)

    /// Whether a thread may be ready, by the hint (no lock needed).
    var mayHaveReadyThread: Bool { readyHint.load(ordering: .relaxed) }

    /// A scheduler whose policy decides which ready thread runs next. Its lists have room for
    /// `threadLimit` threads from the start, so that no thread's wake-up, end or freeing
    /// needs memory while no more threads than that exist.
    init(policy: Policy, threadLimit: Int) {
        self.policy = policy
        threads.reserveCapacity(threadLimit)
    }

    /// The thread running on this CPU; `nil` in its idle context.
    var current: ThreadControlBlock? { CPU.this.current }

    /// Whether `thread` runs on some CPU now.
    func isRunning(_ thread: ThreadControlBlock) -> Bool {
        CPU.all.contains { $0.current === thread }
    }

    /// A new thread, ready to run.
    func add(_ thread: ThreadControlBlock) {
        threads.append(thread)
        makeReady(thread, .new)
    }

    /// From this CPU's idle context: runs ready threads until none is left ready for it,
    /// and comes back.
    func runReadyThreads() {
        precondition(current == nil, "runReadyThreads is for the idle context")
        reapEnded()
        guard hasReadyThread else { return }
        switchToNext()
    }

    /// This CPU idles until an interrupt (its timer, a wake-up IPI): it lets the kernel lock
    /// go meanwhile, and takes it back after.
    func idle() {
        CPU.this.isIdle = true
        KernelLock.leave()
        enable_interrupts_and_halt()
        waitForWork()
    }

    /// This CPU, idle and without the kernel lock, takes the lock once a thread may be ready
    /// for it. An application processor has nothing to look at but the run queues: while no
    /// thread is ready, it halts on without taking the lock from the CPUs that work; the
    /// bootstrap processor takes it at once (its run loop looks at the run as a whole).
    func waitForWork() {
        let cpu = CPU.this
        while cpu.index != .bootstrap && !mayHaveReadyThread { enable_interrupts_and_halt() }
        KernelLock.enter()
        cpu.isIdle = false
    }

    /// The running thread's time slice is over: the next ready thread runs, and this one
    /// goes to the back of a queue (its CPU's, or a less loaded one's). Returns when it runs
    /// again.
    func preempt() {
        guard let thread = current, hasReadyThread else { return }
        makeReady(thread, .preempted(on: CPU.thisIndex))
        switchToNext()
    }

    /// The running thread gives the CPU to the next ready thread, if any, and goes to the
    /// back of the queue (what a tick does to a program; kernel threads call it themselves,
    /// since the kernel runs with interrupts off); and the kernel lock to another CPU that
    /// waits for it, so that threads on other CPUs run too. Returns when it runs again.
    func yield() {
        preempt()
        KernelLock.handOff()
    }

    /// The running thread waits on `variable` until it is woken, in a system call: the
    /// kernel lock is the mutex (nothing ran between the call's check of its condition and
    /// this). Returns when it runs again; the call then checks again.
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

    /// Gives a unit of `semaphore` (to its longest waiter, who becomes ready); returns the
    /// waiter it went to, if any.
    @discardableResult
    func up(_ semaphore: SemaphoreState) -> ThreadID? {
        guard let next = semaphore.up() else { return nil }
        makeReady(next)
        return next
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
        // Woken by the thread running here (a signal, an unlock, a pipe's writer), or by the
        // kernel itself (an interrupt, the idle loop).
        makeReady(thread, .woken(lastCPU: thread.lastCPU, by: current == nil ? nil : CPU.thisIndex))
    }

    /// `thread` goes on a queue for `reason`; the CPU that took it is woken if it idles.
    private func makeReady(_ thread: ThreadControlBlock, _ reason: ReadyReason) {
        let target = policy.enqueue(thread, reason)
        readyHint.store(true, ordering: .relaxed)
        let here = CPU.thisIndex
        for cpu in CPU.all where cpu.isIdle && cpu.isOnline && cpu.index != here && (target == nil || cpu.index == target) {
            LocalAPIC.sendInterrupt(InterruptVectors.wake, to: cpu.apicID)
            if target != nil { break }
        }
    }

    /// `thread`, which is not running, must end as soon as it runs: a waiting thread stops
    /// waiting and becomes ready for that; one running a program on another CPU is
    /// interrupted, and ends as it enters the kernel.
    func makeEnd(_ thread: ThreadControlBlock) {
        thread.mustEnd = true
        if let cpu = CPU.all.first(where: { $0.current === thread }), cpu.index != CPU.thisIndex {
            // It runs a program on another CPU: an interrupt brings it into the kernel to end.
            LocalAPIC.sendInterrupt(InterruptVectors.wake, to: cpu.apicID)
        }
        if case .waiting(let queue) = thread.state {
            queue.remove(thread.id)
            thread.state = .ready
            makeReady(thread, .woken(lastCPU: thread.lastCPU))
        }
    }

    /// `thread`, waiting in a system call a signal ends, stops waiting and becomes ready; its
    /// call sees the signal and returns.
    func interrupt(_ thread: ThreadControlBlock) {
        guard case .waiting(let queue) = thread.state else { return }
        queue.remove(thread.id)
        thread.state = .ready
        makeReady(thread, .woken(lastCPU: thread.lastCPU))
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
        let cpu = CPU.this
        guard let thread = cpu.current else { preconditionFailure("no thread to end") }
        thread.state = .ended
        precondition(cpu.ended == nil, "a CPU ended a second thread before it freed the first")
        cpu.ended = thread
        return prepareSwitch(to: takeNext(on: cpu.index))
    }

    /// Frees the thread that ended on this CPU (after a switch, it is not running).
    /// Allocates nothing: a thread's end gives back, it never needs memory.
    func reapEnded() {
        let cpu = CPU.this
        guard let thread = cpu.ended, thread !== cpu.current else { return }
        KernelHeap.whileFreeing {
            cpu.ended = nil
            threads.removeAll { $0 === thread }
            if thread.process != nil { ProcessRun.current?.threadFreed() }
            thread.release()
        }
    }

    /// Whether some thread is ready to run (on any CPU's queue: an empty one steals).
    var hasReadyThread: Bool { policy.hasReadyThread }

    /// Runs the next ready thread (or the idle context) instead of the running one, and
    /// returns when the running one runs again; then frees whoever ended meanwhile.
    private func switchToNext() {
        let cpu = CPU.this
        let next = takeNext(on: cpu.index)
        // The running thread, back on this CPU's queue, may well be the next one itself (the
        // other ready threads sit on other CPUs' queues): then it just goes on. And the idle
        // context may find nothing for it (the ready threads wait for their own CPUs).
        if next === cpu.current { return }
        let target = prepareSwitch(to: next)
        switch_context(target.save, target.load)
        // Back on this thread: its FS base, which the switch's segment loads may clear.
        if let current = CPU.this.current { LinuxPersonality.loadThreadPointer(current.threadPointer) }
        reapEnded()
    }

    /// The policy's next thread for `cpu`, and the hint brought up to date.
    private func takeNext(on cpu: CPUIndex) -> ThreadControlBlock? {
        let next = policy.next(on: cpu)
        readyHint.store(policy.hasReadyThread, ordering: .relaxed)
        return next
    }

    /// Makes `next`, the policy's choice for this CPU (with none, its idle context), the
    /// running one: CR3, the kernel stack of traps and system calls, and the FPU/SSE
    /// registers follow it. Returns where to save the stack pointer of the thread that stops
    /// and which to load. It holds every thread reference itself, so none outlives it on a
    /// stack that is switched away from.
    @inline(never)
    private func prepareSwitch(to next: ThreadControlBlock?) -> (save: UnsafeMutablePointer<UInt64>, load: UInt64) {
        let cpu = CPU.this
        let previous = cpu.current
        if let previous, previous.state != .ended { fxsave(previous.fpuState) }
        let save = previous?.savedStackPointer ?? cpu.idleStackPointer
        cpu.current = next
        if let next = cpu.current {
            next.lastCPU = cpu.index
            cpu.statistics.switches += 1
            CPUTables.setKernelStack(top: next.stackTop, on: cpu)
            // A kernel thread runs on the kernel's own page table. Threads of one process
            // share theirs: loading the same root again would only flush the TLB.
            load(root: next.process?.pageTableRoot ?? Kernel.memory.pageTable.root.raw, on: cpu)
            fxrstor(next.fpuState)
            return (save, next.savedStackPointer.pointee)
        }
        load(root: Kernel.memory.pageTable.root.raw, on: cpu)
        return (save, cpu.idleStackPointer.pointee)
    }

    /// Loads the page table `root` on `cpu` (unless it is loaded), and records it: TLB
    /// shootdowns for that address space reach the CPUs that have it loaded.
    private func load(root: UInt64, on cpu: CPU) {
        if read_cr3() & PageTableEntry.frameMask != root { write_cr3(root) }
        cpu.loadedRoot = root
    }
}

extension Scheduler where Policy == PerCPURunQueues<ThreadControlBlock> {
    /// Threads a CPU took from another's queue so far.
    var steals: Int { policy.steals }

    /// Only the CPUs that started take threads.
    func setOnline(_ cpus: [CPU]) {
        policy.setOnline(CPUSet(cpus.map { $0.index }))
    }
}
