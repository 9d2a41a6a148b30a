import ApusCore
import Testing

/// A call that waits keeps the open file it started with (ABI.md §5): what its descriptor
/// number comes to mean while it waits changes nothing for it, only for later calls.
@Suite("A waiting call keeps its open file")
struct WaitingCallTests {
    static let buffer = ProcessHarnessLayout.buffer
    /// Four more writable pages, for what a test writes and reads (the harness's own buffer
    /// also holds the paths it opens).
    static let scratch: UInt64 = 0x3000_0000

    /// ``WaitingPipeTests/harnessWithPipe(_:)`` with the scratch pages mapped.
    static func harnessWithPipe(_ machine: TestMachine) throws -> (ProcessHarness<EagerPager>, PipeBuffer) {
        let (harness, pipe) = try WaitingPipeTests.harnessWithPipe(machine)
        try harness.process.mm.addRegion(VirtualRange(Self.scratch, pages: 4), permission: [.read, .write], backing: .anonymous)
        return (harness, pipe)
    }

    /// What is left of a call that waited after doing `done`; `nil` (and an issue) when it
    /// did not wait. Holding only this, a test can let go of the call by dropping it.
    static func rest(of outcome: SyscallOutcome<HostMemory>, done expected: Int64, sourceLocation: SourceLocation = #_sourceLocation) -> WaitingCall<HostMemory>? {
        guard case .waits(_, let rest, let done) = outcome, done == expected else {
            Issue.record("the call did not wait after \(expected): \(outcome)", sourceLocation: sourceLocation)
            return nil
        }
        return rest
    }

    @Test func aWaitingReadTakesThePipesBytesThoughItsNumberNowNamesAFile() throws {
        try withMachine { machine in
            let (harness, pipe) = try Self.harnessWithPipe(machine)
            guard case .waits(let condition, let rest, 0) = harness.process.dispatch(KeOSSyscallNumber.read.rawValue, SyscallArguments(3, Self.buffer, 64))
            else { Issue.record("an empty pipe's read waits"); return }
            expectEqual(condition, pipe.readable)
            // Another thread closes the number and opens a file, which gets it.
            expectEqual(harness.call(.close, 3), 0)
            expectEqual(try harness.open("hello.txt", mode: 2), 3)
            expectEqual(pipe.readers, 1, "the waiting read holds the read end open")
            expectEqual(try harness.write(4, "pipe bytes"), 10, "so a write still finds a reader")
            expectEqual(harness.process.resume(rest), .returns(10))
            expectEqual(try harness.bytes(count: 10), "pipe bytes")
            expectEqual(harness.read(3, count: 5), 5, "a later call reads the file")
            expectEqual(try harness.bytes(count: 5), "Hello")
        }
    }

    @Test func aWaitingWriteFinishesIntoThePipeAndLeavesTheFileAlone() throws {
        try withMachine { machine in
            let (harness, pipe) = try Self.harnessWithPipe(machine)
            let pattern = (0..<8192).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) }
            try writeUser(&harness.process.mm, pattern, at: Self.scratch)
            var rest = Self.rest(of: harness.process.dispatch(KeOSSyscallNumber.write.rawValue, SyscallArguments(4, Self.scratch, 8192)), done: 4096)
            expectEqual(harness.call(.close, 4), 0)
            expectEqual(try harness.open("hello.txt", mode: 2), 4)
            expectEqual(pipe.writers, 1, "the waiting write holds the write end open")
            var received: [UInt8] = []
            func receive() throws {
                let got = harness.read(3, count: 4096, to: Self.scratch + 0x2000)
                received += try userBytes(&harness.process.mm, at: Self.scratch + 0x2000, count: Int(got))
            }
            try receive()
            expectEqual(rest.map { harness.process.resume($0) }, .returns(4096), "the rest goes into the pipe")
            rest = nil
            try receive()
            expectEqual(received, pattern, "every byte went into the pipe, in order")
            expectEqual(pipe.writers, 0, "the write is over: its end closed with it")
            expectEqual(harness.read(3, count: 1), -32)
            expectEqual(harness.read(4, count: 13), 13)
            expectEqual(try harness.bytes(count: 13), "Hello, file!\n", "the file is untouched")
        }
    }

    @Test func aPipeEndAWaitingCallHoldsClosesWhenTheCallIsOver() throws {
        try withMachine { machine in
            let (harness, pipe) = try Self.harnessWithPipe(machine)
            var rest = Self.rest(of: harness.process.dispatch(KeOSSyscallNumber.read.rawValue, SyscallArguments(3, Self.buffer, 1)), done: 0)
            expectEqual(harness.call(.close, 3), 0)
            #expect(pipe.readers == 1 && harness.process.takeWakeups().isEmpty, "closing the number closes no end yet")
            rest = nil
            #expect(rest == nil && pipe.readers == 0)
            expectEqual(harness.process.takeWakeups(), [pipe.readable, pipe.writable], "the end that closes wakes the other side")
            expectEqual(try harness.write(4, "x"), -32, "no reader is left")
        }
    }

    @Test func aWaitingConsoleReadKeepsStandardInputThoughItsNumberIsReused() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            harness.console.inputOpen = true
            guard case .waits(_, let rest, 0) = harness.process.dispatch(KeOSSyscallNumber.read.rawValue, SyscallArguments(0, Self.buffer, 10))
            else { Issue.record("an empty open input waits"); return }
            expectEqual(harness.call(.close, 0), 0)
            expectEqual(try harness.open("hello.txt"), 0)
            harness.console.input = Array("typed\n".utf8)
            expectEqual(harness.process.resume(rest), .returns(6))
            expectEqual(try harness.bytes(count: 6), "typed\n")
        }
    }
}

/// Pipe writes of at most 4,096 bytes (PIPE_BUF) are never interleaved with other writes
/// (ABI.md §5); larger ones may be.
@Suite("Whole pipe writes")
struct WholePipeWriteTests {
    static let buffer = ProcessHarnessLayout.buffer
    static let scratch = WaitingCallTests.scratch

    /// Writes `filled` bytes into the harness's pipe (they fit), then `count` more: what that
    /// second write does, and the write end's open file.
    static func write(_ count: UInt64, after filled: UInt64, in harness: ProcessHarness<EagerPager>) throws -> (SyscallOutcome<HostMemory>, OpenFile<HostMemory>) {
        expectEqual(harness.call(.write, 4, Self.buffer, filled), Int64(filled))
        let outcome = harness.process.dispatch(KeOSSyscallNumber.write.rawValue, SyscallArguments(4, Self.buffer, count))
        return (outcome, try harness.process.files.file(4))
    }

    @Test func aWriteOfAtMostPipeBufWaitsWithNothingDoneUntilAllOfItFits() throws {
        try withMachine { machine in
            let (harness, pipe) = try WaitingCallTests.harnessWithPipe(machine)
            let (outcome, writer) = try Self.write(3000, after: 1100, in: harness)
            let rest = WaitingCall<HostMemory>.write(writer, from: VirtualAddress(Self.buffer), count: 3000, whole: true)
            expectEqual(outcome, .waits(pipe.writable, resume: rest, done: 0), "2,996 bytes of room are not enough")
            expectEqual(pipe.available, 1100, "not a byte of it went in")
            expectEqual(harness.read(3, count: 3), 3)
            expectEqual(harness.process.resume(rest), .waits(pipe.writable, resume: rest, done: 0), "2,999 bytes are not either")
            expectEqual(harness.read(3, count: 1), 1)
            expectEqual(harness.process.resume(rest), .returns(3000))
            expectEqual(pipe.available, 4096)
        }
    }

    @Test func aWriteOfExactlyPipeBufIntoAnEmptyPipeGoesInAtOnce() throws {
        try withMachine { machine in
            let (harness, _) = try WaitingCallTests.harnessWithPipe(machine)
            expectEqual(harness.call(.write, 4, Self.buffer, 4096), 4096)
        }
    }

    @Test func aWriteOfMoreThanPipeBufTakesWhatFitsAndWaitsWithTheRest() throws {
        try withMachine { machine in
            let (harness, pipe) = try WaitingCallTests.harnessWithPipe(machine)
            let (outcome, writer) = try Self.write(4097, after: 1000, in: harness)
            let rest = WaitingCall<HostMemory>.write(writer, from: VirtualAddress(Self.buffer + 3096), count: 1001, whole: false)
            expectEqual(outcome, .waits(pipe.writable, resume: rest, done: 3096))
            expectEqual(harness.read(3, count: 1), 1)
            expectEqual(harness.process.resume(rest), .waits(pipe.writable, resume: .write(writer, from: VirtualAddress(Self.buffer + 3097), count: 1000, whole: false), done: 1),
                        "the rest of a large write takes any room, even when it is small enough to go whole")
        }
    }

    @Test func aWholeWriteWaitingForRoomGetsBrokenPipeWhenTheLastReaderGoes() throws {
        try withMachine { machine in
            let (harness, _) = try WaitingCallTests.harnessWithPipe(machine)
            expectEqual(harness.call(.write, 4, Self.buffer, 4000), 4000)
            guard case .waits(_, let rest, 0) = harness.process.dispatch(KeOSSyscallNumber.write.rawValue, SyscallArguments(4, Self.buffer, 100))
            else { Issue.record("no room for 100 bytes: it waits"); return }
            expectEqual(harness.call(.close, 3), 0)
            expectEqual(harness.process.resume(rest), .returns(-32))
        }
    }

    @Test func aWholeWriteStuckOnAPipeNobodyReadsIsADeadlock() throws {
        try withMachine { machine in
            let (harness, pipe) = try WaitingCallTests.harnessWithPipe(machine)
            expectEqual(harness.call(.write, 4, Self.buffer, 4000), 4000)
            guard case .waits(let condition, _, 0) = harness.process.dispatch(KeOSSyscallNumber.write.rawValue, SyscallArguments(4, Self.buffer, 100))
            else { Issue.record("no room for 100 bytes: it waits"); return }
            expectEqual(condition, pipe.writable)
            expectEqual(DeadlockRule.verdict([.waiting(condition.waiters)]), .deadlock,
                        "only a thread can make room, and the only thread waits")
        }
    }

    /// Two processes (a parent and its child) each write records of 3,000 bytes to one pipe
    /// while a reader takes pieces of random sizes; whoever the scheduler picks runs next.
    /// Every record must come out whole, each writer's in order.
    @Test(arguments: [1 as UInt64, 2, 3, 4, 5])
    func twoWritersRecordsNeverInterleave(seed: UInt64) throws {
        try withMachine(megabytes: 8) { machine in
            var random = SeededRandom(seed: seed)
            let (parent, _) = try WaitingCallTests.harnessWithPipe(machine)
            var child = try parent.process.fork(mainThread: 2)
            let size = 3000, records = 40
            for (index, letter) in [UInt8(ascii: "A"), UInt8(ascii: "B")].enumerated() {
                let record = [UInt8](repeating: letter, count: size)
                if index == 0 { try writeUser(&parent.process.mm, record, at: Self.buffer) } else { try writeUser(&child.mm, record, at: Self.buffer) }
            }
            // Each writer: how many records it has written, and the rest of a write that waits.
            var written = [0, 0]
            var waiting: [WaitingCall<HostMemory>?] = [nil, nil]
            var stream: [UInt8] = []
            func write(_ writer: Int) -> SyscallOutcome<HostMemory> {
                if let rest = waiting[writer] {
                    return writer == 0 ? parent.process.resume(rest) : child.resume(rest)
                }
                let arguments = SyscallArguments(4, Self.buffer, UInt64(size))
                return writer == 0 ? parent.process.dispatch(KeOSSyscallNumber.write.rawValue, arguments)
                    : child.dispatch(KeOSSyscallNumber.write.rawValue, arguments)
            }
            while written != [records, records] || stream.count < 2 * records * size {
                let choice = Int.random(in: 0..<3, using: &random)
                if choice < 2, written[choice] < records {
                    switch write(choice) {
                    case .returns(let count):
                        expectEqual(count, Int64(size))
                        written[choice] += 1
                        waiting[choice] = nil
                    case .waits(_, let rest, let done):
                        expectEqual(done, 0, "a whole write does nothing until all of it fits")
                        waiting[choice] = rest
                    default:
                        Issue.record("a write neither returned nor waited")
                        return
                    }
                } else {
                    // An empty pipe's read waits: the reader then just tries again later.
                    let read = SyscallArguments(3, Self.scratch, UInt64.random(in: 1...5000, using: &random))
                    if case .returns(let got) = parent.process.dispatch(KeOSSyscallNumber.read.rawValue, read), got > 0 {
                        stream += try userBytes(&parent.process.mm, at: Self.scratch, count: Int(got))
                    }
                }
            }
            for start in stride(from: 0, to: stream.count, by: size) {
                let record = stream[start..<(start + size)]
                #expect(record.allSatisfy { $0 == record.first }, "record at \(start) is whole")
            }
        }
    }
}

/// ``WakeupList``: the conditions to broadcast after a call, each once, in order, and only
/// those someone waits on.
@Suite("The wake-up list")
struct WakeupListTests {
    @Test func eachConditionSomeoneWaitsOnComesOnceInTheOrderItWasAdded() {
        let list = WakeupList()
        let (a, b, nobody) = (ConditionVariable("a"), ConditionVariable("b"), ConditionVariable("nobody waits"))
        a.enqueue(1)
        b.enqueue(2)
        for condition in [b, a, nobody, b, a] { list.add(condition) }
        var drained: [ConditionVariable] = []
        list.drain { drained.append($0) }
        expectEqual(drained, [b, a], "no duplicates, and none that nobody waits on: a later waiter checks first")
        #expect(list.isEmpty)
        list.add(a)
        list.drain { drained.append($0) }
        expectEqual(drained, [b, a, a], "drained conditions can come again")
    }

    @Test func everyChangeIsCountedOnItsConditionWaitedOnOrNot() {
        let list = WakeupList()
        let nobody = ConditionVariable("nobody waits")
        list.add(nobody)
        list.add(nobody)
        expectEqual(nobody.announcements, 2, "a thread about to wait sees that it must look again")
        _ = nobody.signal()
        _ = nobody.broadcast()
        expectEqual(nobody.announcements, 4)
    }
}
