import ApusCore
import Testing

/// `poll` and `ppoll` (``LinuxSyscalls``, ``UserProcess/poll(_:)``), and the console's
/// terminal settings (`TCGETS`, `TCSETS`, ``TerminalModes``): what each descriptor is ready
/// for, what a poll waits on, and every refusal.
@Suite("Linux poll and terminal settings")
struct LinuxPollTests {
    static let buffer = ProcessHarnessLayout.buffer
    static let pollNumber = LinuxSyscallNumber.poll.rawValue
    static let ppollNumber = LinuxSyscallNumber.ppoll.rawValue
    static let (pollIn, pollOut, pollErr, pollHup, pollNval): (UInt16, UInt16, UInt16, UInt16, UInt16) = (0x1, 0x4, 0x8, 0x10, 0x20)

    /// Writes `entries` (descriptor, events) as `struct pollfd`s at the buffer.
    static func write(_ entries: [(Int32, UInt16)], in harness: ProcessHarness<EagerPager>) throws {
        let bytes = entries.flatMap { $0.0.littleEndianBytes + $0.1.littleEndianBytes + UInt16(0x5555).littleEndianBytes }
        try harness.process.mm.copyOut(bytes, to: VirtualAddress(buffer))
    }

    /// One look at `entries`: what it found, and each entry's `revents`.
    static func look(_ entries: [(Int32, UInt16)], in harness: ProcessHarness<EagerPager>) throws -> (PollLook, [UInt16]) {
        try write(entries, in: harness)
        let look = try harness.process.poll(LinuxPollRequest(descriptors: VirtualAddress(buffer), count: entries.count, deadline: nil))
        let bytes = try harness.process.mm.copyIn(count: entries.count * 8, from: VirtualAddress(buffer))
        return (look, entries.indices.map { UInt16(littleEndianBytes: bytes, at: $0 * 8 + 6) })
    }

    @Test func consoleInputIsReadyWhenPendingOrEndedAndOutputAlways() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine, input: "abc")
            harness.console.inputOpen = true
            var (look, revents) = try Self.look([(0, Self.pollIn | Self.pollOut), (1, Self.pollOut), (2, Self.pollIn), (77, Self.pollIn), (-1, Self.pollIn)], in: harness)
            #expect(look == .ready(3))
            #expect(revents == [Self.pollIn | Self.pollOut, Self.pollOut, 0, Self.pollNval, 0], "a negative descriptor is skipped")
            #expect(harness.linux(LinuxSyscallNumber.read.rawValue, 0, Self.buffer + 0x100, 16) == 3)
            (look, revents) = try Self.look([(0, Self.pollIn)], in: harness)
            #expect(look == .waits(on: harness.console.arrival) && revents == [0], "nothing pending, more may come")
            harness.console.inputOpen = false
            (look, revents) = try Self.look([(0, Self.pollIn)], in: harness)
            #expect(look == .ready(1) && revents == [Self.pollIn], "the end of the input is ready: a read returns 0")
            let file = try harness.linuxOpen("hello.txt", flags: 0)
            (look, revents) = try Self.look([(Int32(file), Self.pollIn | Self.pollOut)], in: harness)
            #expect(look == .ready(1) && revents == [Self.pollIn | Self.pollOut], "a file never waits")
        }
    }

    @Test func pipesAreReadyByTheirBytesRoomAndEnds() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            harness.console.inputOpen = true
            #expect(harness.linux(LinuxSyscallNumber.pipe2.rawValue, Self.buffer + 0x200, 0) == 0)
            let ends = try harness.process.mm.copyIn(count: 8, from: VirtualAddress(Self.buffer + 0x200))
            let (reader, writer) = (Int32(littleEndianBytes: ends, at: 0), Int32(littleEndianBytes: ends, at: 4))
            var (look, revents) = try Self.look([(reader, Self.pollIn)], in: harness)
            guard case .waits(let readable?) = look else { Issue.record("an empty pipe waits: \(look)"); return }
            #expect(readable !== harness.console.arrival && revents == [0])
            (look, _) = try Self.look([(reader, Self.pollIn), (0, Self.pollIn)], in: harness)
            #expect(look == .waits(on: nil), "two conditions: no one to wait on")
            (look, revents) = try Self.look([(writer, Self.pollOut)], in: harness)
            #expect(look == .ready(1) && revents == [Self.pollOut])
            #expect(try harness.linuxWrite(Int64(writer), "x") == 1)
            (look, revents) = try Self.look([(reader, Self.pollIn)], in: harness)
            #expect(look == .ready(1) && revents == [Self.pollIn])
            #expect(harness.linux(LinuxSyscallNumber.close.rawValue, UInt64(writer)) == 0)
            (look, revents) = try Self.look([(reader, 0)], in: harness)
            #expect(look == .ready(1) && revents == [Self.pollHup], "no write end left, asked or not")
            #expect(harness.linux(LinuxSyscallNumber.pipe2.rawValue, Self.buffer + 0x200, 0) == 0)
            let second = try harness.process.mm.copyIn(count: 8, from: VirtualAddress(Self.buffer + 0x200))
            #expect(harness.linux(LinuxSyscallNumber.close.rawValue, UInt64(Int32(littleEndianBytes: second, at: 0))) == 0)
            (look, revents) = try Self.look([(Int32(littleEndianBytes: second, at: 4), Self.pollOut)], in: harness)
            #expect(look == .ready(1) && revents == [Self.pollOut | Self.pollErr], "no read end left")
        }
    }

    @Test func pollAndPpollTurnTheirTimeOutsIntoDeadlines() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let now: UInt64 = 1_500_000_000 // LinuxSyscallTests.machine's monotonic clock
            let address = VirtualAddress(Self.buffer)
            #expect(harness.linuxOutcome(Self.pollNumber, Self.buffer, 2, 250) == .polls(LinuxPollRequest(descriptors: address, count: 2, deadline: now + 250_000_000)))
            #expect(harness.linuxOutcome(Self.pollNumber, Self.buffer, 1, 0xFFFF_FFFF) == .polls(LinuxPollRequest(descriptors: address, count: 1, deadline: nil)),
                    "a negative int waits without end")
            #expect(harness.linuxOutcome(Self.pollNumber, 0, 0, 5) == .polls(LinuxPollRequest(descriptors: VirtualAddress(0), count: 0, deadline: now + 5_000_000)))
            try harness.process.mm.copyOut(UInt64(1).littleEndianBytes + UInt64(5).littleEndianBytes, to: VirtualAddress(Self.buffer + 0x100))
            #expect(harness.linuxOutcome(Self.ppollNumber, Self.buffer, 1, Self.buffer + 0x100, 0, 0)
                    == .polls(LinuxPollRequest(descriptors: address, count: 1, deadline: now + 1_000_000_005)))
            #expect(harness.linuxOutcome(Self.ppollNumber, Self.buffer, 1, 0, 0, 0) == .polls(LinuxPollRequest(descriptors: address, count: 1, deadline: nil)))
        }
    }

    @Test func ppollWaitsWithItsMaskAsRtSigsuspendDoes() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            try harness.process.mm.copyOut(SignalSet([.user1]).bytes, to: VirtualAddress(Self.buffer + 0x100))
            _ = harness.linuxOutcome(Self.ppollNumber, Self.buffer, 1, 0, Self.buffer + 0x100, 8)
            let state = harness.process.linux.signals.signals(of: 1)
            #expect(state?.blocked == SignalSet([.user1]) && state?.maskBeforeSuspend == .empty)
        }
    }

    @Test func pollRefusalsAreLinuxs() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            #expect(harness.linux(Self.pollNumber, Self.buffer, 1025, 0) == -22, "more than RLIMIT_NOFILE descriptors")
            #expect(harness.linux(Self.pollNumber, 0x10, 1, 0) == -14)
            #expect(harness.linux(Self.pollNumber, ProcessHarnessLayout.readOnly, 1, 0) == -14, "revents must be writable")
            try harness.process.mm.copyOut(UInt64(0).littleEndianBytes + UInt64(1_000_000_000).littleEndianBytes, to: VirtualAddress(Self.buffer + 0x100))
            #expect(harness.linux(Self.ppollNumber, Self.buffer, 1, Self.buffer + 0x100, 0, 0) == -22, "nanoseconds past a second")
            #expect(harness.linux(Self.ppollNumber, Self.buffer, 1, 0x10, 0, 0) == -14)
            #expect(harness.linux(Self.ppollNumber, Self.buffer, 1, 0, Self.buffer + 0x100, 4) == -22, "sigsetsize must be 8")
            #expect(harness.process.linux.signals.signals(of: 1)?.maskBeforeSuspend == nil, "a refused ppoll leaves the mask")
        }
    }

    @Test func terminalSettingsAreKeptAndTheirModesTravelAsARingWord() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            var settings = LinuxStructures.canonicalTerminal
            #expect(TerminalModes(settings: settings) == TerminalModes(canonical: true, echoes: true, signalKeys: true))
            settings[12] &= ~UInt8(0o13) // ~(ISIG | ICANON | ECHO), as a line editor asks
            try harness.process.mm.copyOut(settings, to: VirtualAddress(Self.buffer))
            #expect(harness.linux(LinuxSyscallNumber.ioctl.rawValue, 0, 0x5402, Self.buffer) == 0)
            #expect(harness.console.terminalSettings == settings)
            #expect(harness.linux(LinuxSyscallNumber.ioctl.rawValue, 1, 0x5401, Self.buffer + 0x100) == 0)
            #expect(try harness.process.mm.copyIn(count: 36, from: VirtualAddress(Self.buffer + 0x100)) == settings, "TCGETS gives them back")
            #expect(harness.linux(LinuxSyscallNumber.ioctl.rawValue, 0, 0x5404, 0x10) == -14)
            #expect(harness.console.terminalSettings == settings, "a refused TCSETSF changes nothing")
            let raw = TerminalModes(settings: settings)
            #expect(raw == TerminalModes(canonical: false, echoes: false, signalKeys: false))
            for modes in [raw, TerminalModes(canonical: true, echoes: false, signalKeys: true), TerminalModes(settings: LinuxStructures.canonicalTerminal)] {
                #expect(TerminalModes(ringWord: modes.ringWord) == modes)
            }
            #expect(TerminalModes(ringWord: 0) == nil, "no program set any")
            #expect(TerminalModes(ringWord: 0xDEAD_BEEF_0000_0000) == nil, "the tool trusts no other word")
        }
    }
}
