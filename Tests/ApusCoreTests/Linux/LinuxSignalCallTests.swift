import ApusCore
import Testing

/// The Linux signal and sleep calls (``LinuxSyscalls``) over the process's ``SignalState``:
/// what they change, what they ask of the kernel, and that every refused call changes
/// nothing.
@Suite("Linux signal and sleep calls")
struct LinuxSignalCallTests {
    static let buffer = ProcessHarnessLayout.buffer
    static let sigaction = LinuxSyscallNumber.rtSigaction.rawValue
    static let sigprocmask = LinuxSyscallNumber.rtSigprocmask.rawValue

    /// `struct kernel_sigaction` with `handler`, SA_RESTORER|SA_RESTART and a mask of SIGUSR2.
    static func action(handler: UInt64) -> [UInt8] {
        handler.littleEndianBytes + UInt64(0x0400_0000 | 0x1000_0000).littleEndianBytes + UInt64(0x40_2000).littleEndianBytes
            + SignalSet([.user2]).bytes
    }

    @Test func rtSigactionStoresTheActionAndReportsTheOldOne() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            try harness.process.mm.copyOut(Self.action(handler: 0x40_1000), to: VirtualAddress(Self.buffer))
            expectEqual(harness.linux(Self.sigaction, 10, Self.buffer, 0, 8), 0)
            let stored = harness.process.linux.signals.action(for: .user1)
            expectEqual(stored.handler, .function(0x40_1000))
            #expect(stored.flags.contains(.restart) && stored.flags.contains(.restorer))
            #expect(stored.mask == SignalSet([.user2]) && stored.restorer == 0x40_2000)
            expectEqual(harness.linux(Self.sigaction, 10, 0, Self.buffer + 0x100, 8), 0)
            expectEqual(try harness.word(at: Self.buffer + 0x100), 0x40_1000)
            expectEqual(try harness.word(at: Self.buffer + 0x110), 0x40_2000)
        }
    }

    @Test func rtSigactionRefusalsChangeNothing() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            try harness.process.mm.copyOut(Self.action(handler: 0x40_1000), to: VirtualAddress(Self.buffer))
            let before = harness.process.linux.signals
            expectEqual(harness.linux(Self.sigaction, 9, Self.buffer, 0, 8), -22, "SIGKILL keeps its action")
            expectEqual(harness.linux(Self.sigaction, 19, Self.buffer, 0, 8), -22, "SIGSTOP keeps its action")
            expectEqual(harness.linux(Self.sigaction, 0, Self.buffer, 0, 8), -22)
            expectEqual(harness.linux(Self.sigaction, 65, Self.buffer, 0, 8), -22)
            expectEqual(harness.linux(Self.sigaction, 10, Self.buffer, 0, 4), -22, "sigsetsize must be 8")
            expectEqual(harness.linux(Self.sigaction, 10, 0x10, 0, 8), -14)
            expectEqual(harness.linux(Self.sigaction, 10, Self.buffer, ProcessHarnessLayout.readOnly, 8), -14)
            expectEqual(harness.process.linux.signals, before)
        }
    }

    @Test func rtSigprocmaskChangesTheCallersMask() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            try harness.process.mm.copyOut(SignalSet([.user1, .kill, .child]).bytes, to: VirtualAddress(Self.buffer))
            expectEqual(harness.linux(Self.sigprocmask, 0, Self.buffer, 0, 8), 0) // SIG_BLOCK
            expectEqual(harness.process.linux.signals.signals(of: 1)?.blocked, SignalSet([.user1, .child]))
            try harness.process.mm.copyOut(SignalSet([.child]).bytes, to: VirtualAddress(Self.buffer))
            expectEqual(harness.linux(Self.sigprocmask, 1, Self.buffer, Self.buffer + 0x100, 8), 0) // SIG_UNBLOCK
            expectEqual(try harness.word(at: Self.buffer + 0x100), SignalSet([.user1, .child]).bits)
            expectEqual(harness.process.linux.signals.signals(of: 1)?.blocked, SignalSet([.user1]))
            let before = harness.process.linux.signals
            expectEqual(harness.linux(Self.sigprocmask, 7, Self.buffer, 0, 8), -22)
            expectEqual(harness.linux(Self.sigprocmask, 2, Self.buffer, 0, 16), -22)
            expectEqual(harness.linux(Self.sigprocmask, 2, 0x10, 0, 8), -14)
            expectEqual(harness.linux(Self.sigprocmask, 2, Self.buffer, ProcessHarnessLayout.readOnly, 8), -14)
            expectEqual(harness.process.linux.signals, before)
        }
    }

    @Test func rtSigsuspendTakesItsMaskAndAsksTheKernelToWait() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            try harness.process.mm.copyOut(SignalSet([.user2]).bytes, to: VirtualAddress(Self.buffer))
            expectEqual(harness.linuxOutcome(LinuxSyscallNumber.rtSigsuspend.rawValue, Self.buffer, 8), .signal(.suspend))
            expectEqual(harness.process.linux.signals.signals(of: 1)?.blocked, SignalSet([.user2]))
            expectEqual(harness.process.linux.signals.signals(of: 1)?.maskBeforeSuspend, .empty)
            expectEqual(harness.linux(LinuxSyscallNumber.rtSigsuspend.rawValue, 0x10, 8), -14)
            expectEqual(harness.linux(LinuxSyscallNumber.rtSigsuspend.rawValue, Self.buffer, 4), -22)
            expectEqual(harness.linuxOutcome(LinuxSyscallNumber.rtSigreturn.rawValue), .signal(.returnFromHandler))
        }
    }

    @Test func killDecodesItsTargetAndSignal() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let kill = LinuxSyscallNumber.kill.rawValue
            expectEqual(harness.linuxOutcome(kill, 7, 15), .signal(.send(.terminate, to: .process(7))))
            expectEqual(harness.linuxOutcome(kill, 0, 10), .signal(.send(.user1, to: .group(1))))
            expectEqual(harness.linuxOutcome(kill, UInt64(bitPattern: -1), 9), .signal(.send(.kill, to: .everyone)))
            expectEqual(harness.linuxOutcome(kill, UInt64(bitPattern: -5), 2), .signal(.send(.interrupt, to: .group(5))))
            expectEqual(harness.linuxOutcome(kill, 7, 0), .signal(.send(nil, to: .process(7))), "signal 0 only looks")
            expectEqual(harness.linux(kill, 7, 65), -22)
            expectEqual(harness.linux(kill, 7, UInt64(bitPattern: -1)), -22)
            expectEqual(harness.linux(kill, UInt64(UInt32(bitPattern: Int32.min)), 15), -3)
            let tgkill = LinuxSyscallNumber.tgkill.rawValue, tkill = LinuxSyscallNumber.tkill.rawValue
            expectEqual(harness.linuxOutcome(tgkill, 4, 4, 10), .signal(.send(.user1, to: .thread(4, process: 4))))
            expectEqual(harness.linuxOutcome(tkill, 4, 10), .signal(.send(.user1, to: .thread(4, process: nil))))
            expectEqual(harness.linux(tgkill, 0, 4, 10), -22)
            expectEqual(harness.linux(tkill, 0, 10), -22)
            expectEqual(harness.linux(tkill, 4, 99), -22)
        }
    }

    @Test func sigaltstackSetsAndReportsTheCallersAlternateStack() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let call = LinuxSyscallNumber.sigaltstack.rawValue
            expectEqual(harness.linuxOutcome(call, Self.buffer, Self.buffer + 0x40), .signal(.alternateStack(new: VirtualAddress(Self.buffer), old: VirtualAddress(Self.buffer + 0x40))))
            func sigaltstack(_ new: UInt64, _ old: UInt64, stackPointer: UInt64 = 0x7FFF_0000) -> Int64 {
                LinuxSyscalls.alternateStack(new: VirtualAddress(new), old: VirtualAddress(old), by: 1, stackPointer: stackPointer, in: &harness.process)
            }
            let stack = AlternateStack(base: 0x50_0000, size: 0x1_0000, flags: 0)
            try harness.process.mm.copyOut(stack.frameBytes, to: VirtualAddress(Self.buffer))
            expectEqual(sigaltstack(Self.buffer, Self.buffer + 0x40), 0)
            expectEqual(AlternateStack(stackT: try harness.process.mm.copyIn(count: 24, from: VirtualAddress(Self.buffer + 0x40))), .disabled)
            expectEqual(harness.process.linux.signals.alternateStack(of: 1), stack)
            expectEqual(sigaltstack(0, Self.buffer + 0x80, stackPointer: 0x50_8000), 0)
            expectEqual(AlternateStack(stackT: try harness.process.mm.copyIn(count: 24, from: VirtualAddress(Self.buffer + 0x80))), AlternateStack(base: 0x50_0000, size: 0x1_0000, flags: AlternateStack.onStack))
            expectEqual(sigaltstack(0, 0), 0, "nothing asked, nothing done")
        }
    }

    @Test func sigaltstackRefusalsChangeNothing() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            func sigaltstack(_ new: UInt64, _ old: UInt64, stackPointer: UInt64 = 0x7FFF_0000) -> Int64 {
                LinuxSyscalls.alternateStack(new: VirtualAddress(new), old: VirtualAddress(old), by: 1, stackPointer: stackPointer, in: &harness.process)
            }
            let stack = AlternateStack(base: 0x50_0000, size: 0x1_0000, flags: 0)
            try harness.process.mm.copyOut(stack.frameBytes, to: VirtualAddress(Self.buffer))
            expectEqual(sigaltstack(Self.buffer, 0), 0)
            let before = harness.process.linux.signals
            expectEqual(sigaltstack(Self.buffer, 0, stackPointer: 0x50_0100), -1, "EPERM on the stack")
            expectEqual(sigaltstack(0x10, 0), -14)
            expectEqual(sigaltstack(Self.buffer, 0x10), -14)
            expectEqual(sigaltstack(0, ProcessHarnessLayout.readOnly), -14)
            expectEqual(sigaltstack(0, 0xFFFF_8000_0010_0000), -14)
            try harness.process.mm.copyOut(AlternateStack(base: 0x50_0000, size: 2047, flags: 0).frameBytes, to: VirtualAddress(Self.buffer))
            expectEqual(sigaltstack(Self.buffer, Self.buffer + 0x40), -12)
            try harness.process.mm.copyOut(AlternateStack(base: 0x50_0000, size: 0x1_0000, flags: 4).frameBytes, to: VirtualAddress(Self.buffer))
            expectEqual(sigaltstack(Self.buffer, Self.buffer + 0x40), -22)
            expectEqual(try harness.word(at: Self.buffer + 0x40), 0, "no report after a refusal")
            expectEqual(harness.process.linux.signals, before)
        }
    }

    @Test func aWriteToAPipeWithNoReaderPostsSIGPIPE() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            expectEqual(harness.linux(LinuxSyscallNumber.pipe2.rawValue, Self.buffer + 0x200, 0), 0)
            let pair = try harness.word(at: Self.buffer + 0x200)
            let (reader, writer) = (Int64(pair & 0xFFFF_FFFF), Int64(pair >> 32))
            expectEqual(harness.linux(LinuxSyscallNumber.close.rawValue, UInt64(reader)), 0)
            expectEqual(try harness.linuxWrite(writer, "x"), -32)
            expectEqual(harness.process.linux.signals.signals(of: 1)?.pending.set, SignalSet([.brokenPipe]))
            expectEqual(harness.process.linux.signals.nextDelivery(for: 1), .terminate(.brokenPipe, withCore: false))
        }
    }

    @Test func nanosleepTurnsItsTimeIntoADeadline() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let nanosleep = LinuxSyscallNumber.nanosleep.rawValue, clockNanosleep = LinuxSyscallNumber.clockNanosleep.rawValue
            let now = LinuxSyscallTests.machine.monotonicNanoseconds(), real = LinuxSyscallTests.machine.realTimeNanoseconds()
            try harness.process.mm.copyOut(UInt64(2).littleEndianBytes + UInt64(500).littleEndianBytes, to: VirtualAddress(Self.buffer))
            expectEqual(harness.linuxOutcome(nanosleep, Self.buffer, Self.buffer + 0x100), .sleeps(until: now + 2_000_000_500, remaining: VirtualAddress(Self.buffer + 0x100)))
            expectEqual(harness.linuxOutcome(clockNanosleep, 1, 0, Self.buffer, 0), .sleeps(until: now + 2_000_000_500, remaining: VirtualAddress(0)))
            expectEqual(harness.linuxOutcome(clockNanosleep, 1, 1, Self.buffer, 0), .sleeps(until: 2_000_000_500, remaining: VirtualAddress(0)))
            try harness.process.mm.copyOut((real / 1_000_000_000 + 3).littleEndianBytes + UInt64(0).littleEndianBytes, to: VirtualAddress(Self.buffer + 0x40))
            let absolute = (real / 1_000_000_000 + 3) * 1_000_000_000
            expectEqual(harness.linuxOutcome(clockNanosleep, 0, 1, Self.buffer + 0x40, 0), .sleeps(until: absolute - (real - now), remaining: VirtualAddress(0)))
            try harness.process.mm.copyOut(UInt64(1).littleEndianBytes + UInt64(1_000_000_000).littleEndianBytes, to: VirtualAddress(Self.buffer + 0x80))
            expectEqual(harness.linux(nanosleep, Self.buffer + 0x80, 0), -22, "nanoseconds past a second")
            try harness.process.mm.copyOut(UInt64(bitPattern: -1).littleEndianBytes + UInt64(0).littleEndianBytes, to: VirtualAddress(Self.buffer + 0x80))
            expectEqual(harness.linux(nanosleep, Self.buffer + 0x80, 0), -22, "negative seconds")
            try harness.process.mm.copyOut(UInt64(Int64.max).littleEndianBytes + UInt64(0).littleEndianBytes, to: VirtualAddress(Self.buffer + 0x80))
            expectEqual(harness.linuxOutcome(nanosleep, Self.buffer + 0x80, 0), .sleeps(until: .max, remaining: VirtualAddress(0)), "too long a sleep lasts for ever")
            expectEqual(harness.linux(nanosleep, 0x10, 0), -14)
            expectEqual(harness.linux(clockNanosleep, 2, 0, Self.buffer, 0), -22, "a CPU-time clock")
            expectEqual(harness.linux(clockNanosleep, 1, 2, Self.buffer, 0), -22, "an unknown flag")
        }
    }
}
