import ApusCore
import Testing

/// Linux's `select` and `pselect6` (LinuxSelect.swift over LinuxPoll.swift): the bit arrays
/// read and rewritten, what counts as ready for each set, the time left written back, the
/// mask of `pselect6`, and every refusal, which changes nothing but the time left.
@Suite("Linux select and pselect6")
struct LinuxSelectTests {
    static let buffer = ProcessHarnessLayout.buffer
    /// Where the tests put the read, write and exceptional sets (128 bytes each: 1,024 bits)
    /// and one word past each, which no call may touch.
    static let readSet = buffer + 0x200, writeSet = buffer + 0x300, exceptSet = buffer + 0x400
    static let timeout = buffer + 0x500, mask = buffer + 0x520, pack = buffer + 0x540
    static let select = LinuxSyscallNumber.select.rawValue
    static let pselect6 = LinuxSyscallNumber.pselect6.rawValue
    static let now = LinuxSyscallTests.machine.monotonicNanoseconds()
    static let setWords = 17

    /// Writes a set of the `descriptors` at `address` (17 words: the 1,024 bits and a word
    /// past them with every bit set).
    static func write(_ descriptors: [Int], at address: UInt64, in harness: ProcessHarness<EagerPager>) throws {
        var words = [UInt64](repeating: 0, count: setWords)
        words[setWords - 1] = .max
        for descriptor in descriptors { words[descriptor / 64] |= 1 << UInt64(descriptor % 64) }
        try harness.process.mm.copyOut(words.flatMap(\.littleEndianBytes), to: VirtualAddress(address))
    }

    /// The words of the set at `address`.
    static func words(at address: UInt64, in harness: ProcessHarness<EagerPager>) throws -> [UInt64] {
        let bytes = try harness.process.mm.copyIn(count: setWords * 8, from: VirtualAddress(address))
        return (0..<setWords).map { UInt64(littleEndianBytes: bytes, at: $0 * 8) }
    }

    /// The descriptors set in the first 1,024 bits at `address`.
    static func descriptors(at address: UInt64, in harness: ProcessHarness<EagerPager>) throws -> [Int] {
        let words = try words(at: address, in: harness)
        return (0..<fileDescriptorLimit).filter { words[$0 / 64] >> UInt64($0 % 64) & 1 != 0 }
    }

    static func writeTime(_ seconds: Int64, _ fraction: Int64, in harness: ProcessHarness<EagerPager>) throws {
        try harness.process.mm.copyOut(UInt64(bitPattern: seconds).littleEndianBytes + UInt64(bitPattern: fraction).littleEndianBytes,
                                       to: VirtualAddress(timeout))
    }

    static func time(in harness: ProcessHarness<EagerPager>) throws -> [Int64] {
        let bytes = try harness.process.mm.copyIn(count: 16, from: VirtualAddress(timeout))
        return [Int64(bitPattern: UInt64(littleEndianBytes: bytes, at: 0)), Int64(bitPattern: UInt64(littleEndianBytes: bytes, at: 8))]
    }

    @Test func readySetsKeepOnlyTheReadyBitsAndEachBitCounts() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let (reader, writer) = try LinuxPollTests.pipe(in: harness)
            try LinuxPollTests.writeByte(to: writer, in: harness)
            let file = try harness.linuxOpen("/hello.txt", flags: 0)
            try Self.write([Int(reader), Int(writer), Int(file)], at: Self.readSet, in: harness)
            try Self.write([Int(reader), Int(writer), Int(file)], at: Self.writeSet, in: harness)
            try Self.write([Int(reader), Int(writer), Int(file)], at: Self.exceptSet, in: harness)
            expectEqual(harness.linux(Self.select, 64, Self.readSet, Self.writeSet, Self.exceptSet, 0), 4)
            expectEqual(try Self.descriptors(at: Self.readSet, in: harness), [Int(reader), Int(file)], "a write end is never readable")
            expectEqual(try Self.descriptors(at: Self.writeSet, in: harness), [Int(writer), Int(file)], "a read end is never writable")
            expectEqual(try Self.descriptors(at: Self.exceptSet, in: harness), [], "no file has exceptional conditions")
            expectEqual(try Self.words(at: Self.readSet, in: harness)[16], .max, "words past nfds untouched")
        }
    }

    @Test func hungUpAndFailedPipesAreReadyForReadingAndWritingAsOnLinux() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let (reader, writer) = try LinuxPollTests.pipe(in: harness)
            let (otherReader, otherWriter) = try LinuxPollTests.pipe(in: harness)
            expectEqual(harness.linux(LinuxSyscallNumber.close.rawValue, UInt64(writer)), 0)
            expectEqual(harness.linux(LinuxSyscallNumber.close.rawValue, UInt64(otherReader)), 0)
            try Self.write([Int(reader), Int(otherWriter)], at: Self.readSet, in: harness)
            try Self.write([Int(reader), Int(otherWriter)], at: Self.writeSet, in: harness)
            expectEqual(harness.linux(Self.select, 64, Self.readSet, Self.writeSet, 0, 0), 3)
            expectEqual(try Self.descriptors(at: Self.readSet, in: harness), [Int(reader), Int(otherWriter)],
                        "the end of the input is readable; a write end with no reader has an error")
            expectEqual(try Self.descriptors(at: Self.writeSet, in: harness), [Int(otherWriter)], "a hang-up is no room to write")
        }
    }

    @Test func bitsPastNfdsInTheLastWordAreIgnoredAndCleared() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            try Self.write([1, 5, 63], at: Self.writeSet, in: harness)
            expectEqual(harness.linux(Self.select, 3, 0, Self.writeSet, 0, 0), 1, "descriptors 5 and 63 are past nfds, closed or not")
            expectEqual(try Self.words(at: Self.writeSet, in: harness)[0], 0b10)
            expectEqual(try Self.words(at: Self.writeSet, in: harness)[1], 0, "the second word is inside the 17 written")
            try Self.write([1, 64], at: Self.writeSet, in: harness)
            expectEqual(harness.linux(Self.select, 64, 0, Self.writeSet, 0, 0), 1, "exactly one word read and written")
            expectEqual(try Self.words(at: Self.writeSet, in: harness)[0...1], [0b10, 1])
        }
    }

    @Test func nfdsPastTheDescriptorTableIsCutToIt() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            try Self.write([2], at: Self.writeSet, in: harness)
            expectEqual(harness.linux(Self.select, 0x7FFF_FFFF, 0, Self.writeSet, 0, 0), 1)
            expectEqual(try Self.descriptors(at: Self.writeSet, in: harness), [2])
            expectEqual(try Self.words(at: Self.writeSet, in: harness)[16], .max, "nothing past 1,024 bits is read or written")
            try Self.write([1, 2], at: Self.writeSet, in: harness)
            expectEqual(harness.linux(Self.select, 0x1_0000_0002, 0, Self.writeSet, 0, 0), 1, "nfds is a C int: 2 here")
            expectEqual(try Self.descriptors(at: Self.writeSet, in: harness), [1])
        }
    }

    @Test func zeroTimeoutWithNothingReadyClearsTheSetsAndLeavesTheTimeout() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let (reader, _) = try LinuxPollTests.pipe(in: harness)
            try Self.write([Int(reader)], at: Self.readSet, in: harness)
            try Self.writeTime(0, 0, in: harness)
            expectEqual(harness.linux(Self.select, 64, Self.readSet, 0, 0, Self.timeout), 0)
            expectEqual(try Self.descriptors(at: Self.readSet, in: harness), [])
            expectEqual(try Self.time(in: harness), [0, 0])
        }
    }

    @Test func aWaitEndsWithTheTimeLeftWrittenBack() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let (reader, writer) = try LinuxPollTests.pipe(in: harness)
            try Self.write([Int(reader)], at: Self.readSet, in: harness)
            try Self.writeTime(1, 2_500_000, in: harness)
            guard case .polls(let request) = harness.linuxOutcome(Self.select, 64, Self.readSet, 0, 0, Self.timeout) else {
                Issue.record("select of an empty pipe does not wait")
                return
            }
            #expect(request.deadline == Self.now + 3_500_000_000, "microseconds past a second carry into the seconds")
            expectEqual(request.timeLeft, LinuxTimeLeft(address: VirtualAddress(Self.timeout), form: .timeval))
            expectEqual(LinuxSyscalls.pollAgain(request, by: 1, at: Self.now + 1, in: &harness.process), .nothingReady(watchesConsole: false))
            try LinuxPollTests.writeByte(to: writer, in: harness)
            expectEqual(LinuxSyscalls.pollAgain(request, by: 1, at: Self.now + 1_000_000_999, in: &harness.process), .done(1))
            expectEqual(try Self.descriptors(at: Self.readSet, in: harness), [Int(reader)])
            expectEqual(try Self.time(in: harness), [2, 499_999], "2.499999001 s left, in whole microseconds")
            expectEqual(LinuxSyscalls.finishPoll(request, by: 1, interrupted: false, at: Self.now + 9_000_000_000, in: &harness.process), 0)
            expectEqual(try Self.descriptors(at: Self.readSet, in: harness), [], "a timeout clears the sets")
            expectEqual(try Self.time(in: harness), [0, 0], "no time left past the deadline")
        }
    }

    @Test func aSignalEndsTheWaitWithEINTRAndLeavesTheSets() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let (reader, _) = try LinuxPollTests.pipe(in: harness)
            try Self.write([Int(reader)], at: Self.readSet, in: harness)
            try Self.writeTime(5, 0, in: harness)
            guard case .polls(let request) = harness.linuxOutcome(Self.pselect6, 64, Self.readSet, 0, 0, Self.timeout, 0) else {
                Issue.record("pselect6 of an empty pipe does not wait")
                return
            }
            expectEqual(request.timeLeft, LinuxTimeLeft(address: VirtualAddress(Self.timeout), form: .timespec))
            expectEqual(LinuxSyscalls.finishPoll(request, by: 1, interrupted: true, at: Self.now + 1_250_000_001, in: &harness.process), -4)
            expectEqual(try Self.descriptors(at: Self.readSet, in: harness), [Int(reader)])
            expectEqual(try Self.time(in: harness), [3, 749_999_999])
        }
    }

    @Test func noTimeoutWaitsForEverAndNoDescriptorsIsASleep() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            guard case .polls(let forever) = harness.linuxOutcome(Self.select, 0, 0, 0, 0, 0) else {
                Issue.record("select with nothing to watch and no timeout does not wait")
                return
            }
            #expect(forever.deadline == nil && forever.timeLeft == nil && forever.entries.isEmpty)
            try Self.writeTime(0, 7_000, in: harness)
            guard case .polls(let sleep) = harness.linuxOutcome(Self.select, 0, 0, 0, 0, Self.timeout) else {
                Issue.record("select with a timeout does not wait")
                return
            }
            #expect(sleep.deadline == Self.now + 7_000_000)
        }
    }

    @Test func pselect6SetsTheMaskForTheWaitOnly() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let (reader, _) = try LinuxPollTests.pipe(in: harness)
            try Self.write([Int(reader)], at: Self.readSet, in: harness)
            try harness.process.mm.copyOut(SignalSet([.user1]).bytes, to: VirtualAddress(Self.mask))
            try harness.process.mm.copyOut(Self.mask.littleEndianBytes + UInt64(8).littleEndianBytes, to: VirtualAddress(Self.pack))
            guard case .polls(let request) = harness.linuxOutcome(Self.pselect6, 64, Self.readSet, 0, 0, 0, Self.pack) else {
                Issue.record("pselect6 of an empty pipe does not wait")
                return
            }
            #expect(request.setsMask)
            expectEqual(harness.process.linux.signals.signals(of: 1)?.blocked, SignalSet([.user1]), "the call's mask while it waits")
            expectEqual(LinuxSyscalls.finishPoll(request, by: 1, interrupted: false, at: Self.now, in: &harness.process), 0)
            expectEqual(harness.process.linux.signals.signals(of: 1)?.blocked, .empty, "the thread's own mask after")
            try harness.process.mm.copyOut(UInt64(0).littleEndianBytes + UInt64(8).littleEndianBytes, to: VirtualAddress(Self.pack))
            guard case .polls(let unmasked) = harness.linuxOutcome(Self.pselect6, 64, Self.readSet, 0, 0, 0, Self.pack) else {
                Issue.record("pselect6 with a null mask does not wait")
                return
            }
            #expect(!unmasked.setsMask, "a null mask pointer leaves the mask alone")
        }
    }

    @Test func aZeroTimeoutUnderAMaskThatUnblocksAPendingSignalIsEINTR() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            _ = try harness.process.linux.signals.changeMask(of: 1, how: 0, set: SignalSet([.user1])) // SIG_BLOCK
            _ = try harness.process.linux.signals.changeAction(Int64(Signal.user1.number), to: SignalAction(handler: .function(0x40_1000)))
            _ = harness.process.linux.signals.post(.sent(.user1, byProcess: 1))
            try harness.process.mm.copyOut(SignalSet.empty.bytes, to: VirtualAddress(Self.mask))
            try harness.process.mm.copyOut(Self.mask.littleEndianBytes + UInt64(8).littleEndianBytes, to: VirtualAddress(Self.pack))
            try Self.writeTime(0, 0, in: harness)
            expectEqual(harness.linux(Self.pselect6, 0, 0, 0, 0, Self.timeout, Self.pack), -4)
            expectEqual(harness.process.linux.signals.signals(of: 1)?.blocked, .empty, "the call's mask stays until the signal is delivered")
        }
    }

    @Test func refusalsChangeNoSetAndNoMask() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            try Self.write([1, 40], at: Self.readSet, in: harness)
            let before = try Self.words(at: Self.readSet, in: harness)
            try harness.process.mm.copyOut(SignalSet([.user1]).bytes, to: VirtualAddress(Self.mask))
            try harness.process.mm.copyOut(Self.mask.littleEndianBytes + UInt64(4).littleEndianBytes, to: VirtualAddress(Self.pack))
            let signals = harness.process.linux.signals
            expectEqual(harness.linux(Self.select, 64, Self.readSet, 0, 0, 0), -9, "descriptor 40 is not open")
            expectEqual(harness.linux(Self.select, 64, 0, Self.readSet, 0, 0), -9, "in the write set too")
            expectEqual(harness.linux(Self.select, 64, 0, 0, Self.readSet, 0), -9, "and the exceptional set")
            expectEqual(harness.linux(Self.select, UInt64(bitPattern: -1), 0, 0, 0, 0), -22)
            expectEqual(harness.linux(Self.select, 64, 0x10, 0, 0, 0), -14)
            expectEqual(harness.linux(Self.select, 64, 0, 0, Self.buffer + 0x2000 - 4, 0), -14, "a set past the mapping")
            expectEqual(harness.linux(Self.select, 1, 0, 0, 0, 0x10), -14)
            try Self.writeTime(0, -1, in: harness)
            expectEqual(harness.linux(Self.select, 1, 0, 0, 0, Self.timeout), -22, "negative microseconds")
            try Self.writeTime(-1, 0, in: harness)
            expectEqual(harness.linux(Self.select, 1, 0, 0, 0, Self.timeout), -22, "negative seconds")
            try Self.writeTime(1, -1_000_000, in: harness)
            expectEqual(harness.linux(Self.pselect6, 1, 0, 0, 0, Self.timeout, 0), -22, "negative nanoseconds")
            try Self.writeTime(0, 1_000_000_000, in: harness)
            expectEqual(harness.linux(Self.pselect6, 1, 0, 0, 0, Self.timeout, 0), -22, "a timespec's nanoseconds stay below a second")
            expectEqual(harness.linux(Self.pselect6, 1, 0, 0, 0, 0x10, 0), -14)
            expectEqual(harness.linux(Self.pselect6, 1, 0, 0, 0, 0, 0x10), -14, "the mask's address and size unreadable")
            expectEqual(harness.linux(Self.pselect6, 1, 0, 0, 0, 0, Self.pack), -22, "sigsetsize must be 8")
            try harness.process.mm.copyOut(UInt64(0x10).littleEndianBytes + UInt64(8).littleEndianBytes, to: VirtualAddress(Self.pack))
            expectEqual(harness.linux(Self.pselect6, 1, 0, 0, 0, 0, Self.pack), -14, "the mask unreadable")
            try harness.process.mm.copyOut(Self.mask.littleEndianBytes + UInt64(8).littleEndianBytes, to: VirtualAddress(Self.pack))
            expectEqual(harness.linux(Self.pselect6, 64, Self.readSet, 0, 0, 0, Self.pack), -9)
            expectEqual(harness.process.linux.signals, signals, "no mask set by a refused pselect6")
            expectEqual(try Self.words(at: Self.readSet, in: harness), before, "no set written")
        }
    }

    @Test func aRefusalPastTheTimeoutStillWritesTheTimeLeft() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            try Self.write([40], at: Self.readSet, in: harness)
            try Self.writeTime(0, 2_500_000, in: harness)
            expectEqual(harness.linux(Self.select, 64, Self.readSet, 0, 0, Self.timeout), -9)
            expectEqual(try Self.time(in: harness), [2, 500_000], "rewritten in its normal form")
            try Self.writeTime(0, 2_500_000, in: harness)
            expectEqual(harness.linux(Self.select, UInt64(bitPattern: -5), 0, 0, 0, Self.timeout), -22)
            expectEqual(try Self.time(in: harness), [2, 500_000])
        }
    }

    @Test func setsThatCannotBeWrittenFailAtTheEndAndAnUnwritableTimeoutIsNoError() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let readOnly = ProcessHarnessLayout.readOnly
            try Self.writeTime(0, 0, in: harness)
            expectEqual(harness.linux(Self.select, 3, readOnly, 0, 0, Self.timeout), -14, "read, found empty below nfds, not writable")
            try Self.writeTime(3, 0, in: harness)
            guard case .polls(let request) = harness.linuxOutcome(Self.select, 0, 0, 0, 0, Self.timeout) else {
                Issue.record("select with a timeout does not wait")
                return
            }
            var unwritable = request
            unwritable.timeLeft = LinuxTimeLeft(address: VirtualAddress(readOnly), form: .timeval)
            expectEqual(LinuxSyscalls.finishPoll(unwritable, by: 1, interrupted: false, at: Self.now, in: &harness.process), 0)
        }
    }
}

/// `fchdir`: the current directory from an open directory, with the path `getcwd` reports.
@Suite("Linux fchdir")
struct LinuxFchdirTests {
    static let buffer = ProcessHarnessLayout.buffer
    static let fchdir = LinuxSyscallNumber.fchdir.rawValue

    func cwd(_ harness: ProcessHarness<EagerPager>) throws -> String {
        let count = harness.linux(LinuxSyscallNumber.getcwd.rawValue, Self.buffer, 256)
        return try harness.bytes(count: Int(count) - 1, at: Self.buffer)
    }

    func mkdir(_ path: String, _ harness: ProcessHarness<EagerPager>) throws {
        try harness.process.mm.copyOut(Array(path.utf8) + [0], to: VirtualAddress(LinuxSyscallTests.pathArea))
        expectEqual(harness.linux(LinuxSyscallNumber.mkdir.rawValue, LinuxSyscallTests.pathArea, 0o755), 0)
    }

    @Test func fchdirEntersTheOpenDirectoryAndGetcwdNamesIt() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            try mkdir("/a", harness)
            try mkdir("/a/bb", harness)
            try mkdir("/a/bb/c", harness)
            let deep = try harness.linuxOpen("/a/bb/c", flags: 0o200000)
            let root = try harness.linuxOpen("/", flags: 0o200000)
            expectEqual(harness.linux(Self.fchdir, UInt64(deep)), 0)
            expectEqual(try cwd(harness), "/a/bb/c")
            #expect(try harness.linuxOpen("../../../hello.txt", flags: 0) >= 0, "relative paths start there")
            expectEqual(harness.linux(Self.fchdir, UInt64(root)), 0)
            expectEqual(try cwd(harness), "/")
            #expect(try harness.linuxOpen("a/bb", flags: 0o200000) >= 0)
            expectEqual(harness.linux(LinuxSyscallNumber.close.rawValue, UInt64(deep)), 0)
            let bb = try harness.linuxOpen("a/bb", flags: 0o200000)
            expectEqual(harness.linux(Self.fchdir, UInt64(bb)), 0)
            expectEqual(harness.linux(LinuxSyscallNumber.close.rawValue, UInt64(bb)), 0)
            expectEqual(try cwd(harness), "/a/bb", "the directory stays current after its descriptor closes")
            #expect(try harness.linuxOpen("c", flags: 0o200000) >= 0)
        }
    }

    @Test func fchdirRefusesFilesClosedDescriptorsAndRemovedDirectories() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let file = try harness.linuxOpen("/hello.txt", flags: 0)
            expectEqual(harness.linux(Self.fchdir, UInt64(file)), -20)
            expectEqual(harness.linux(Self.fchdir, 99), -9)
            expectEqual(harness.linux(Self.fchdir, UInt64(bitPattern: -100)), -9, "AT_FDCWD is no descriptor")
            try mkdir("/gone", harness)
            let gone = try harness.linuxOpen("/gone", flags: 0o200000)
            try harness.process.mm.copyOut(Array("/gone\0".utf8), to: VirtualAddress(LinuxSyscallTests.pathArea))
            expectEqual(harness.linux(LinuxSyscallNumber.rmdir.rawValue, LinuxSyscallTests.pathArea), 0)
            expectEqual(harness.linux(Self.fchdir, UInt64(gone)), -2)
            expectEqual(try cwd(harness), "/", "nothing changed")
        }
    }
}

/// `alarm` (LinuxAlarm.swift): the seconds left of the alarm it replaces, rounded as Linux
/// rounds, when it rings, and that `fork`'s child starts without one.
@Suite("Linux alarm")
struct LinuxAlarmTests {
    static let second: UInt64 = 1_000_000_000
    static let now = LinuxSyscallTests.machine.monotonicNanoseconds()

    @Test func setReturnsTheSecondsLeftRoundedToTheNearestButNeverZeroWhileSet() {
        var alarm = LinuxAlarm()
        #expect(!alarm.isSet)
        let first = alarm.set(seconds: 10, at: 0)
        #expect(first == 0 && alarm.deadline == 10 * Self.second)
        let replaced = alarm.set(seconds: 5, at: Self.second / 10)
        expectEqual(replaced, 10, "9.9 s left")
        expectEqual(alarm.secondsLeft(at: Self.second / 10 + 4 * Self.second / 10), 5, "4.6 s left")
        expectEqual(alarm.secondsLeft(at: Self.second / 10 + 6 * Self.second / 10), 4, "4.4 s left")
        expectEqual(alarm.secondsLeft(at: 5 * Self.second), 1, "0.1 s left is still 1")
        expectEqual(alarm.secondsLeft(at: 6 * Self.second), 0, "past its time")
        let stopped = alarm.set(seconds: 0, at: Self.second)
        #expect(stopped == 4 && !alarm.isSet, "alarm(0) stops it")
        let again = alarm.set(seconds: 0, at: Self.second)
        expectEqual(again, 0)
        let longest = alarm.set(seconds: .max, at: 0)
        #expect(longest == 0 && alarm.secondsLeft(at: 0) == .max, "as long as an unsigned int allows")
    }

    @Test func anAlarmRingsOnceAtItsTime() {
        var alarm = LinuxAlarm()
        _ = alarm.set(seconds: 2, at: Self.second)
        let early = alarm.ring(at: 3 * Self.second - 1)
        #expect(!early)
        let onTime = alarm.ring(at: 3 * Self.second)
        #expect(onTime && !alarm.isSet)
        let later = alarm.ring(at: 4 * Self.second)
        #expect(!later, "it rang")
        var unset = LinuxAlarm()
        let never = unset.ring(at: .max)
        #expect(!never)
    }

    @Test func alarmAsksTheKernelToLookAgainAndForkClearsIt() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let alarm = LinuxSyscallNumber.alarm.rawValue
            expectEqual(harness.linuxOutcome(alarm, 3), .signal(.alarmChanged(secondsLeft: 0)))
            #expect(harness.process.linux.alarm.deadline == Self.now + 3 * Self.second)
            expectEqual(harness.linuxOutcome(alarm, 0x1_0000_0000), .signal(.alarmChanged(secondsLeft: 3)), "seconds is an unsigned int: 0")
            #expect(!harness.process.linux.alarm.isSet)
            _ = harness.linuxOutcome(alarm, 9)
            let child = try harness.process.fork(mainThread: 2)
            #expect(!child.linux.alarm.isSet, "fork's child starts with no alarm")
            #expect(harness.process.linux.alarm.isSet)
        }
    }
}
