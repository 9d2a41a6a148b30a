/// Round robin: ready threads run in the order they became ready, each until it waits, ends
/// or uses up its time slice (the kernel's timer), and then goes to the back of the line.
/// Fair and simple: with n threads ready, each waits for at most n − 1 slices. One line for
/// every CPU: any CPU takes the thread at its front (``PerCPURunQueues`` keeps one per CPU).
///
/// The line is an array read from `head`; a slot that was taken is emptied at once, so the
/// queue never keeps a thread (and, in the kernel, its kernel stack) alive after the
/// scheduler freed it, and the taken slots are dropped from the front now and then.
public struct RoundRobin<Runnable>: SchedulingPolicy {
    private var queue: [Runnable?] = []
    private var head = 0
    /// How many taken slots may pile up at the front before they are dropped.
    static var compactionThreshold: Int { 64 }

    public init() {}

    /// A round robin that never allocates while it holds at most `threadLimit` threads:
    /// its line has room for them and for the taken slots at its front. Making a thread
    /// ready (a wake-up, the end of a process that must end its waiting threads) then needs
    /// no memory.
    public init(threadLimit: Int) {
        queue.reserveCapacity(threadLimit + Self.compactionThreshold)
    }

    /// `thread` goes to the back of the line.
    public mutating func enqueue(_ thread: Runnable) {
        queue.append(thread)
    }

    /// Every reason puts the thread at the back of the one line, which every CPU serves.
    public mutating func enqueue(_ thread: Runnable, _ reason: ReadyReason) -> CPUIndex? {
        enqueue(thread)
        return nil
    }

    public var hasReadyThread: Bool { head < queue.count }

    /// How many threads are ready.
    public var readyCount: Int { queue.count - head }

    /// The thread at the front of the line, taken off it.
    public mutating func next() -> Runnable? {
        guard head < queue.count else { return nil }
        let thread = queue[head]
        queue[head] = nil
        head += 1
        if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= Self.compactionThreshold {
            queue.removeFirst(head)
            head = 0
        }
        return thread
    }

    public mutating func next(on cpu: CPUIndex) -> Runnable? { next() }
}
