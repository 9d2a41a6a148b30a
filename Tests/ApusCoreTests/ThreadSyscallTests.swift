import ApusCore
import Testing

/// The thread system calls on the host (ABI.md §5): what `thread_create` checks before
/// anything changes, the rules of `thread_join`, and the status of a process whose threads
/// end one by one. Starting and switching threads is the kernel's (the system tests).
@Suite("Threads: thread_create, thread_join, exit_group")
struct ThreadSyscallTests {
    static let buffer = ProcessHarnessLayout.buffer
    static let readOnly = ProcessHarnessLayout.readOnly
    static let invalid: Int64 = -22, badAddress: Int64 = -14

    /// A harness with the name "worker" written at the start of its buffer.
    static func harness(_ machine: TestMachine) throws -> ProcessHarness<EagerPager> {
        let harness = try ProcessHarness(machine)
        try harness.process.mm.copyOut(Array("worker\0".utf8), to: VirtualAddress(buffer))
        return harness
    }

    static func create(_ harness: ProcessHarness<EagerPager>, name: UInt64 = buffer, stack: UInt64 = buffer + 0x2000,
                       entry: UInt64 = 0x40_1000, argument: UInt64 = 7) -> SyscallOutcome<HostMemory> {
        harness.process.dispatch(KeOSSyscallNumber.threadCreate.rawValue, SyscallArguments(name, stack, entry, argument))
    }

    /// Starts thread `id` as the kernel does: `thread_create` checked, then started.
    static func start(_ harness: ProcessHarness<EagerPager>, id: ThreadID) throws {
        guard case .threadCreate(let start) = create(harness) else { throw KernelError.noMemory }
        try harness.process.startThread(start, id: id)
    }

    static func join(_ harness: ProcessHarness<EagerPager>, _ target: ThreadID, status: UInt64 = 0, by caller: ThreadID = 1) -> SyscallOutcome<HostMemory> {
        harness.process.dispatch(KeOSSyscallNumber.threadJoin.rawValue, SyscallArguments(UInt64(bitPattern: Int64(target.value)), status), by: caller)
    }

    static func returnAddressSlot(_ harness: ProcessHarness<EagerPager>) throws -> UInt64 {
        var slot: UInt64 = 0
        try withUnsafeMutableBytes(of: &slot) { try harness.process.mm.copyIn(from: VirtualAddress(Self.buffer + 0x1FF8), into: $0) }
        return slot
    }

    @Test func threadCreateIsCheckedFirstAndTheStartWritesAZeroReturnAddress() throws {
        try withMachine { machine in
            let harness = try Self.harness(machine)
            try harness.process.mm.copyOut(value: UInt64.max, to: VirtualAddress(Self.buffer + 0x1FF8))
            let outcome = Self.create(harness)
            let start = ThreadStart(entry: VirtualAddress(0x40_1000), stackPointer: VirtualAddress(Self.buffer + 0x1FF8), argument: 7, name: Array("worker".utf8))
            expectEqual(outcome, .threadCreate(start))
            expectEqual(try Self.returnAddressSlot(harness), UInt64.max, "checking changes nothing: the kernel may still refuse")
            try harness.process.startThread(start, id: 2)
            expectEqual(try Self.returnAddressSlot(harness), 0, "the 0 return address")
            #expect(harness.process.threads.isRunning(2))
        }
    }

    @Test func aThreadWhoseReturnAddressFindsNoFrameDoesNotStart() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine, pager: LazyPager())
            try harness.process.mm.copyOut(Array("worker\0".utf8), to: VirtualAddress(Self.buffer))
            guard case .threadCreate(let start) = harness.process.dispatch(KeOSSyscallNumber.threadCreate.rawValue,
                                                                          SyscallArguments(Self.buffer, Self.buffer + 0x2000, 0x40_1000, 7))
            else { Issue.record("not checked"); return }
            machine.frames.failAllocation(after: 0)
            #expect(throws: KernelError.noMemory) { try harness.process.startThread(start, id: 2) }
            machine.frames.cancelInjectedFailure()
            #expect(!harness.process.threads.isRunning(2), "nothing of the thread remains")
        }
    }

    @Test func threadCreateRefusesBadNamesStacksAndEntriesAndChangesNothing() throws {
        try withMachine { machine in
            let harness = try Self.harness(machine)
            try harness.process.mm.copyOut(value: UInt64.max, to: VirtualAddress(Self.buffer + 0x1FF8))
            let refused: [(SyscallOutcome<HostMemory>, Int64, String)] = [
                (Self.create(harness, name: 0), Self.badAddress, "a NULL name"),
                (Self.create(harness, name: 0x7000_0000), Self.badAddress, "a name in no mapping"),
                (Self.create(harness, stack: 0), Self.badAddress, "a NULL stack"),
                (Self.create(harness, stack: 4), Self.badAddress, "a stack below 8"),
                (Self.create(harness, stack: Self.buffer), Self.badAddress, "a stack whose page below is not mapped"),
                (Self.create(harness, stack: Self.readOnly + 0x1000), Self.badAddress, "a read-only stack"),
                (Self.create(harness, stack: 0xFFFF_8000_0000_1000), Self.badAddress, "a stack in the kernel half"),
                (Self.create(harness, entry: 0x0000_8000_0000_0000), Self.badAddress, "a non-canonical entry"),
                (Self.create(harness, entry: 0xFFFF_FFFF_8000_0000), Self.badAddress, "an entry in the kernel half"),
            ]
            for (outcome, error, why) in refused { expectEqual(outcome, .returns(error), "\(why)") }
            try harness.process.mm.copyOut([0xC3, 0x28, 0], to: VirtualAddress(Self.buffer + 0x100))
            expectEqual(Self.create(harness, name: Self.buffer + 0x100), .returns(Self.invalid), "a name that is not UTF-8")
            let long = [UInt8](repeating: 0x61, count: ThreadStart.maximumNameBytes + 1) + [0]
            try harness.process.mm.copyOut(long, to: VirtualAddress(Self.buffer))
            expectEqual(Self.create(harness), .returns(Self.invalid), "a name longer than 4,096 bytes is not a valid name")
            expectEqual(try Self.returnAddressSlot(harness), UInt64.max, "no refused call wrote the return address")
            expectEqual(harness.process.threads.runningCount, 1)
        }
    }

    @Test func aLongNameIsCutForTheLog() throws {
        try withMachine { machine in
            let harness = try Self.harness(machine)
            try harness.process.mm.copyOut([UInt8](repeating: 0x62, count: 100) + [0], to: VirtualAddress(Self.buffer))
            guard case .threadCreate(let start) = Self.create(harness) else { Issue.record("not created"); return }
            expectEqual(start.name, [UInt8](repeating: 0x62, count: ThreadStart.maximumNameLength))
        }
    }

    @Test func joinRefusesItselfUnknownIdsAndThreadsJoinedAlready() throws {
        try withMachine { machine in
            let harness = try Self.harness(machine)
            try Self.start(harness, id: 5)
            expectEqual(Self.join(harness, 1), .returns(Self.invalid), "the caller's own id")
            expectEqual(Self.join(harness, 2), .returns(Self.invalid), "an id that is no thread of the process")
            expectEqual(Self.join(harness, -1), .returns(Self.invalid))
            expectEqual(Self.join(harness, 5, status: Self.readOnly), .returns(Self.badAddress), "a status the program cannot write")
            expectEqual(Self.join(harness, 5, status: 0xFFFF_8000_0000_0000), .returns(Self.badAddress))
            expectEqual(Self.join(harness, 5, status: Self.buffer), .waits(harness.process.threads.ended,
                                                                             resume: .join(5, status: VirtualAddress(Self.buffer)), done: 0),
                        "a running thread: wait")
            harness.process.threads.ended.enqueue(ThreadID(1)) // the joiner waits
            expectEqual(harness.process.threadEnded(5, status: -3), nil, "the main thread still runs")
            expectEqual(harness.process.takeWakeups(), [harness.process.threads.ended], "an end wakes the joiners")
            expectEqual(Self.join(harness, 5, status: Self.buffer), .returns(0))
            var status: Int32 = 0
            try withUnsafeMutableBytes(of: &status) { try harness.process.mm.copyIn(from: VirtualAddress(Self.buffer), into: $0) }
            expectEqual(status, -3)
            expectEqual(Self.join(harness, 5), .returns(Self.invalid), "joined already")
        }
    }

    @Test func aJoinWhoseStatusCannotBeStoredLeavesTheThreadUnjoined() throws {
        try withMachine { machine in
            let harness = try Self.harness(machine)
            try Self.start(harness, id: 5)
            _ = harness.process.threadEnded(5, status: 9)
            expectEqual(Self.join(harness, 5, status: Self.readOnly), .returns(Self.badAddress))
            expectEqual(Self.join(harness, 5), .returns(0), "NULL status: joined, status not stored")
        }
    }

    @Test func twoJoinersOfOneThreadExactlyOneSucceeds() throws {
        try withMachine { machine in
            let harness = try Self.harness(machine)
            try Self.start(harness, id: 5)
            try Self.start(harness, id: 6)
            try Self.start(harness, id: 7)
            let ended = harness.process.threads.ended
            let rest = WaitingCall<HostMemory>.join(5, status: VirtualAddress(0))
            expectEqual(Self.join(harness, 5, by: 6), .waits(ended, resume: rest, done: 0))
            expectEqual(Self.join(harness, 5, by: 7), .waits(ended, resume: rest, done: 0))
            _ = harness.process.threadEnded(5, status: 1)
            expectEqual(harness.process.resume(rest, by: 7), .returns(0))
            expectEqual(harness.process.resume(rest, by: 6), .returns(Self.invalid))
        }
    }

    @Test func theProcessEndsWithItsMainThreadsStatusWhenItsLastThreadEnds() {
        var group = ThreadGroup(main: 10)
        group.add(11)
        group.add(12)
        expectEqual(group.end(10, status: 42), nil)
        expectEqual(group.joinState(of: 10, for: 11), .ended(42), "the main thread can be joined too")
        group.forget(10)
        expectEqual(group.end(12, status: 1), nil)
        expectEqual(group.end(11, status: 2), 42, "the main thread's status, though it was joined")
        expectEqual(group.runningCount, 0)
    }

    @Test func exitGroupAndExitAreOutcomesForTheKernel() throws {
        try withMachine { machine in
            let harness = try Self.harness(machine)
            expectEqual(harness.process.dispatch(KeOSSyscallNumber.exitGroup.rawValue, SyscallArguments(UInt64(bitPattern: -5))), .exitGroup(-5))
            expectEqual(harness.process.dispatch(KeOSSyscallNumber.exit.rawValue, SyscallArguments(3)), .exit(3))
        }
    }

    @Test func aProcessHoldsAtMostTheMemberLimitOfUnjoinedThreads() throws {
        try withMachine { machine in
            let harness = try Self.harness(machine)
            for id in 2...ThreadGroup.memberLimit { try Self.start(harness, id: ThreadID(id)) }
            expectEqual(Self.create(harness), .returns(-12), "NoMemory: no room for another thread's status")
            _ = harness.process.threadEnded(2, status: 0)
            expectEqual(Self.create(harness), .returns(-12), "an ended thread keeps its status until joined")
            expectEqual(Self.join(harness, 2), .returns(0))
            guard case .threadCreate = Self.create(harness) else { Issue.record("a join makes room"); return }
        }
    }

    @Test func forkCopiesOnlyTheCallingThread() throws {
        try withMachine { machine in
            let harness = try Self.harness(machine)
            try Self.start(harness, id: 5)
            let child = try harness.process.fork(mainThread: 9)
            expectEqual(child.threads.main, 9)
            expectEqual(child.threads.runningCount, 1)
            expectEqual(child.threads.joinState(of: 5, for: 9), .invalid)
        }
    }
}
