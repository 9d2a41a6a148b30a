/// A run queue per CPU: each CPU runs the threads of its own queue round robin, new threads
/// go to the least loaded CPU, and a CPU whose queue runs dry takes work from the busiest
/// (*work stealing*). The policy of a kernel with several CPUs.
///
/// One shared line (``RoundRobin``) is fair but makes every CPU touch the same queue for
/// every switch, and sends a thread to whichever CPU asks first, far from the caches that
/// hold its memory. A queue per CPU keeps a thread where it ran, and asks for balance only at
/// the moments where it is cheap:
///
/// * **Placement** (``ReadyReason/new``): a new thread goes to the CPU with the least
///   *load* (ready threads in its queue, plus one while it runs a thread), the lowest
///   numbered among equals.
/// * **Wake-up** (``ReadyReason/woken(lastCPU:by:)``): to the CPU of the thread that woke it
///   when that CPU has no other thread queued (*wake affine*: the waker most often waits next,
///   for the answer, and the two take turns on one CPU with no interrupt between them, as a
///   pipe's two ends or a mutex's holders do); else back to the CPU it last ran on, whose
///   caches may still hold its memory, unless another CPU has less load; then there. The
///   pairs that keep working after are spread again at their next preemption.
/// * **Preemption** (``ReadyReason/preempted(on:)``): to the back of its own CPU's queue,
///   unless another CPU has at least two less load (it would otherwise wait while that CPU
///   idles): then it moves there (*push migration*).
/// * **Stealing**: a CPU with an empty queue takes the thread at the front of the busiest
///   queue (the one with the most ready threads, the lowest numbered among equals) of a CPU
///   that is busy running another, or not online. A thread queued for an idle CPU is left
///   to it: the kernel has woken that CPU for it.
/// * **Online CPUs**: threads are placed only on CPUs that run (``setOnline(_:)``); a CPU
///   that never started keeps no thread.
///
/// ``enqueue(_:_:)`` says which CPU took the thread, so that the kernel can wake it with an
/// interrupt when it idles. The policy counts a CPU busy from the thread it hands that CPU
/// (``next(on:)``) until the CPU asks again.
public struct PerCPURunQueues<Runnable>: SchedulingPolicy {
    /// The CPUs served: 0 to `cpuCount` − 1.
    public let cpuCount: Int
    private var queues: [RoundRobin<Runnable>]
    private var busy: [Bool]
    /// The CPUs that take threads.
    public private(set) var online: CPUSet
    /// Threads taken from another CPU's queue so far (a measure for tests and the kernel log).
    public private(set) var steals = 0
    /// Threads moved to a less loaded CPU at the end of their time slice so far.
    public private(set) var migrations = 0

    /// Empty queues for `cpuCount` CPUs, each with room for `threadLimit` threads (any one
    /// CPU may queue them all), so that making a thread ready needs no memory while no more
    /// threads than that exist.
    public init(cpuCount: Int, threadLimit: Int = 0) {
        precondition(cpuCount >= 1 && cpuCount <= CPUSet.capacity, "1 to \(CPUSet.capacity) CPUs")
        self.cpuCount = cpuCount
        // One line each, made apart: copies of one line would share its storage until the
        // first thread arrives, and then allocate.
        queues = (0..<cpuCount).map { _ in RoundRobin(threadLimit: threadLimit) }
        busy = Array(repeating: false, count: cpuCount)
        online = CPUSet.first(cpuCount)
    }

    /// Only `cpus` (some of them, CPU 0 among them) take threads from now on; the threads
    /// already queued for another go to the CPUs that steal them.
    public mutating func setOnline(_ cpus: CPUSet) {
        precondition(cpus.contains(.bootstrap) && cpus.subtracting(CPUSet.first(cpuCount)).isEmpty, "CPU 0 and only known CPUs")
        online = cpus
    }

    /// Ready threads in `cpu`'s queue.
    public func readyCount(on cpu: CPUIndex) -> Int { queues[cpu.value].readyCount }

    /// Whether `cpu` runs a thread the policy handed it.
    public func isBusy(_ cpu: CPUIndex) -> Bool { busy[cpu.value] }

    /// The load of `cpu`: its ready threads, plus one while it runs one.
    public func load(of cpu: CPUIndex) -> Int { queues[cpu.value].readyCount + (busy[cpu.value] ? 1 : 0) }

    public var hasReadyThread: Bool { queues.contains { $0.hasReadyThread } }

    /// Ready threads in every queue.
    public var readyCount: Int { queues.reduce(0) { $0 + $1.readyCount } }

    public mutating func enqueue(_ thread: Runnable, _ reason: ReadyReason) -> CPUIndex? {
        let target: CPUIndex
        switch reason {
        case .new:
            target = leastLoaded()
        case .woken(let last, let waker):
            let least = leastLoaded()
            if let waker, online.contains(waker), !queues[waker.value].hasReadyThread {
                target = waker
            } else {
                target = load(of: least) < load(of: last) || !online.contains(last) ? least : last
            }
        case .preempted(let cpu):
            // `cpu` still counts busy with this very thread: it competes with the queue.
            let least = leastLoaded()
            if load(of: least) + 2 <= load(of: cpu) || !online.contains(cpu) {
                target = least
                migrations += 1
            } else {
                target = cpu
            }
        }
        queues[target.value].enqueue(thread)
        return target
    }

    public mutating func next(on cpu: CPUIndex) -> Runnable? {
        if let thread = queues[cpu.value].next() {
            busy[cpu.value] = true
            return thread
        }
        if let victim = busiest(), let thread = queues[victim.value].next() {
            steals += 1
            busy[cpu.value] = true
            return thread
        }
        busy[cpu.value] = false
        return nil
    }

    /// The online CPU with the least load, the lowest numbered among equals.
    public func leastLoaded() -> CPUIndex {
        var best = CPUIndex.bootstrap
        for cpu in online where load(of: cpu) < load(of: best) { best = cpu }
        return best
    }

    /// The CPU with the most ready threads among those that cannot take them now (busy, or
    /// not online), if any has one.
    private func busiest() -> CPUIndex? {
        var best: Int?
        for index in 0..<cpuCount where queues[index].hasReadyThread && (busy[index] || !online.contains(CPUIndex(index))) {
            if best == nil || queues[index].readyCount > queues[best!].readyCount { best = index }
        }
        return best.map { CPUIndex($0) }
    }
}
