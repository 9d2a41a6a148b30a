import ApusCore
import Testing

/// The round-robin policy and the deadlock rule, on their own.
@Suite("Scheduling: round robin and the deadlock rule")
struct SchedulingTests {
    // MARK: - Round robin

    @Test func readyThreadsRunInTheOrderTheyBecameReady() {
        var policy = RoundRobin<ThreadID>()
        #expect(!policy.hasReadyThread && policy.next() == nil)
        for id in [3, 1, 2] as [ThreadID] { policy.enqueue(id) }
        expectEqual(policy.next(), 3)
        policy.enqueue(3) // its slice is over: to the back of the line
        expectEqual([policy.next(), policy.next(), policy.next()], [1, 2, 3])
        #expect(!policy.hasReadyThread && policy.readyCount == 0)
    }

    @Test func theOrderHoldsAcrossManyTurnsOfTheLine() {
        // More turns than the queue keeps taken slots at its front (it drops them now and
        // then): the order never changes.
        var policy = RoundRobin<ThreadID>()
        let threads = (1...5).map { ThreadID($0) }
        for thread in threads { policy.enqueue(thread) }
        var order: [ThreadID] = []
        for _ in 0..<500 {
            guard let thread = policy.next() else { break }
            order.append(thread)
            policy.enqueue(thread)
            expectEqual(policy.readyCount, 5)
        }
        expectEqual(order, (0..<500).map { threads[$0 % 5] })
    }

    @Test func aThreadTakenOffTheQueueIsNotKeptAlive() {
        final class Thread {}
        var policy = RoundRobin<Thread>()
        weak var taken: Thread?
        do {
            let thread = Thread()
            taken = thread
            policy.enqueue(thread)
            policy.enqueue(Thread())
            #expect(policy.next() === thread)
        }
        #expect(taken == nil, "the queue let go of its slot")
        expectEqual(policy.readyCount, 1)
    }

    // MARK: - The deadlock rule

    let pipe = WaitQueue("the pipe holds bytes")
    let join = WaitQueue("a thread of the process ends")
    let input = WaitQueue("console input arrives or ends", source: .outside)

    @Test func aReadyThreadMeansNoVerdictIsNeeded() {
        expectEqual(DeadlockRule.verdict([.waiting(pipe), .ready, .waiting(join)]), .runs)
    }

    @Test func noThreadOrOnlyEndedOnesMeansTheRunIsOver() {
        expectEqual(DeadlockRule.verdict([ThreadState]()), .over)
        expectEqual(DeadlockRule.verdict([.ended, .ended]), .over)
    }

    @Test func threadsThatAllWaitForOtherThreadsAreDeadlocked() {
        expectEqual(DeadlockRule.verdict([.waiting(pipe)]), .deadlock)
        expectEqual(DeadlockRule.verdict([.waiting(pipe), .ended, .waiting(join)]), .deadlock)
    }

    @Test func threadsThatWaitWhileAnAlarmIsSetAreNotDeadlocked() {
        expectEqual(DeadlockRule.verdict([.waiting(pipe), .waiting(join)], alarmIsSet: true), .waitsForOutside)
        expectEqual(DeadlockRule.verdict([.waiting(pipe)], alarmIsSet: false), .deadlock)
        expectEqual(DeadlockRule.verdict([.ended], alarmIsSet: true), .over, "an alarm keeps no run going once its threads are gone")
        expectEqual(DeadlockRule.verdict([.ready, .waiting(pipe)], alarmIsSet: true), .runs)
    }

    @Test func oneThreadWaitingForTheOutsideMakesTheWaitNoDeadlock() {
        expectEqual(DeadlockRule.verdict([.waiting(input)]), .waitsForOutside)
        expectEqual(DeadlockRule.verdict([.waiting(pipe), .waiting(input), .ended]), .waitsForOutside)
        expectEqual(DeadlockRule.verdict([.waiting(input), .ready]), .runs)
    }

    @Test func aConditionVariableTellsItsSourceToItsQueue() {
        expectEqual(ConditionVariable("a thread ends").waiters.source, .threads)
        expectEqual(ConditionVariable("the disk request completes", source: .outside).waiters.source, .outside)
    }
}
