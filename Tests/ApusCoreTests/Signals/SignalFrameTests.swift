import ApusCore
import Testing

/// The `rt_sigframe` on the user stack and `rt_sigreturn` reading it back.
@Suite("Signals: signal frame and rt_sigreturn")
struct SignalFrameTests {
    static let action = SignalAction(handler: .function(0x40_1000), flags: [.restorer, .siginfo], restorer: 0x40_2000)

    struct NoHandlerDelivered: Error {}

    /// The handler run that delivering `signal` with `action`, to a thread blocking `saved`,
    /// gives.
    static func run(_ signal: Signal = .interrupt, saved: SignalSet = SignalSet([.quit]), action: SignalAction = action) throws -> HandlerRun {
        var state = SignalState(mainThread: 1)
        _ = try state.changeAction(Int64(signal.number), to: action)
        state.restoreMask(of: 1, to: saved)
        _ = state.post(.sent(signal, byProcess: 33), toThread: 1)
        guard case let .handler(run) = state.nextDelivery(for: 1) else { throw NoHandlerDelivered() }
        return run
    }

    static func randomRegisters(_ random: inout SeededRandom) -> UserRegisters {
        var values = (0..<18).map { _ in random.next() }
        values[15] = random.chance(50) ? UInt64.random(in: 0x10_0000...0x4FFF_FFFF_0000, using: &random)
                                       : UInt64.random(in: 0x5081_0000_0000...0x7FFF_FFFF_F000, using: &random)
        values[16] = UInt64.random(in: 0...0x4FFF_FFFF_FFFF, using: &random)
        return UserRegisters(sigcontextOrder: values)
    }

    static func fpuImage(_ seed: UInt8) -> [UInt8] { (0..<512).map { UInt8(truncatingIfNeeded: Int($0) &* 3 &+ Int(seed)) } }

    /// The bytes of the frame alone, as `rt_sigreturn` reads them.
    static func frameBytes(_ frame: SignalFrame) -> [UInt8] { Array(frame.bytes.prefix(SignalFrame.size)) }

    @Test func theHandlerIsEnteredAsIfCalledWithAnAlignedStack() throws {
        var random = SeededRandom(seed: 11)
        for _ in 0..<TestTier.count(short: 500, long: 5_000) {
            let registers = Self.randomRegisters(&random)
            let frame = try SignalFrame(running: try Self.run(), interrupted: registers, fpuState: Self.fpuImage(1))
            let entry = frame.handlerEntry
            #expect((entry.rsp + 8) % 16 == 0)
            #expect(entry.rsp == frame.address && entry.rip == 0x40_1000)
            #expect(entry.rdi == 2 && entry.rsi == frame.address + 312 && entry.rdx == frame.address + 8)
            #expect(entry.rax == 0 && entry.rflags & UserRegisters.directionFlag == 0 && entry.rflags & 0x200 != 0)
            #expect(frame.fpuStateAddress % 64 == 0)
            #expect(frame.fpuStateAddress + 512 <= registers.rsp - 128)
            #expect(frame.address + UInt64(SignalFrame.size) <= frame.fpuStateAddress)
            expectEqual(frame.bytes.count, Int(frame.fpuStateAddress + 512 - frame.address))
            expectEqual(UInt64(littleEndianBytes: frame.bytes, at: 0), 0x40_2000)
        }
    }

    @Test func theFrameHasLinuxsLayout() throws {
        var registers = UserRegisters()
        registers.r8 = 0x1111
        registers.rax = 0xAAAA
        registers.rsp = 0x7FFF_FFFF_E000
        registers.rip = 0x40_5555
        registers.rflags = 0x246
        let fault = SignalFrame.Fault(vector: 14, errorCode: 6, address: 0xDEAD_0000)
        let frame = try SignalFrame(running: try Self.run(.segmentationFault), interrupted: registers, fpuState: Self.fpuImage(9), fault: fault)
        let b = frame.bytes
        func word(_ offset: Int) -> UInt64 { UInt64(littleEndianBytes: b, at: offset) }
        expectEqual(word(8), 2)                                 // uc_flags: UC_SIGCONTEXT_SS
        expectEqual(UInt32(littleEndianBytes: b, at: 32), 2)    // uc_stack.ss_flags: SS_DISABLE
        expectEqual(word(48), 0x1111)                           // sigcontext.r8
        expectEqual(word(48 + 13 * 8), 0xAAAA)                  // rax
        expectEqual(word(48 + 15 * 8), 0x7FFF_FFFF_E000)        // rsp
        expectEqual(word(48 + 16 * 8), 0x40_5555)               // rip
        expectEqual(word(48 + 17 * 8), 0x246)                   // eflags
        #expect(UInt16(littleEndianBytes: b, at: 192) == 0x23 && UInt16(littleEndianBytes: b, at: 198) == 0x1B)
        #expect(word(200) == 6 && word(208) == 14 && word(216) == SignalSet([.quit]).bits && word(224) == 0xDEAD_0000)
        expectEqual(word(232), frame.fpuStateAddress)
        expectEqual(word(304), SignalSet([.quit]).bits)         // uc_sigmask
        expectEqual(Array(b[312..<440]), SignalInfo.sent(.segmentationFault, byProcess: 33).bytes)
        let fpuAt = Int(frame.fpuStateAddress - frame.address)
        expectEqual(Array(b[fpuAt..<fpuAt + 512]), Self.fpuImage(9))
    }

    @Test func aFrameRoundTripsThroughRtSigreturn() throws {
        var random = SeededRandom(seed: 12)
        for _ in 0..<TestTier.count(short: 1_000, long: 10_000) {
            let registers = Self.randomRegisters(&random)
            let saved = SignalSet(bits: random.next()).subtracting(SignalSet([.interrupt]))
            let frame = try SignalFrame(running: try Self.run(saved: saved), interrupted: registers, fpuState: Self.fpuImage(2))
            let back = try SignalReturn(frame: Self.frameBytes(frame))
            var expected = registers
            expected.rflags = UserRegisters.sanitisedFlags(registers.rflags)
            expectEqual(back.registers, expected)
            expectEqual(back.mask, saved.blockable)
            expectEqual(back.fpuStateAddress, frame.fpuStateAddress)
            expectEqual(SignalReturn.frameAddress(userStackPointer: frame.address + 8), frame.address)
        }
    }

    @Test func sigreturnSanitisesFlagsAndTheMask() throws {
        var registers = UserRegisters()
        registers.rsp = 0x7000_0000
        registers.rip = 0x40_0000
        var bytes = Self.frameBytes(try SignalFrame(running: try Self.run(), interrupted: registers, fpuState: Self.fpuImage(0)))
        for (index, byte) in UInt64.max.littleEndianBytes.enumerated() {
            bytes[48 + 17 * 8 + index] = byte
            bytes[304 + index] = byte
        }
        let back = try SignalReturn(frame: bytes)
        #expect(back.registers.rflags == 0xCD5 | 0x202)
        expectEqual(back.mask, SignalSet.all.blockable)
    }

    @Test func sigreturnRefusesAnRipThatIsNotUserCode() throws {
        var registers = UserRegisters()
        registers.rsp = 0x7000_0000
        let good = Self.frameBytes(try SignalFrame(running: try Self.run(), interrupted: registers, fpuState: Self.fpuImage(0)))
        for rip: UInt64 in [0x0000_8000_0000_0000, 0x1234_5678_9ABC_DEF0, 0xFFFF_8000_0000_1000, 0xFFFF_FFFF_FFFF_FFFF,
                            0x5000_0000_0000, 0x507F_FFFF_F000] {
            var bytes = good
            for (index, byte) in rip.littleEndianBytes.enumerated() { bytes[48 + 16 * 8 + index] = byte }
            #expect(throws: KernelError.badAddress) { try SignalReturn(frame: bytes) }
        }
        var bytes = good
        for (index, byte) in UInt64(0x0000_8000_0000_0000).littleEndianBytes.enumerated() { bytes[48 + 15 * 8 + index] = byte }
        #expect(throws: KernelError.badAddress) { try SignalReturn(frame: bytes) }
    }

    @Test func sigreturnRefusesABadFpuPointerAndAShortFrame() throws {
        var registers = UserRegisters()
        registers.rsp = 0x7000_0000
        let good = Self.frameBytes(try SignalFrame(running: try Self.run(), interrupted: registers, fpuState: Self.fpuImage(0)))
        for pointer: UInt64 in [0x7000_0008, 0xFFFF_8000_0000_0000, 0x7FFF_FFFF_FF00, 0x5000_0000_0000] {
            var bytes = good
            for (index, byte) in pointer.littleEndianBytes.enumerated() { bytes[232 + index] = byte }
            #expect(throws: KernelError.badAddress) { try SignalReturn(frame: bytes) }
        }
        var zero = good
        for index in 232..<240 { zero[index] = 0 }
        expectEqual(try SignalReturn(frame: zero).fpuStateAddress, nil)
        #expect(throws: KernelError.badAddress) { try SignalReturn(frame: Array(good.prefix(439))) }
    }

    @Test func noRestorerOrNoRoomOnTheStackRefusesTheFrame() {
        var registers = UserRegisters()
        registers.rsp = 0x7000_0000
        var noRestorer = Self.action
        noRestorer.flags.remove(.restorer)
        #expect(throws: KernelError.badAddress) {
            try SignalFrame(running: try Self.run(action: noRestorer), interrupted: registers, fpuState: Self.fpuImage(0))
        }
        for rsp: UInt64 in [0, 100, 0x400, 0x5080_0000_0100, 0xFFFF_8000_0000_1000, 0x8000_0000_0000_0000] {
            registers.rsp = rsp
            #expect(throws: KernelError.badAddress) {
                try SignalFrame(running: try Self.run(), interrupted: registers, fpuState: Self.fpuImage(0))
            }
        }
    }

    @Test func theFpuImageLosesReservedMxcsrBits() {
        var image = [UInt8](repeating: 0xAB, count: 512)
        for (index, byte) in UInt32.max.littleEndianBytes.enumerated() { image[24 + index] = byte }
        let clean = FPUStateArea.sanitised(image)
        expectEqual(UInt32(littleEndianBytes: clean, at: 24), 0xFFBF)
        expectEqual(UInt32(littleEndianBytes: FPUStateArea.sanitised(image, mxcsrMask: 0xFFFF), at: 24), 0xFFFF)
        #expect(clean[0] == 0xAB && clean[511] == 0xAB && clean.count == 512)
        expectEqual(FPUStateArea.sanitised([1, 2, 3]).count, 512)
    }
}
