import ApusCore
import Foundation
import Testing

/// The spinlock on real host threads, and the lock-order validator's rules.
@Suite("Spinlocks and the lock-order validator")
struct LockTests {
    // MARK: - Spinlock

    @Test func aSpinlockExcludesOtherCPUsAndKnowsItsOwner() {
        var validator = LockOrderValidator()
        let lock = Spinlock("a shared counter", class: validator.register("a shared counter"))
        expectEqual(lock.owner, nil)
        expectEqual(lock.acquire(by: 2), .acquired(failedAttempts: 0))
        #expect(lock.owner == 2 && lock.isHeld(by: 2) && !lock.isHeld(by: 1))
        #expect(!lock.tryAcquire(by: 1), "another CPU cannot take it")
        expectEqual(lock.acquire(by: 2), .heldByCaller, "the holder asking again is refused, not left spinning")
        lock.release(by: 2)
        #expect(lock.owner == nil && lock.tryAcquire(by: 1))
        lock.release(by: 1)
    }

    @Test func fourThreadsIncrementingUnderTheLockLoseNoIncrement() {
        final class Counter: @unchecked Sendable { var value = 0; var waited = 0 }
        var validator = LockOrderValidator()
        let lock = Spinlock("the counter", class: validator.register("the counter"))
        let counter = Counter()
        let rounds = 20_000, cpus = 4
        let group = DispatchGroup()
        for cpu in 0..<cpus {
            group.enter()
            Thread {
                for _ in 0..<rounds {
                    guard case .acquired(let failed) = lock.acquire(by: CPUIndex(cpu)) else { fatalError("held by caller") }
                    counter.waited += failed
                    let seen = counter.value
                    counter.value = seen + 1
                    lock.release(by: CPUIndex(cpu))
                }
                group.leave()
            }.start()
        }
        group.wait()
        #expect(counter.value == rounds * cpus)
    }

    // MARK: - Lock order

    @Test func aPlantedInversionIsCaughtWithBothNames() {
        var validator = LockOrderValidator()
        let frames = validator.register("the frame allocator"), table = validator.register("the process table")
        expectEqual(validator.acquiring(table, on: 0), nil)
        expectEqual(validator.acquiring(frames, on: 0), nil, "frames while holding the table: learnt")
        validator.released(frames, on: 0)
        validator.released(table, on: 0)
        #expect(validator.hasSeen(table, before: frames))
        // Another CPU, another time, the other order.
        expectEqual(validator.acquiring(frames, on: 1), nil)
        let violation = validator.acquiring(table, on: 1)
        expectEqual(violation, .inversion(holding: "the frame allocator", acquiring: "the process table"))
        expectEqual(violation.map { "\($0)".contains("the frame allocator") && "\($0)".contains("the process table") }, true)
        expectEqual(validator.heldClasses(on: 1), [frames], "the refused acquire is not recorded")
    }

    @Test func anInversionThroughAThirdLockIsCaught() {
        var validator = LockOrderValidator()
        let a = validator.register("A"), b = validator.register("B"), c = validator.register("C")
        for (first, second) in [(a, b), (b, c)] {
            #expect(validator.acquiring(first, on: 0) == nil && validator.acquiring(second, on: 0) == nil)
            validator.released(second, on: 0)
            validator.released(first, on: 0)
        }
        expectEqual(validator.acquiring(c, on: 3), nil)
        expectEqual(validator.acquiring(a, on: 3), .inversion(holding: "C", acquiring: "A"), "A leads to C through B")
    }

    @Test func aDoubleAcquireIsCaughtWithTheLocksName() {
        var validator = LockOrderValidator()
        let console = validator.register("the console")
        expectEqual(validator.acquiring(console, on: 1), nil)
        expectEqual(validator.acquiring(console, on: 0), nil, "another CPU may hold another lock of the class")
        expectEqual(validator.acquiring(console, on: 1), .doubleAcquire("the console", cpu: 1))
        validator.released(console, on: 1)
        expectEqual(validator.acquiring(console, on: 1), nil, "after the release it is fine again")
    }

    @Test func theSameOrderEveryTimeIsNeverRefused() {
        var validator = LockOrderValidator()
        let classes = (0..<5).map { _ in validator.register("a lock") }
        for round in 0..<100 {
            let cpu = CPUIndex(round % 4)
            for lock in classes { expectEqual(validator.acquiring(lock, on: cpu), nil) }
            for lock in classes.reversed() { validator.released(lock, on: cpu) }
        }
    }

    // MARK: - CPU sets

    @Test func aCPUSetHoldsItsCPUsInOrder() {
        var set = CPUSet()
        #expect(set.isEmpty && set.first == nil)
        for cpu in [5, 0, 63, 2] as [CPUIndex] { set.insert(cpu) }
        #expect(Array(set) == [0, 2, 5, 63] && set.count == 4 && set.first == 0)
        set.remove(0)
        #expect(!set.contains(0) && set.contains(63))
        expectEqual(CPUSet.first(3), CPUSet([0, 1, 2] as [CPUIndex]))
        expectEqual(CPUSet.first(3).subtracting(set), CPUSet([0, 1] as [CPUIndex]))
        expectEqual("\(CPUSet([1, 3] as [CPUIndex]))", "{1, 3}")
    }
}
