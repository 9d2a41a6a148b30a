import ApusCore
import Testing

/// Linux's `poll` and `ppoll` (LinuxPoll.swift over FileReadiness.swift): what each kind of
/// file reports, when the call returns at once and when it asks the kernel to wait, and that
/// every refused call changes nothing.
@Suite("Linux poll and ppoll")
struct LinuxPollTests {
    static let buffer = ProcessHarnessLayout.buffer
    /// Where the tests put their `struct pollfd` arrays.
    static let fds = buffer + 0x200
    static let poll = LinuxSyscallNumber.poll.rawValue
    static let ppoll = LinuxSyscallNumber.ppoll.rawValue
    static let pollIn: UInt16 = 0x1, pollOut: UInt16 = 0x4, pollErr: UInt16 = 0x8, pollHup: UInt16 = 0x10
    static let pollNval: UInt16 = 0x20, readNormal: UInt16 = 0x40, writeNormal: UInt16 = 0x100
    static let now = LinuxSyscallTests.machine.monotonicNanoseconds()

    /// Writes `entries` as `struct pollfd`s at ``fds``, each `revents` set to 0xFFFF so that
    /// a test sees which the call stored.
    static func write(_ entries: [(Int32, UInt16)], in harness: ProcessHarness<EagerPager>) throws {
        var bytes: [UInt8] = []
        for (descriptor, events) in entries {
            bytes += UInt32(bitPattern: descriptor).littleEndianBytes + events.littleEndianBytes + [0xFF, 0xFF]
        }
        try harness.process.mm.copyOut(bytes, to: VirtualAddress(fds))
    }

    /// The `revents` of the first `count` entries at ``fds``.
    static func results(_ count: Int, in harness: ProcessHarness<EagerPager>) throws -> [UInt16] {
        let bytes = try harness.process.mm.copyIn(count: count * 8, from: VirtualAddress(fds))
        return (0..<count).map { UInt16(bytes[$0 * 8 + 6]) | UInt16(bytes[$0 * 8 + 7]) << 8 }
    }

    /// A pipe's read and write descriptors.
    static func pipe(in harness: ProcessHarness<EagerPager>) throws -> (reader: Int32, writer: Int32) {
        expectEqual(harness.linux(LinuxSyscallNumber.pipe.rawValue, buffer), 0)
        let pair = try harness.word(at: buffer)
        return (Int32(truncatingIfNeeded: pair), Int32(truncatingIfNeeded: pair >> 32))
    }

    static func writeByte(to descriptor: Int32, in harness: ProcessHarness<EagerPager>) throws {
        try harness.process.mm.copyOut([0x41], to: VirtualAddress(buffer + 0x100))
        expectEqual(harness.linux(LinuxSyscallNumber.write.rawValue, UInt64(descriptor), buffer + 0x100, 1), 1)
    }

    @Test func pipeReadEndIsReadableOnceBytesAreBuffered() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let (reader, writer) = try Self.pipe(in: harness)
            try Self.write([(reader, Self.pollIn)], in: harness)
            expectEqual(harness.linux(Self.poll, Self.fds, 1, 0), 0, "timeout 0 returns at once")
            expectEqual(try Self.results(1, in: harness), [0])
            try Self.writeByte(to: writer, in: harness)
            expectEqual(harness.linux(Self.poll, Self.fds, 1, UInt64(bitPattern: -1)), 1)
            expectEqual(try Self.results(1, in: harness), [Self.pollIn])
            try Self.write([(reader, Self.pollIn | Self.readNormal | Self.pollOut)], in: harness)
            expectEqual(harness.linux(Self.poll, Self.fds, 1, 0), 1)
            expectEqual(try Self.results(1, in: harness), [Self.pollIn | Self.readNormal], "a read end is never writable")
        }
    }

    @Test func pipeReadEndWithNoWriterLeftHangsUp() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let (reader, writer) = try Self.pipe(in: harness)
            try Self.writeByte(to: writer, in: harness)
            expectEqual(harness.linux(LinuxSyscallNumber.close.rawValue, UInt64(writer)), 0)
            try Self.write([(reader, Self.pollIn)], in: harness)
            expectEqual(harness.linux(Self.poll, Self.fds, 1, 0), 1)
            expectEqual(try Self.results(1, in: harness), [Self.pollIn | Self.pollHup], "bytes left, and no writer")
            expectEqual(harness.linux(LinuxSyscallNumber.read.rawValue, UInt64(reader), Self.buffer + 0x100, 16), 1)
            try Self.write([(reader, 0)], in: harness)
            expectEqual(harness.linux(Self.poll, Self.fds, 1, 0), 1)
            expectEqual(try Self.results(1, in: harness), [Self.pollHup], "POLLHUP is reported whatever was asked")
        }
    }

    @Test func pipeWriteEndIsWritableWhileItHasRoomAndFailsWithNoReader() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let (reader, writer) = try Self.pipe(in: harness)
            try Self.write([(writer, Self.pollOut | Self.pollIn)], in: harness)
            expectEqual(harness.linux(Self.poll, Self.fds, 1, 0), 1)
            expectEqual(try Self.results(1, in: harness), [Self.pollOut], "a write end is never readable")
            let page = [UInt8](repeating: 0x42, count: PipeBuffer.capacity)
            try harness.process.mm.copyOut(page, to: VirtualAddress(Self.buffer + 0x1000))
            expectEqual(harness.linux(LinuxSyscallNumber.write.rawValue, UInt64(writer), Self.buffer + 0x1000, UInt64(page.count)), Int64(page.count))
            expectEqual(harness.linux(Self.poll, Self.fds, 1, 0), 0, "a full pipe is not writable")
            expectEqual(harness.linux(LinuxSyscallNumber.close.rawValue, UInt64(reader)), 0)
            try Self.write([(writer, Self.pollOut | Self.writeNormal)], in: harness)
            expectEqual(harness.linux(Self.poll, Self.fds, 1, 0), 1)
            expectEqual(try Self.results(1, in: harness), [Self.pollErr], "full, and no reader")
        }
    }

    @Test func filesDirectoriesAndDevicesAreAlwaysReadyForWhatIsAsked() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let file = try harness.linuxOpen("/hello.txt", flags: 0)
            let directory = try harness.linuxOpen("/", flags: 0o200000)
            let null = try harness.linuxOpen("/dev/null", flags: 1)
            let zero = try harness.linuxOpen("/dev/zero", flags: 0)
            let both = Self.pollIn | Self.pollOut
            try Self.write([(Int32(file), Self.pollIn), (Int32(directory), both), (Int32(null), Self.pollOut | Self.writeNormal),
                            (Int32(zero), Self.readNormal), (Int32(file), 0)], in: harness)
            expectEqual(harness.linux(Self.poll, Self.fds, 5, 0), 4)
            expectEqual(try Self.results(5, in: harness), [Self.pollIn, both, Self.pollOut | Self.writeNormal, Self.readNormal, 0])
        }
    }

    @Test func negativeDescriptorsAreSkippedAndClosedOnesAreInvalid() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            try Self.write([(-1, Self.pollIn), (42, Self.pollIn), (1, Self.pollOut), (Int32(fileDescriptorLimit), 0)], in: harness)
            expectEqual(harness.linux(Self.poll, Self.fds, 4, 0), 3)
            expectEqual(try Self.results(4, in: harness), [0, Self.pollNval, Self.pollOut, Self.pollNval])
        }
    }

    @Test func consoleInputIsReadableWhenPendingOrEnded() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine, input: "x")
            try Self.write([(0, Self.pollIn)], in: harness)
            expectEqual(harness.linux(Self.poll, Self.fds, 1, 0), 1, "input pending")
            harness.console.input = []
            harness.console.inputOpen = true
            expectEqual(harness.linux(Self.poll, Self.fds, 1, 0), 0, "nothing pending, more may come")
            expectEqual(harness.linuxOutcome(Self.poll, Self.fds, 1, 20), .polls(LinuxPollRequest(entries: [.init(descriptor: 0, events: Self.pollIn)], address: VirtualAddress(Self.fds),
                                                   deadline: Self.now + 20_000_000, setsMask: false)))
            guard case .polls(let request) = harness.linuxOutcome(Self.poll, Self.fds, 1, UInt64(bitPattern: -1)) else {
                Issue.record("poll with nothing ready and no timeout does not wait")
                return
            }
            expectEqual(request.deadline, nil)
            expectEqual(LinuxSyscalls.pollAgain(request, by: 1, at: Self.now, in: &harness.process), .nothingReady(watchesConsole: true))
            harness.console.input = Array("y".utf8)
            expectEqual(LinuxSyscalls.pollAgain(request, by: 1, at: Self.now, in: &harness.process), .done(1))
            harness.console.input = []
            harness.console.inputOpen = false
            expectEqual(harness.linux(Self.poll, Self.fds, 1, 0), 1, "the end of the input is readable")
            expectEqual(try Self.results(1, in: harness), [Self.pollIn])
        }
    }

    @Test func aWaitThatTimesOutClearsEveryResult() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let (reader, _) = try Self.pipe(in: harness)
            try Self.write([(reader, Self.pollIn), (-5, Self.pollIn)], in: harness)
            guard case .polls(let request) = harness.linuxOutcome(Self.poll, Self.fds, 2, 50) else {
                Issue.record("an empty pipe's poll does not wait")
                return
            }
            #expect(request.deadline == Self.now + 50_000_000)
            expectEqual(LinuxSyscalls.pollAgain(request, by: 1, at: Self.now, in: &harness.process), .nothingReady(watchesConsole: false))
            expectEqual(LinuxSyscalls.finishPoll(request, by: 1, interrupted: false, at: Self.now, in: &harness.process), 0)
            expectEqual(try Self.results(2, in: harness), [0, 0])
            try Self.write([(reader, Self.pollIn), (-5, Self.pollIn)], in: harness)
            expectEqual(LinuxSyscalls.finishPoll(request, by: 1, interrupted: true, at: Self.now, in: &harness.process), -4, "a signal ends it with EINTR")
            expectEqual(try Self.results(2, in: harness), [0, 0])
        }
    }

    @Test func noEntriesAtAllIsASleep() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            expectEqual(harness.linux(Self.poll, 0, 0, 0), 0)
            expectEqual(harness.linuxOutcome(Self.poll, 0, 0, 7), .polls(LinuxPollRequest(entries: [], address: VirtualAddress(0), deadline: Self.now + 7_000_000, setsMask: false)))
        }
    }

    @Test func ppollTakesATimespecAndSetsTheMaskForTheWait() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let (reader, _) = try Self.pipe(in: harness)
            try Self.write([(reader, Self.pollIn)], in: harness)
            let timespec = Self.buffer + 0x300, mask = Self.buffer + 0x320
            try harness.process.mm.copyOut(UInt64(1).littleEndianBytes + UInt64(5).littleEndianBytes, to: VirtualAddress(timespec))
            try harness.process.mm.copyOut(SignalSet([.user1]).bytes, to: VirtualAddress(mask))
            guard case .polls(let request) = harness.linuxOutcome(Self.ppoll, Self.fds, 1, timespec, mask, 8) else {
                Issue.record("ppoll of an empty pipe does not wait")
                return
            }
            #expect(request.deadline == Self.now + 1_000_000_005 && request.setsMask)
            expectEqual(harness.process.linux.signals.signals(of: 1)?.blocked, SignalSet([.user1]), "the call's mask while it waits")
            expectEqual(LinuxSyscalls.finishPoll(request, by: 1, interrupted: false, at: Self.now, in: &harness.process), 0)
            expectEqual(harness.process.linux.signals.signals(of: 1)?.blocked, .empty, "the thread's own mask after")
            guard case .polls(let forever) = harness.linuxOutcome(Self.ppoll, Self.fds, 1, 0, 0, 0) else {
                Issue.record("ppoll with no timespec does not wait")
                return
            }
            #expect(forever.deadline == nil && !forever.setsMask)
            try harness.process.mm.copyOut([UInt8](repeating: 0, count: 16), to: VirtualAddress(timespec))
            expectEqual(harness.linux(Self.ppoll, Self.fds, 1, timespec, mask, 8), 0, "a zero timespec returns at once")
            expectEqual(harness.process.linux.signals.signals(of: 1)?.blocked, .empty)
        }
    }

    @Test func refusedPollsChangeNothing() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let (reader, _) = try Self.pipe(in: harness)
            try Self.write([(reader, Self.pollIn)], in: harness)
            let timespec = Self.buffer + 0x300, mask = Self.buffer + 0x320
            try harness.process.mm.copyOut(UInt64(0).littleEndianBytes + UInt64(1_000_000_000).littleEndianBytes, to: VirtualAddress(timespec))
            try harness.process.mm.copyOut(SignalSet([.user1]).bytes, to: VirtualAddress(mask))
            let signals = harness.process.linux.signals
            expectEqual(harness.linux(Self.poll, Self.fds, UInt64(fileDescriptorLimit) + 1, 0), -22, "more entries than RLIMIT_NOFILE")
            expectEqual(harness.linux(Self.poll, 0x10, 1, 0), -14)
            expectEqual(harness.linux(Self.poll, ProcessHarnessLayout.readOnly, 1, 0), -14, "revents must be writable")
            expectEqual(harness.linux(Self.poll, Self.buffer + 0x2000 - 4, 1, 0), -14, "an array past the mapping")
            expectEqual(harness.linux(Self.ppoll, Self.fds, 1, timespec, 0, 0), -22, "nanoseconds past a second")
            expectEqual(harness.linux(Self.ppoll, Self.fds, 1, 0x10, 0, 0), -14)
            expectEqual(harness.linux(Self.ppoll, Self.fds, 1, 0, mask, 4), -22, "sigsetsize must be 8")
            expectEqual(harness.linux(Self.ppoll, Self.fds, 1, 0, 0x10, 8), -14)
            expectEqual(harness.linux(Self.ppoll, Self.fds, UInt64(fileDescriptorLimit) + 1, 0, mask, 8), -22)
            expectEqual(harness.process.linux.signals, signals, "no mask set by a refused ppoll")
            expectEqual(try Self.results(1, in: harness), [0xFFFF], "no revents stored")
            let readOnly = try harness.process.mm.copyIn(count: 8, from: VirtualAddress(ProcessHarnessLayout.readOnly))
            expectEqual(readOnly, Array("hello.tx".utf8))
        }
    }
}

/// The run's ``WakeupList`` tells a change of a pipe nobody waits on: a thread in `poll`
/// waits on a condition of its own, not on the pipe's.
@Suite("Wake-up list changes")
struct WakeupListChangeTests {
    @Test func aChangeWithNoWaiterIsStillSeenUntilTheNextDrain() {
        let list = WakeupList()
        let unwatched = ConditionVariable("nobody waits")
        #expect(!list.changedSinceDrain)
        list.add(unwatched)
        #expect(list.changedSinceDrain && list.isEmpty, "seen, though there is nobody to broadcast to")
        var drained = 0
        list.drain { _ in drained += 1 }
        #expect(drained == 0 && !list.changedSinceDrain)
        let watched = ConditionVariable("a thread waits")
        watched.enqueue(7)
        list.add(watched)
        list.drain { _ in drained += 1 }
        #expect(drained == 1 && !list.changedSinceDrain)
    }
}
