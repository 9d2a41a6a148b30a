import X86_64Support

/// Checks, with real kernel threads on the kernel's scheduler, that the synchronisation
/// types keep their promises (ApusCore's MutexState, SemaphoreState and ConditionVariable; the
/// scheduler does the blocking). The kernel runs with interrupts off, so a kernel thread
/// only gives up the CPU where it says so (`yield`, or a wait): each check yields inside its
/// critical sections, where an unprotected version would go wrong, and then looks at what
/// the threads did. Every check also ends with no thread left waiting: a lost wake-up
/// would leave one asleep forever, and with every thread freed (its kernel stack back).
enum SynchronisationChecks {
    static var scheduler: KernelScheduler { Kernel.scheduler }

    /// Runs every check, one line each (HardwareChecks.run), until one fails: a failed check
    /// may leave its threads asleep for good (that is what it found), and they cannot be
    /// woken safely (a thread woken out of `lock` would not hold the mutex), so the checks
    /// after it would not run on a clean scheduler.
    static func runAll() -> Bool {
        HardwareChecks.run("mutex-excludes", mutexExcludes)
            && HardwareChecks.run("mutex-first-come-first-served", mutexIsFair)
            && HardwareChecks.run("semaphore-ping-pong", semaphorePingPong)
            && HardwareChecks.run("semaphore-wakes-in-order", semaphoreWakesInOrder)
            && HardwareChecks.run("condition-variable-bounded-buffer", boundedBuffer)
    }

    /// Runs `bodies` as kernel threads until none is ready and `idle` (called then, in the
    /// idle context) says no wait will end by itself; `nil` when they all ended and were
    /// freed, else how many were left waiting (a lost wake-up, or a deadlock of the check) or
    /// alive.
    static func runThreads(_ bodies: [() -> Void], idle: () -> Bool = { false }) -> String? {
        let liveBefore = ThreadControlBlock.liveCount
        for (index, body) in bodies.enumerated() { scheduler.add(ThreadControlBlock(number: index, work: body)) }
        // Every CPU takes some: this one runs what it is given, and idles while the others
        // still run threads, or while `idle` says a wait will end by itself.
        while true {
            scheduler.runReadyThreads()
            if DeadlockRule.verdict(scheduler.threads.lazy.map { $0.state }) == .runs {
                scheduler.idle()
            } else if !idle() {
                break
            }
        }
        let stuck = scheduler.waitingThreads.count
        if stuck > 0 { return "\(stuck) threads were left waiting" }
        scheduler.reapEnded()
        let alive = ThreadControlBlock.liveCount - liveBefore
        return alive == 0 ? nil : "\(alive) threads were not freed after they ended"
    }

    /// Four threads add 1 to one counter 200 times each, reading it, yielding, then writing it
    /// back, under a mutex: no increment is lost (without the mutex, most are: checked too).
    static func mutexExcludes() -> String? {
        final class Shared { var counter = 0 }
        func race(locked: Bool) -> (Int, String?) {
            let shared = Shared(), mutex = MutexState()
            let body = {
                for _ in 0..<200 {
                    if locked { scheduler.lock(mutex) }
                    let seen = shared.counter
                    scheduler.yield()
                    shared.counter = seen + 1
                    if locked { scheduler.unlock(mutex) }
                }
            }
            let failure = runThreads([body, body, body, body])
            return (shared.counter, failure)
        }
        let (locked, failure) = race(locked: true)
        if let failure { return failure }
        guard locked == 800 else { return "the counter is \(locked), not 800: increments were lost under the mutex" }
        let (unlocked, _) = race(locked: false)
        return unlocked < 800 ? nil : "without the mutex the counter is still 800: the check does not interleave"
    }

    /// Three threads ask for a held mutex, one after the other (on whichever CPUs they run:
    /// the order they asked in is recorded); it goes to them in that order, and the holder,
    /// asking again after them, gets it last.
    static func mutexIsFair() -> String? {
        final class Trace { var asked: [Int] = []; var order: [Int] = [] }
        let trace = Trace(), mutex = MutexState()
        let holder = {
            scheduler.lock(mutex)
            while mutex.waiters.waiters.count < 3 { scheduler.yield() } // the others queue up
            scheduler.unlock(mutex)
            scheduler.lock(mutex) // asks again, after the three
            trace.order.append(0)
            scheduler.unlock(mutex)
        }
        func waiter(_ number: Int) -> () -> Void {
            {
                while mutex.owner == nil { scheduler.yield() } // the holder has it first
                trace.asked.append(number)
                scheduler.lock(mutex)
                trace.order.append(number)
                scheduler.yield()
                scheduler.unlock(mutex)
            }
        }
        if let failure = runThreads([holder, waiter(1), waiter(2), waiter(3)]) { return failure }
        return trace.order == trace.asked + [0] ? nil : "the mutex went to \(trace.order.count) threads out of the order they asked in"
    }

    /// Two threads hand the turn back and forth with two semaphores, 1,000 times: the turns
    /// strictly alternate. Reports the cost of a round trip (two waits, two wake-ups, two
    /// switches) in TSC ticks.
    static func semaphorePingPong() -> String? {
        final class Trace { var turns: [UInt8] = []; var ticks: UInt64 = 0 }
        let trace = Trace(), ping = SemaphoreState(0), pong = SemaphoreState(0)
        let rounds = 1000
        let first = {
            let start = read_tsc()
            for _ in 0..<rounds {
                trace.turns.append(1)
                scheduler.up(pong)
                scheduler.down(ping)
            }
            trace.ticks = read_tsc() - start
        }
        let second = {
            for _ in 0..<rounds {
                scheduler.down(pong)
                trace.turns.append(2)
                scheduler.up(ping)
            }
        }
        if let failure = runThreads([first, second]) { return failure }
        guard trace.turns.count == 2 * rounds else { return "\(trace.turns.count) turns, not \(2 * rounds)" }
        for (index, turn) in trace.turns.enumerated() where turn != UInt8(index % 2 + 1) {
            return "turn \(index) was thread \(turn)'s: the turns did not alternate"
        }
        log("semaphore ping-pong between two kernel threads: \(trace.ticks / UInt64(rounds)) TSC ticks per round trip")
        return nil
    }

    /// Three threads wait on one semaphore, one after the other; three `up`s hand the units
    /// to them in the order they started to wait (each then runs on whichever CPU takes
    /// it), and an `up` before anyone waits is not lost (the next `down` does not wait).
    static func semaphoreWakesInOrder() -> String? {
        final class Trace { var waited: [ThreadID] = []; var woken: [ThreadID] = []; var earlyDownWaited = true; var given = false }
        let trace = Trace(), semaphore = SemaphoreState(0), early = SemaphoreState(0)
        let waiter = { scheduler.down(semaphore) }
        let giver = {
            scheduler.up(early) // no one waits yet: kept in the count
            trace.given = true
            while semaphore.waiters.waiters.count < 3 { scheduler.yield() } // the three waiters queue up
            trace.waited = semaphore.waiters.waiters
            for _ in 0..<3 { if let woken = scheduler.up(semaphore) { trace.woken.append(woken) } }
        }
        let lateTaker = {
            while !trace.given { scheduler.yield() }
            let waited = early.value == 0
            scheduler.down(early)
            trace.earlyDownWaited = waited
        }
        if let failure = runThreads([waiter, waiter, waiter, giver, lateTaker]) { return failure }
        guard !trace.earlyDownWaited else { return "an up before the down was lost" }
        return trace.woken == trace.waited ? nil : "woken out of the order they waited in"
    }

    /// A producer puts 300 numbers through a two-slot buffer to two consumers, each side
    /// waiting on a condition variable in the textbook loop and yielding while it holds the
    /// mutex: every number arrives exactly once, each consumer sees them in order, no thread
    /// is left asleep, and on one CPU both consumers take numbers.
    static func boundedBuffer() -> String? {
        final class Buffer { var slots: [Int] = []; var taken: [[Int]] = [[], []]; var done = false }
        let buffer = Buffer(), mutex = MutexState()
        let hasItem = ConditionVariable("the buffer holds a number"), hasRoom = ConditionVariable("the buffer has room")
        let count = 300, capacity = 2
        let producer = {
            for number in 1...count {
                scheduler.lock(mutex)
                while buffer.slots.count == capacity { scheduler.wait(on: hasRoom, releasing: mutex) }
                buffer.slots.append(number)
                scheduler.yield()
                scheduler.signal(hasItem)
                scheduler.unlock(mutex)
            }
            scheduler.lock(mutex)
            buffer.done = true
            scheduler.broadcast(hasItem)
            scheduler.unlock(mutex)
        }
        func consumer(_ index: Int) -> () -> Void {
            {
                while true {
                    scheduler.lock(mutex)
                    while buffer.slots.isEmpty && !buffer.done { scheduler.wait(on: hasItem, releasing: mutex) }
                    if buffer.slots.isEmpty {
                        scheduler.unlock(mutex)
                        return
                    }
                    buffer.taken[index].append(buffer.slots.removeFirst())
                    scheduler.signal(hasRoom)
                    scheduler.yield()
                    scheduler.unlock(mutex)
                }
            }
        }
        if let failure = runThreads([producer, consumer(0), consumer(1)]) { return failure }
        let all = (buffer.taken[0] + buffer.taken[1]).sorted()
        guard all == Array(1...count) else { return "\(all.count) numbers arrived, not each of 1...\(count) once" }
        for taken in buffer.taken where taken != taken.sorted() { return "a consumer saw the numbers out of order" }
        // On one CPU the round robin gives both consumers numbers. On several, a consumer whose
        // CPU the host happened not to run (software emulation on a busy machine) may take none.
        guard CPU.online.count > 1 || buffer.taken.allSatisfy({ !$0.isEmpty }) else { return "one consumer took every number: the other never ran" }
        return nil
    }
}
