import ApusCore
import Testing

/// The kernel's synchronisation types as state machines: who gets the mutex or the unit,
/// in which order, and that no wake-up is lost. The blocking itself is the scheduler's;
/// here a small simulated scheduler stands in for it (a thread that is told to wait is not
/// run again until someone wakes it), and the kernel's own check runs them with real kernel
/// threads (BootTests, `check synchronisation`).
@Suite("Mutex, semaphore and condition variable")
struct SynchronisationTests {
    @Test func aMutexIsHandedToItsWaitersFirstComeFirstServed() {
        let mutex = MutexState()
        #expect(mutex.lock(by: 1))
        #expect(!mutex.lock(by: 2))
        #expect(!mutex.lock(by: 3))
        expectEqual(mutex.unlock(by: 1), 2, "handed to the longest waiter")
        expectEqual(mutex.owner, 2)
        #expect(!mutex.lock(by: 1), "a latecomer cannot slip in before 3")
        expectEqual(mutex.unlock(by: 2), 3)
        expectEqual(mutex.unlock(by: 3), 1)
        expectEqual(mutex.unlock(by: 1), nil)
        expectEqual(mutex.owner, nil)
    }

    @Test func aSemaphoreRemembersAnUpWithNoWaiterAndHandsOverOneWithWaiters() {
        let semaphore = SemaphoreState(0)
        expectEqual(semaphore.up(), nil)
        expectEqual(semaphore.value, 1, "the signal is kept")
        #expect(semaphore.down(by: 1))
        #expect(!semaphore.down(by: 1))
        #expect(!semaphore.down(by: 2))
        expectEqual(semaphore.up(), 1)
        expectEqual(semaphore.value, 0, "the unit went to the waiter, not to the count")
        expectEqual(semaphore.up(), 2)
        expectEqual(semaphore.up(), nil)
        expectEqual(semaphore.value, 1)
    }

    @Test func aConditionVariableSignalsOneAndBroadcastsAllInOrder() {
        let variable = ConditionVariable("a test condition")
        expectEqual(variable.signal(), nil, "a signal with no waiter does nothing (unlike a semaphore)")
        variable.enqueue(4)
        variable.enqueue(2)
        variable.enqueue(9)
        expectEqual(variable.signal(), 4)
        expectEqual(variable.broadcast(), [2, 9])
        #expect(variable.broadcast().isEmpty)
        expectEqual("\(variable.condition)", "a test condition")
    }

    @Test func aWaitQueueWakesEveryWaiterOnceInOrder() {
        let queue = WaitQueue("a test condition")
        queue.add(3)
        queue.add(1)
        queue.add(2)
        queue.remove(1)
        expectEqual(queue.takeFirst(), 3)
        queue.add(7)
        expectEqual(queue.takeAll(), [2, 7])
        #expect(queue.takeAll().isEmpty, "a wake-up takes every waiter; none is left to wake twice")
        expectEqual(queue.takeFirst(), nil)
    }

    // MARK: - Simulated threads under a random scheduler

    /// Threads that each run a list of steps; the scheduler picks a ready thread at random
    /// for every step, and a thread that waits is not picked until it is woken.
    struct Simulation {
        var ready: Set<ThreadID>
        var random: SeededRandom

        init(threads: Range<Int>, seed: UInt64) {
            ready = Set(threads.map { ThreadID($0) })
            random = SeededRandom(seed: seed)
        }

        mutating func pick() -> ThreadID? { ready.sorted().randomElement(using: &random) }
        mutating func wake(_ thread: ThreadID?) {
            if let thread { ready.insert(thread) }
        }
    }

    @Test(arguments: 0..<40) func aMutexKeepsARaceyCounterRightUnderAnyInterleaving(seed: UInt64) {
        // Each thread: lock, read the counter, (others may run), write it plus one, unlock;
        // five times. Without the mutex, interleavings lose increments.
        let mutex = MutexState()
        var simulation = Simulation(threads: 1..<5, seed: seed)
        var counter = 0, step = [ThreadID: Int](), seen = [ThreadID: Int](), rounds = [ThreadID: Int]()
        var holders = Set<ThreadID>()
        var acquisitions: [ThreadID] = [], requests: [ThreadID] = []
        while let thread = simulation.pick() {
            switch step[thread, default: 0] {
            case 0:
                requests.append(thread)
                if mutex.lock(by: thread) { holders.insert(thread) } else { simulation.ready.remove(thread) }
                step[thread] = 1
                continue
            case 1:
                holders.insert(thread)
                acquisitions.append(thread)
                expectEqual(holders, [thread], "only the owner is inside")
                seen[thread] = counter
                step[thread] = 2
            case 2:
                counter = seen[thread]! + 1
                holders.remove(thread)
                simulation.wake(mutex.unlock(by: thread))
                rounds[thread, default: 0] += 1
                step[thread] = rounds[thread]! == 5 ? 3 : 0
            default:
                simulation.ready.remove(thread)
            }
        }
        expectEqual(counter, 20, "no increment lost")
        #expect(mutex.owner == nil && mutex.waiters.isEmpty)
        expectEqual(acquisitions, requests, "the mutex went to threads in the order they asked")
    }

    @Test(arguments: 0..<40) func aConditionVariableWithItsMutexLosesNoWakeUp(seed: UInt64) {
        // A producer puts 30 items one at a time into a one-slot buffer; two consumers take
        // them. Each side waits on its condition variable in the textbook loop.
        let mutex = MutexState(), hasItem = ConditionVariable("the slot is full"), hasRoom = ConditionVariable("the slot is empty")
        var slot: Int? = nil, produced = 0, consumed: [Int] = []
        enum Step { case lock, check, wait, relock, done }
        var step = [ThreadID: Step]()
        var simulation = Simulation(threads: 1..<4, seed: seed)
        // Thread 1 produces; 2 and 3 consume until 30 items were taken.
        while let thread = simulation.pick() {
            switch step[thread, default: .lock] {
            case .lock, .relock:
                step[thread] = .check
                if !mutex.lock(by: thread) { simulation.ready.remove(thread) }
            case .check:
                let finished = thread == 1 ? produced == 30 : consumed.count == 30
                if finished {
                    simulation.wake(mutex.unlock(by: thread))
                    for waiter in hasItem.broadcast() + hasRoom.broadcast() { simulation.wake(waiter) }
                    step[thread] = .done
                } else if thread == 1 ? slot != nil : slot == nil {
                    // wait(on:releasing:): queue, release the mutex, block; relock when woken.
                    (thread == 1 ? hasRoom : hasItem).enqueue(thread)
                    simulation.wake(mutex.unlock(by: thread))
                    simulation.ready.remove(thread)
                    step[thread] = .relock
                } else {
                    if thread == 1 {
                        produced += 1
                        slot = produced
                        simulation.wake(hasItem.signal())
                    } else {
                        consumed.append(slot!)
                        slot = nil
                        simulation.wake(hasRoom.signal())
                    }
                    simulation.wake(mutex.unlock(by: thread))
                    step[thread] = .lock
                }
            case .wait, .done:
                simulation.ready.remove(thread)
            }
        }
        expectEqual(consumed, Array(1...30), "every item taken once, in order: no thread slept through its wake-up")
        #expect(step.values.allSatisfy { $0 == .done }, "every thread finished; none was left waiting")
    }
}
