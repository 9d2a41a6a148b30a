import X86_64Support

/// Checks of the kernel's threads spread over every CPU: the synchronisation types keep their
/// promises when the threads run on several CPUs, a waiting thread is parked and not
/// spinning, and the run queues spread the work and steal it. Each kernel thread records the
/// CPUs it ran on. (With one CPU, the checks that are about several say so and pass.)
enum ProcessorChecks {
    static var scheduler: KernelScheduler { Kernel.scheduler }

    static func runAll() -> Bool {
        HardwareChecks.run("mutex-counter-of-64-threads", mutexCounter)
            && HardwareChecks.run("waiting-thread-is-parked", waitingThreadIsParked)
            && HardwareChecks.run("semaphore-with-n-permits", semaphoreWithPermits)
            && HardwareChecks.run("bounded-buffer-with-many-consumers", boundedBufferWithManyConsumers)
            && HardwareChecks.run("run-queues-balance", runQueuesBalance)
            && HardwareChecks.run("idle-cpu-steals", idleCPUSteals)
    }

    /// The CPUs each thread of a check ran on, by the thread's number.
    final class Placement {
        var cpus: [CPUSet]
        init(_ count: Int) { cpus = Array(repeating: CPUSet(), count: count) }
        func note(_ thread: Int) { cpus[thread].insert(CPU.thisIndex) }
        var union: CPUSet { cpus.reduce(CPUSet()) { $0.union($1) } }
    }

    static var onlineCPUs: CPUSet { CPUSet(CPU.online.map { $0.index }) }

    /// Whether every online CPU ran some thread, or "" when they did.
    static func spread(_ placement: Placement) -> String? {
        let missing = onlineCPUs.subtracting(placement.union)
        return missing.isEmpty ? nil : "CPUs \(missing) ran none of the threads"
    }

    /// 64 threads add 1 to one counter 20 times each under a mutex, yielding between their
    /// read and their write: no increment is lost, and the threads started on every CPU.
    /// (Once they queue for the mutex, each is woken by the thread before it, onto that
    /// one's CPU: the holders take turns where the mutex is.)
    static func mutexCounter() -> String? {
        final class Shared { var counter = 0 }
        let shared = Shared(), mutex = MutexState(), placement = Placement(64)
        let bodies = (0..<64).map { number in
            {
                placement.note(number)
                for _ in 0..<20 {
                    scheduler.lock(mutex)
                    placement.note(number)
                    let seen = shared.counter
                    scheduler.yield()
                    shared.counter = seen + 1
                    scheduler.unlock(mutex)
                }
            }
        }
        if let failure = SynchronisationChecks.runThreads(bodies) { return failure }
        guard shared.counter == 64 * 20 else { return "the counter is \(shared.counter), not \(64 * 20): increments were lost" }
        return spread(placement)
    }

    /// A thread that wants a held mutex waits on its queue (state waiting, on no run queue)
    /// for as long as the holder keeps it: the holder yields 50 times meanwhile and looks at
    /// it each time; the waiter runs again only once it holds the mutex.
    static func waitingThreadIsParked() -> String? {
        final class Trace { var waiterRuns = 0; var parkedLooks = 0; var waiterID: ThreadID?; var gotIt = false }
        let trace = Trace(), mutex = MutexState()
        let holder = {
            scheduler.lock(mutex)
            while mutex.waiters.isEmpty { scheduler.yield() }
            for _ in 0..<50 {
                scheduler.yield()
                if let waiter = scheduler.threads.first(where: { $0.id == trace.waiterID }), case .waiting = waiter.state,
                   !scheduler.isRunning(waiter) { trace.parkedLooks += 1 }
            }
            scheduler.unlock(mutex)
        }
        let waiter = {
            trace.waiterID = CPU.this.current?.id
            while mutex.owner == nil { scheduler.yield() }
            trace.waiterRuns += 1
            scheduler.lock(mutex)
            trace.gotIt = true
            scheduler.unlock(mutex)
        }
        if let failure = SynchronisationChecks.runThreads([holder, waiter]) { return failure }
        guard trace.gotIt else { return "the waiter never got the mutex" }
        return trace.parkedLooks == 50 ? nil : "the waiter was not waiting at \(50 - trace.parkedLooks) of 50 looks"
    }

    /// A semaphore with 3 permits and 12 threads that each take one, yield twice holding it
    /// and give it back: never more than 3 hold one at once, and 3 at once did.
    static func semaphoreWithPermits() -> String? {
        final class Trace { var holding = 0; var most = 0; var done = 0 }
        let trace = Trace(), semaphore = SemaphoreState(3), placement = Placement(12)
        let bodies = (0..<12).map { number in
            {
                scheduler.down(semaphore)
                placement.note(number)
                trace.holding += 1
                trace.most = max(trace.most, trace.holding)
                scheduler.yield()
                scheduler.yield()
                trace.holding -= 1
                trace.done += 1
                scheduler.up(semaphore)
            }
        }
        if let failure = SynchronisationChecks.runThreads(bodies) { return failure }
        guard trace.done == 12 else { return "\(trace.done) of 12 threads got a permit" }
        guard trace.most <= 3 else { return "\(trace.most) threads held one of 3 permits at once" }
        return trace.most == 3 ? nil : "at most \(trace.most) threads held a permit at once: the permits were not all used"
    }

    /// A producer puts 400 numbers through a four-slot buffer to 2·N + 2 consumers (N
    /// CPUs), under a mutex with two condition variables: every number arrives exactly once,
    /// and no thread is left asleep.
    static func boundedBufferWithManyConsumers() -> String? {
        final class Buffer { var slots: [Int] = []; var taken: [Int] = []; var done = false }
        let buffer = Buffer(), mutex = MutexState()
        let hasItem = ConditionVariable("the buffer holds a number"), hasRoom = ConditionVariable("the buffer has room")
        let count = 400, capacity = 4, consumers = 2 * CPU.online.count + 2
        let producer = {
            for number in 1...count {
                scheduler.lock(mutex)
                while buffer.slots.count == capacity { scheduler.wait(on: hasRoom, releasing: mutex) }
                buffer.slots.append(number)
                scheduler.signal(hasItem)
                scheduler.unlock(mutex)
            }
            scheduler.lock(mutex)
            buffer.done = true
            scheduler.broadcast(hasItem)
            scheduler.unlock(mutex)
        }
        let consumer = {
            while true {
                scheduler.lock(mutex)
                while buffer.slots.isEmpty && !buffer.done { scheduler.wait(on: hasItem, releasing: mutex) }
                if buffer.slots.isEmpty {
                    scheduler.unlock(mutex)
                    return
                }
                buffer.taken.append(buffer.slots.removeFirst())
                scheduler.signal(hasRoom)
                scheduler.unlock(mutex)
                scheduler.yield()
            }
        }
        if let failure = SynchronisationChecks.runThreads([producer] + Array(repeating: consumer, count: consumers)) { return failure }
        return buffer.taken.sorted() == Array(1...count) ? nil : "\(buffer.taken.count) numbers arrived, not each of 1...\(count) once"
    }

    /// 40 tasks, each working in ten slices (a yield between): every CPU ran some of them,
    /// and none ran all.
    static func runQueuesBalance() -> String? {
        let placement = Placement(40)
        let bodies = (0..<40).map { number in
            {
                for _ in 0..<10 {
                    placement.note(number)
                    scheduler.yield()
                }
            }
        }
        if let failure = SynchronisationChecks.runThreads(bodies) { return failure }
        var ran = [Int](repeating: 0, count: CPU.all.count)
        for cpus in placement.cpus { for cpu in cpus { ran[cpu.value] += 1 } }
        if let failure = spread(placement) { return failure }
        guard CPU.online.count > 1 else { return nil }
        return ran.allSatisfy({ $0 < 40 }) ? nil : "one CPU ran all 40 tasks"
    }

    /// Tasks of very different lengths, the long ones placed together (every fourth task
    /// goes to the same CPU while the loads stay even): the CPUs whose queues run dry take
    /// ready threads from the busy one's queue. The long tasks keep working, for a second
    /// at most, until some CPU has.
    static func idleCPUSteals() -> String? {
        let before = scheduler.steals
        let deadline = read_tsc() + Timer.tscPerMillisecond * 1000
        let bodies = (0..<(4 * CPU.online.count)).map { number in
            {
                guard number % 4 == 0 else { return }
                while CPU.online.count > 1, scheduler.steals == before, read_tsc() < deadline { scheduler.yield() }
            }
        }
        if let failure = SynchronisationChecks.runThreads(bodies) { return failure }
        guard CPU.online.count > 1 else { return nil }
        return scheduler.steals > before ? nil : "no CPU took a thread from another's queue"
    }
}
