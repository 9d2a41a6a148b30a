import ApusCore
import Testing

/// Pipes between processes (ABI.md §5): what a call does when it must wait, which queues a
/// change wakes, and how fork copies the file table.
@Suite("Pipes that wait, and the file table across fork")
struct WaitingPipeTests {
    static let buffer = ProcessHarnessLayout.buffer

    /// A harness with a pipe at descriptors 3 (read) and 4 (write), and the pipe.
    static func harnessWithPipe(_ machine: TestMachine) throws -> (ProcessHarness<EagerPager>, PipeBuffer) {
        let harness = try ProcessHarness(machine)
        expectEqual(harness.call(.pipe, Self.buffer + 0x1F00), 0)
        guard case .pipeReader(let pipe) = try harness.process.files.file(3).kind else { throw KernelError.badFileDescriptor }
        // Threads of other processes wait on both ends, so that every change shows.
        pipe.readable.enqueue(ThreadID(98))
        pipe.writable.enqueue(ThreadID(99))
        _ = harness.process.takeWakeups()
        return (harness, pipe)
    }

    @Test func aWriteToAFullPipeWaitsForRoomWithTheRestOfItsBuffer() throws {
        try withMachine { machine in
            let (harness, pipe) = try Self.harnessWithPipe(machine)
            let arguments = SyscallArguments(4, Self.buffer, 5000)
            let writer = try harness.process.files.file(4)
            let outcome = harness.process.dispatch(KeOSSyscallNumber.write.rawValue, arguments)
            let rest = WaitingCall<HostMemory>.write(writer, from: VirtualAddress(Self.buffer + 4096), count: 904, whole: false)
            expectEqual(outcome, .waits(pipe.writable, resume: rest, done: 4096))
            expectEqual(harness.process.takeWakeups(), [pipe.readable, pipe.writable], "the bytes that went in wake the readers")
            // Full: the rest takes nothing and waits again, with nothing done.
            expectEqual(harness.process.resume(rest), .waits(pipe.writable, resume: rest, done: 0))
            #expect(harness.process.takeWakeups().isEmpty, "nothing changed, nobody to wake")
            expectEqual(harness.read(3, count: 1000), 1000)
            expectEqual(harness.process.takeWakeups(), [pipe.readable, pipe.writable], "room made wakes the writers")
            expectEqual(harness.process.resume(rest), .returns(904))
        }
    }

    @Test func anEmptyPipeWaitsWhileAWriterIsOpenAndBreaksWhenNoneIs() throws {
        try withMachine { machine in
            let (harness, pipe) = try Self.harnessWithPipe(machine)
            let read = SyscallArguments(3, Self.buffer, 10)
            let rest = WaitingCall<HostMemory>.read(try harness.process.files.file(3), into: VirtualAddress(Self.buffer), count: 10)
            expectEqual(harness.process.dispatch(KeOSSyscallNumber.read.rawValue, read), .waits(pipe.readable, resume: rest, done: 0))
            expectEqual(harness.call(.close, 4), 0)
            expectEqual(harness.process.takeWakeups(), [pipe.readable, pipe.writable], "closing the last writer wakes the readers")
            expectEqual(harness.process.resume(rest), .returns(-32))
        }
    }

    @Test func aReadOfNothingFromAnEmptyPipeReturnsZeroAtOnce() throws {
        try withMachine { machine in
            let (harness, _) = try Self.harnessWithPipe(machine)
            expectEqual(harness.process.dispatch(KeOSSyscallNumber.read.rawValue, SyscallArguments(3, Self.buffer, 0)), .returns(0),
                        "nothing asked: nothing to wait for")
            expectEqual(harness.call(.close, 4), 0)
            expectEqual(harness.read(3, count: 0), -32, "empty with no write end is still BrokenPipe")
        }
    }

    @Test func aLargeWriteToAPipeFaultsInOnlyWhatThePipeTakes() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine, pager: LazyPager())
            expectEqual(harness.call(.pipe, Self.buffer), 0)
            guard case .pipeReader(let pipe) = try harness.process.files.file(3).kind else { throw KernelError.badFileDescriptor }
            let big: UInt64 = 0x4000_0000, length: UInt64 = 64 << 20
            expectEqual(harness.process.dispatch(KeOSSyscallNumber.mmap.rawValue, SyscallArguments(big, length, 3, UInt64(bitPattern: -1), 0)), .returns(Int64(big)))
            let before = machine.frames.freeCount
            let write = SyscallArguments(4, big, length)
            let rest = WaitingCall<HostMemory>.write(try harness.process.files.file(4), from: VirtualAddress(big + 4096), count: length - 4096, whole: false)
            expectEqual(harness.process.dispatch(KeOSSyscallNumber.write.rawValue, write), .waits(pipe.writable, resume: rest, done: 4096))
            #expect(before - machine.frames.freeCount <= 4, "one page and its tables, not 64 MiB")
            // Full: the rest touches nothing and takes nothing.
            expectEqual(harness.process.resume(rest), .waits(pipe.writable, resume: rest, done: 0))
            expectEqual(harness.call(.getphys, big + 4096), -22, "the page the pipe has no room for is still untouched")
        }
    }

    @Test func aWriterWaitingForRoomGetsBrokenPipeWhenTheLastReaderGoes() throws {
        try withMachine { machine in
            let (harness, pipe) = try Self.harnessWithPipe(machine)
            _ = harness.process.dispatch(KeOSSyscallNumber.write.rawValue, SyscallArguments(4, Self.buffer, 4096))
            _ = harness.process.takeWakeups()
            expectEqual(harness.call(.close, 3), 0)
            expectEqual(harness.process.takeWakeups(), [pipe.readable, pipe.writable])
            expectEqual(harness.process.dispatch(KeOSSyscallNumber.write.rawValue, SyscallArguments(4, Self.buffer, 10)), .returns(-32))
        }
    }

    @Test func endingAProcessClosesEveryDescriptorAndWakesItsPipes() throws {
        try withMachine { machine in
            let (harness, pipe) = try Self.harnessWithPipe(machine)
            harness.process.closeAllFiles()
            expectEqual(harness.process.files.openCount, 0)
            #expect(pipe.readers == 0 && pipe.writers == 0)
            expectEqual(harness.process.takeWakeups(), [pipe.readable, pipe.writable], "each condition once")
        }
    }

    @Test func forkReturnsTheForkOutcome() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            expectEqual(harness.process.dispatch(KeOSSyscallNumber.fork.rawValue, SyscallArguments()), .fork)
        }
    }

    @Test func aForkedFileTableHasTheSameFilesWithTheirOwnPositions() throws {
        try withMachine { machine in
            let (harness, pipe) = try Self.harnessWithPipe(machine)
            let fd = try harness.open()
            expectEqual(harness.read(fd, count: 5), 5)
            var child = harness.process.files.forked()
            expectEqual(child.openCount, harness.process.files.openCount)
            #expect(pipe.readers == 2 && pipe.writers == 2, "the child's pipe ends count")
            let parentFile = try harness.process.files.file(Int32(fd)), childFile = try child.file(Int32(fd))
            #expect(parentFile !== childFile)
            expectEqual(childFile.position, 5, "the position as it was at the fork")
            expectEqual(harness.read(fd, count: 3), 3)
            expectEqual(childFile.position, 5, "and not shared afterwards")
            guard case .pipeWriter(let childPipe) = try child.file(4).kind else { throw KernelError.badFileDescriptor }
            #expect(childPipe === pipe)
            child.closeAll()
            #expect(pipe.readers == 1 && pipe.writers == 1)
        }
    }
}

/// The budget every process of a run shares: regions and pipes, bounded together so that
/// forked processes cannot fill the kernel heap between them.
@Suite("The run's resource budget")
struct ResourceBudgetTests {
    @Test func regionsOfEveryAddressSpaceCountAgainstOneBudget() throws {
        try withMachine { machine in
            let budget = ResourceBudget(regionLimit: 5, pipeLimit: 1)
            var first = try MmStruct(frames: machine.frames, pager: LazyPager(), budget: budget)
            for page in 0..<3 {
                _ = try first.mmap(at: VirtualAddress(0x1000_0000 + UInt64(page) * 0x2000), length: 0x1000, protection: .read, backing: .anonymous)
            }
            expectEqual(budget.regions, 3)
            #expect(throws: KernelError.noMemory, "a child's three regions would go past five") { _ = try first.fork() }
            expectEqual(budget.regions, 3, "nothing of the refused child counts")
            try first.munmap(VirtualAddress(0x1000_0000))
            var second = try first.fork()
            expectEqual(budget.regions, 4)
            _ = try second.mmap(at: VirtualAddress(0x3000_0000), length: 0x1000, protection: .read, backing: .anonymous)
            #expect(throws: KernelError.noMemory) {
                try first.mmap(at: VirtualAddress(0x3000_0000), length: 0x1000, protection: .read, backing: .anonymous)
            }
            expectEqual(first.regionCount, 2, "the refused mmap left nothing")
            _ = consume second
            expectEqual(budget.regions, 2, "an address space that goes gives its regions back")
        }
    }

    @Test func pipesOfEveryProcessCountAgainstOneBudget() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine, pager: EagerPager(), budget: ResourceBudget(pipeLimit: 1))
            expectEqual(harness.call(.pipe, ProcessHarnessLayout.buffer), 0)
            try writeUser(&harness.process.mm, [0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE], at: ProcessHarnessLayout.buffer + 8)
            expectEqual(harness.call(.pipe, ProcessHarnessLayout.buffer + 8), -24, "the run has no pipe left")
            expectEqual(try userBytes(&harness.process.mm, at: ProcessHarnessLayout.buffer + 8, count: 8), [UInt8](repeating: 0xEE, count: 8),
                        "the refused call wrote nothing")
            expectEqual(harness.process.files.openCount, 5)
            expectEqual(harness.call(.close, 3), 0)
            expectEqual(harness.call(.close, 4), 0)
            expectEqual(harness.call(.pipe, ProcessHarnessLayout.buffer + 8), 0, "a pipe that goes gives its place back")
        }
    }
}
