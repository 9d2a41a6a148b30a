import ApusCore
import Testing

/// `sigaltstack`'s rules (``AlternateStack``), the frame on the alternate stack
/// (``SignalFrame``), `rt_sigreturn` setting it again, and its life across fork and execve.
@Suite("Signals: the alternate stack")
struct AlternateStackTests {
    static let base: UInt64 = 0x50_0000, size: UInt64 = 0x1_0000
    static let stack = AlternateStack(base: base, size: size, flags: 0)
    static let normalStack: UInt64 = 0x7FFF_FFFF_E000

    @Test func aThreadIsOnItsStackWhenItsStackPointerIsInsideAndNeverWithAutoDisarm() {
        #expect(!Self.stack.isOn(stackPointer: Self.base))
        #expect(Self.stack.isOn(stackPointer: Self.base + 1))
        #expect(Self.stack.isOn(stackPointer: Self.base + Self.size))
        #expect(!Self.stack.isOn(stackPointer: Self.base + Self.size + 1))
        let disarming = AlternateStack(base: Self.base, size: Self.size, flags: AlternateStack.autoDisarm)
        #expect(!disarming.isOn(stackPointer: Self.base + 8) && disarming.contains(Self.base + 8))
    }

    @Test func aQueryReportsDisabledOnStackOrOffAndTheAutoDisarmBit() {
        expectEqual(AlternateStack.disabled.reportedFlags(stackPointer: Self.normalStack), AlternateStack.disable)
        expectEqual(Self.stack.reportedFlags(stackPointer: Self.normalStack), 0)
        expectEqual(Self.stack.reportedFlags(stackPointer: Self.base + 64), AlternateStack.onStack)
        let disarming = AlternateStack(base: Self.base, size: Self.size, flags: AlternateStack.onStack | AlternateStack.autoDisarm)
        expectEqual(disarming.reportedFlags(stackPointer: Self.base + 64), AlternateStack.autoDisarm)
        let report = Self.stack.reportBytes(stackPointer: Self.base + 64)
        expectEqual(report.count, AlternateStack.byteCount)
        expectEqual(AlternateStack(stackT: report), AlternateStack(base: Self.base, size: Self.size, flags: AlternateStack.onStack))
        expectEqual(AlternateStack(stackT: disarming.frameBytes), disarming, "a frame saves the flags as set")
    }

    @Test func aChangeFollowsLinuxsRules() throws {
        let current = AlternateStack.disabled
        expectEqual(try current.changed(to: Self.stack, stackPointer: Self.normalStack), Self.stack)
        let onStack = AlternateStack(base: Self.base, size: Self.size, flags: AlternateStack.onStack)
        expectEqual(try current.changed(to: onStack, stackPointer: Self.normalStack), onStack, "SS_ONSTACK is accepted as 0")
        let disable = AlternateStack(base: 0x1234, size: 99, flags: AlternateStack.disable)
        expectEqual(try Self.stack.changed(to: disable, stackPointer: Self.normalStack), .disabled, "SS_DISABLE forgets the stack")
        expectEqual(try AlternateStack.disabled.changed(to: .disabled, stackPointer: Self.normalStack), .disabled)
        let smallest = AlternateStack(base: Self.base, size: AlternateStack.minimumSize, flags: AlternateStack.autoDisarm)
        expectEqual(try current.changed(to: smallest, stackPointer: Self.normalStack), smallest)
    }

    @Test func refusedChangesAreEPERMOnTheStackEINVALForBadFlagsENOMEMBelowTheMinimum() {
        #expect(throws: KernelError.operationNotPermitted) { try Self.stack.changed(to: .disabled, stackPointer: Self.base + 8) }
        #expect(throws: KernelError.operationNotPermitted) { try Self.stack.changed(to: Self.stack, stackPointer: Self.base + 8) }
        for flags: UInt32 in [4, 3, 0x4000_0000, AlternateStack.autoDisarm | 4] {
            #expect(throws: KernelError.invalidArgument) {
                try AlternateStack.disabled.changed(to: AlternateStack(base: Self.base, size: Self.size, flags: flags), stackPointer: 0)
            }
        }
        #expect(throws: KernelError.noMemory) {
            try AlternateStack.disabled.changed(to: AlternateStack(base: Self.base, size: AlternateStack.minimumSize - 1, flags: 0), stackPointer: 0)
        }
        #expect(throws: KernelError.noMemory) {
            try AlternateStack.disabled.changed(to: AlternateStack(base: Self.base, size: 0, flags: 0), stackPointer: 0)
        }
    }

    // MARK: The frame

    static let action = SignalAction(handler: .function(0x40_1000), flags: [.restorer, .siginfo, .onStack], restorer: 0x40_2000)

    static func run(_ action: SignalAction = action) throws -> HandlerRun {
        try SignalFrameTests.run(.segmentationFault, saved: .empty, action: action)
    }

    static func registers(rsp: UInt64) -> UserRegisters {
        var registers = UserRegisters()
        registers.rsp = rsp
        registers.rip = 0x40_0100
        return registers
    }

    static let fpu = [UInt8](repeating: 0, count: FPUStateArea.size)

    @Test func anOnStackHandlerEntersAtTheTopOfTheAlternateStackWithUcStackFilled() throws {
        let frame = try SignalFrame(running: Self.run(), interrupted: Self.registers(rsp: Self.normalStack), fpuState: Self.fpu,
                                    alternateStack: Self.stack)
        #expect(frame.fpuStateAddress + UInt64(FPUStateArea.size) <= Self.base + Self.size)
        #expect(frame.fpuStateAddress + UInt64(FPUStateArea.size) > Self.base + Self.size - FPUStateArea.alignment, "no red zone")
        #expect(Self.stack.contains(frame.address) && (frame.handlerEntry.rsp + 8) % 16 == 0)
        let saved = Array(frame.bytes[24..<48])
        expectEqual(AlternateStack(stackT: saved), Self.stack)
        expectEqual(try SignalReturn(frame: SignalFrameTests.frameBytes(frame)).alternateStack, Self.stack)
    }

    @Test func theAlternateStackServesWhateverTheInterruptedStackPointerIs() throws {
        for rsp: UInt64 in [0, 0x10, 0xFFFF_8000_0000_0000, 0x8000_0000_0000] {
            let frame = try SignalFrame(running: Self.run(), interrupted: Self.registers(rsp: rsp), fpuState: Self.fpu,
                                        alternateStack: Self.stack)
            #expect(Self.stack.contains(frame.address), "rsp \(rsp)")
            expectEqual(UserRegisters(sigcontextOrder: (0..<18).map { UInt64(littleEndianBytes: frame.bytes, at: 48 + $0 * 8) }).rsp, rsp)
        }
        #expect(throws: KernelError.badAddress) {
            try SignalFrame(running: Self.run(), interrupted: Self.registers(rsp: 0x10), fpuState: Self.fpu)
        }
    }

    @Test func withoutOnStackOrWithoutAStackTheFrameStaysOnTheInterruptedStack() throws {
        var plain = Self.action
        plain.flags.remove(.onStack)
        let off = try SignalFrame(running: Self.run(plain), interrupted: Self.registers(rsp: Self.normalStack), fpuState: Self.fpu,
                                  alternateStack: Self.stack)
        #expect(off.fpuStateAddress + UInt64(FPUStateArea.size) <= Self.normalStack - SignalFrame.redZone)
        let none = try SignalFrame(running: Self.run(), interrupted: Self.registers(rsp: Self.normalStack), fpuState: Self.fpu)
        expectEqual(none.address, off.address)
        expectEqual(AlternateStack(stackT: Array(none.bytes[24..<48])), .disabled)
    }

    @Test func aNestedHandlerStaysOnTheAlternateStackBelowTheInterruptedOne() throws {
        let inside = Self.base + Self.size / 2
        let frame = try SignalFrame(running: Self.run(), interrupted: Self.registers(rsp: inside), fpuState: Self.fpu,
                                    alternateStack: Self.stack)
        #expect(frame.fpuStateAddress + UInt64(FPUStateArea.size) <= inside - SignalFrame.redZone)
        #expect(Self.stack.contains(frame.address))
    }

    @Test func aFrameThatOverflowsTheAlternateStackIsRefused() throws {
        let nearBottom = Self.base + 600
        #expect(throws: KernelError.badAddress) {
            try SignalFrame(running: Self.run(), interrupted: Self.registers(rsp: nearBottom), fpuState: Self.fpu, alternateStack: Self.stack)
        }
        var plain = Self.action
        plain.flags.remove(.onStack)
        #expect(throws: KernelError.badAddress, "nested without SA_ONSTACK") {
            try SignalFrame(running: Self.run(plain), interrupted: Self.registers(rsp: nearBottom), fpuState: Self.fpu, alternateStack: Self.stack)
        }
        let tooSmall = AlternateStack(base: Self.base, size: 900, flags: 0)
        #expect(throws: KernelError.badAddress, "entering a stack the frame does not fit") {
            try SignalFrame(running: Self.run(), interrupted: Self.registers(rsp: Self.normalStack), fpuState: Self.fpu, alternateStack: tooSmall)
        }
    }

    @Test func anAlternateStackOutsideProgramMemoryIsRefused() throws {
        for base: UInt64 in [0xFFFF_8000_0010_0000, 0x7FFF_FFFF_F000, 0xFFFF_FFFF_FFFF_0000, 0x8000_0000_0000] {
            let stack = AlternateStack(base: base, size: Self.size, flags: 0)
            #expect(throws: KernelError.badAddress) {
                try SignalFrame(running: Self.run(), interrupted: Self.registers(rsp: Self.normalStack), fpuState: Self.fpu, alternateStack: stack)
            }
        }
    }

    @Test func anAutoDisarmStackIsEnteredEvenFromInsideAndDisabledWhileTheHandlerRuns() throws {
        let disarming = AlternateStack(base: Self.base, size: Self.size, flags: AlternateStack.autoDisarm)
        let frame = try SignalFrame(running: Self.run(), interrupted: Self.registers(rsp: Self.base + 0x800), fpuState: Self.fpu,
                                    alternateStack: disarming)
        #expect(frame.fpuStateAddress + UInt64(FPUStateArea.size) > Self.base + Self.size - FPUStateArea.alignment)
        var state = SignalState(mainThread: 1)
        state.setAlternateStack(disarming, of: 1)
        state.handlerEntered(1)
        expectEqual(state.alternateStack(of: 1), .disabled)
        state.restoreAlternateStack(of: 1, to: disarming, stackPointer: Self.base + 0x400)
        expectEqual(state.alternateStack(of: 1), disarming)
        state.setAlternateStack(Self.stack, of: 1)
        state.handlerEntered(1)
        expectEqual(state.alternateStack(of: 1), Self.stack, "without SS_AUTODISARM nothing changes")
    }

    @Test func rtSigreturnSetsTheSavedStackUnlessTheCallIsStillOnTheCurrentOne() {
        var state = SignalState(mainThread: 1)
        state.setAlternateStack(Self.stack, of: 1)
        let other = AlternateStack(base: 0x90_0000, size: 0x4000, flags: 0)
        state.restoreAlternateStack(of: 1, to: other, stackPointer: Self.base + 0x100)
        expectEqual(state.alternateStack(of: 1), Self.stack, "on the stack: EPERM, silently")
        state.restoreAlternateStack(of: 1, to: AlternateStack(base: 0, size: 0, flags: 0), stackPointer: Self.normalStack)
        expectEqual(state.alternateStack(of: 1), Self.stack, "a forged uc_stack with size 0: ENOMEM, silently")
        state.restoreAlternateStack(of: 1, to: other, stackPointer: Self.normalStack)
        expectEqual(state.alternateStack(of: 1), other)
        state.restoreAlternateStack(of: 2, to: Self.stack, stackPointer: Self.normalStack)
        expectEqual(state.alternateStack(of: 2), .disabled, "no such thread")
    }

    @Test func forkKeepsTheCallersStackAndExecveForgetsIt() {
        var state = SignalState(mainThread: 1)
        state.addThread(2, createdBy: 1)
        state.setAlternateStack(Self.stack, of: 1)
        expectEqual(state.alternateStack(of: 2), .disabled, "a new thread has none")
        expectEqual(state.forked(from: 1, child: 7).alternateStack(of: 7), Self.stack)
        expectEqual(state.forked(from: 2, child: 8).alternateStack(of: 8), .disabled)
        state.resetForExecve(keeping: 1)
        expectEqual(state.alternateStack(of: 1), .disabled)
    }
}
