import ApusCore
import Testing

/// Which signal a fault gives a Linux program (``FaultSignal``), and how a fault signal is
/// posted and delivered: forced when blocked or ignored, first among the pending ones, its
/// vector, error code and address in the frame's sigcontext.
@Suite("Signals: faults")
struct FaultSignalTests {
    static let rip: UInt64 = 0x40_1234

    @Test(arguments: [
        (FaultSignal.divideError, Signal.floatingPointException, Int32(1), rip),
        (FaultSignal.invalidOpcode, .illegalInstruction, 2, rip),
        (FaultSignal.breakpoint, .trap, 0x80, 0),
        (FaultSignal.generalProtection, .segmentationFault, 0x80, 0),
        (FaultSignal.invalidTSS, .segmentationFault, 0x80, 0),
        (FaultSignal.overflow, .segmentationFault, 0x80, 0),
        (FaultSignal.boundRange, .segmentationFault, 0x80, 0),
        (FaultSignal.segmentNotPresent, .busError, 0x80, 0),
        (FaultSignal.stackSegment, .busError, 0x80, 0),
        (FaultSignal.alignmentCheck, .busError, 1, 0),
    ])
    func anExceptionGivesLinuxsSignalCodeAndAddress(vector: UInt64, signal: Signal, code: Int32, address: UInt64) throws {
        let fault = try #require(FaultSignal.exception(vector, errorCode: 0x18, instruction: Self.rip))
        expectEqual(fault.info, .fault(signal, code: code, address: address))
        expectEqual(fault.context, SignalFrame.Fault(vector: vector, errorCode: 0x18, address: 0))
        expectEqual(fault.resumeOffset, 0)
        let bytes = fault.info.bytes
        #expect(Int32(littleEndianBytes: bytes, at: 0) == Int32(signal.number) && Int32(littleEndianBytes: bytes, at: 8) == code)
        expectEqual(UInt64(littleEndianBytes: bytes, at: 16), address)
    }

    @Test func exceptionsLinuxGivesNoProgramHaveNoSignal() {
        for vector: UInt64 in [1, 2, 7, 8, 9, 14, 15, 18, 20, 21, 31, 32, 255] {
            expectEqual(FaultSignal.exception(vector, errorCode: 0, instruction: Self.rip), nil, "vector \(vector)")
        }
    }

    @Test func int3ThroughTheClosedBreakpointGateIsATrapAfterTheInstruction() throws {
        let gate = FaultSignal.closedBreakpointGate
        expectEqual(gate, 0x32)
        let int3 = try #require(FaultSignal.exception(FaultSignal.generalProtection, errorCode: gate, instruction: Self.rip, opcode: 0xCC))
        expectEqual(int3.info, .fault(.trap, code: SignalInfo.codeKernel, address: 0))
        expectEqual(int3.context, SignalFrame.Fault(vector: FaultSignal.breakpoint, errorCode: 0, address: 0))
        expectEqual(int3.resumeOffset, 1)
        let intN = try #require(FaultSignal.exception(FaultSignal.generalProtection, errorCode: gate, instruction: Self.rip, opcode: 0xCD))
        #expect(intN.info.signal == .trap && intN.resumeOffset == 2)
        for opcode: UInt8? in [nil, 0x90, 0x0F] {
            let other = try #require(FaultSignal.exception(FaultSignal.generalProtection, errorCode: gate, instruction: Self.rip, opcode: opcode))
            #expect(other.info.signal == .segmentationFault && other.resumeOffset == 0)
        }
        let int80 = try #require(FaultSignal.exception(FaultSignal.generalProtection, errorCode: 0x80 << 4 | 2, instruction: Self.rip, opcode: 0xCD))
        expectEqual(int80.info, .fault(.segmentationFault, code: SignalInfo.codeKernel, address: 0))
    }

    /// An FXSAVE image with x87 control and status words `control`, `status` and `mxcsr`.
    static func fpuImage(control: UInt16 = 0x37F, status: UInt16 = 0, mxcsr: UInt32 = 0x1F80) -> [UInt8] {
        var image = [UInt8](repeating: 0, count: FPUStateArea.size)
        image.replaceSubrange(0..<2, with: control.littleEndianBytes)
        image.replaceSubrange(2..<4, with: status.littleEndianBytes)
        image.replaceSubrange(24..<28, with: mxcsr.littleEndianBytes)
        return image
    }

    @Test func aFloatingPointExceptionIsSIGFPEWithTheCodeOfTheExceptionTheProgramUnmasked() throws {
        // MXCSR: flags in bits 0–5, masks in bits 7–12; the first unmasked raised flag names the code.
        let simd: [(UInt32, Int32)] = [(0x1F80 & ~0x80 | 0x01, 7), (0x1F80 & ~0x200 | 0x04, 3), (0x1F80 & ~0x400 | 0x08, 4),
                                       (0x1F80 & ~0x800 | 0x10, 5), (0x1F80 & ~0x100 | 0x02, 5), (0x1F80 & ~0x1000 | 0x20, 6),
                                       (0x1F80 & ~0x280 | 0x05, 7)]
        for (mxcsr, code) in simd {
            let fault = try #require(FaultSignal.floatingPoint(FaultSignal.simdFloatingPoint, instruction: Self.rip, fpuState: Self.fpuImage(mxcsr: mxcsr)))
            expectEqual(fault.info, .fault(.floatingPointException, code: code, address: Self.rip), "MXCSR \(mxcsr)")
            expectEqual(fault.context, SignalFrame.Fault(vector: 19, errorCode: 0, address: 0))
        }
        expectEqual(FaultSignal.floatingPoint(19, instruction: Self.rip, fpuState: Self.fpuImage(mxcsr: 0x1F80 | 0x3F)), nil, "every flag masked")
        let x87 = try #require(FaultSignal.floatingPoint(FaultSignal.x87FloatingPoint, instruction: Self.rip,
                                                         fpuState: Self.fpuImage(control: 0x37F & ~0x04, status: 0x04)))
        #expect(x87.info.code == FaultSignal.floatDivide && x87.context.vector == 16)
        expectEqual(FaultSignal.floatingPoint(16, instruction: Self.rip, fpuState: Self.fpuImage(status: 0x04)), nil)
        expectEqual(FaultSignal.floatingPoint(19, instruction: Self.rip, fpuState: [0, 1]), nil, "a short image")
    }

    @Test func aRefusedPageAccessIsMapErrOutsideEveryRegionAndAccErrInsideOne() {
        let address: UInt64 = 0x1000_0123
        let causes: [FaultCause] = [.notPresent, .writeToReadOnly, .executeNonExecutable,
                                    .unservable(PageFaultErrorCode(rawValue: 0x0D)), .repeated(PageFaultErrorCode(rawValue: 7))]
        for cause in causes {
            expectEqual(FaultSignal.pageFault(cause, at: address, inRegion: false, errorCode: 4).info, .fault(.segmentationFault, code: 1, address: address))
            expectEqual(FaultSignal.pageFault(cause, at: address, inRegion: true, errorCode: 7).info, .fault(.segmentationFault, code: 2, address: address))
        }
        let unreadable = FaultSignal.pageFault(.unreadableFile, at: address, inRegion: true, errorCode: 4)
        expectEqual(unreadable.info, .fault(.busError, code: 2, address: address))
        let context = FaultSignal.pageFault(.notPresent, at: address, inRegion: false, errorCode: 2).context
        expectEqual(context, SignalFrame.Fault(vector: 14, errorCode: 6, address: address), "err gets the user bit")
    }

    // MARK: Posting and delivering

    static let handler = SignalAction(handler: .function(0x40_1000), flags: [.restorer, .siginfo], restorer: 0x40_2000)

    @Test func aHandledFaultRunsItsHandlerWithTheFaultsSiginfo() throws {
        var state = SignalState(mainThread: 1)
        _ = try state.changeAction(11, to: Self.handler)
        let fault = FaultSignal.pageFault(.notPresent, at: 0x10000, inRegion: false, errorCode: 4)
        expectEqual(state.postFault(fault, toThread: 1).wake, 1)
        guard case let .handler(run) = state.nextDelivery(for: 1) else { Issue.record("no handler"); return }
        #expect(run.info == fault.info && run.maskDuringHandler.contains(.segmentationFault))
        expectEqual(state.signals(of: 1)?.lastFault, fault.context)
    }

    @Test func aBlockedOrIgnoredFaultSignalKillsWithItsDefault() throws {
        for ignored in [false, true] {
            var state = SignalState(mainThread: 1)
            _ = try state.changeAction(8, to: ignored ? .ignore : Self.handler)
            if !ignored { _ = try state.changeMask(of: 1, how: 0, set: SignalSet([.floatingPointException])) }
            _ = state.postFault(try #require(FaultSignal.exception(0, errorCode: 0, instruction: Self.rip)), toThread: 1)
            expectEqual(state.action(for: .floatingPointException), .default)
            expectEqual(state.nextDelivery(for: 1), .terminate(.floatingPointException, withCore: true))
        }
    }

    @Test func aFaultIsDeliveredBeforeLowerPendingSignals() throws {
        var state = SignalState(mainThread: 1)
        for number: Int64 in [2, 5, 10, 11] { _ = try state.changeAction(number, to: Self.handler) }
        _ = state.post(.sent(.interrupt, byProcess: 5))
        _ = state.post(.sent(.user1, byProcess: 5), toThread: 1)
        _ = state.postFault(FaultSignal.pageFault(.notPresent, at: 0x10, inRegion: false, errorCode: 4), toThread: 1)
        guard case let .handler(fault) = state.nextDelivery(for: 1) else { Issue.record("no handler"); return }
        #expect(fault.signal == .segmentationFault && fault.info.code == SignalInfo.codeSegvMapping)
        state.restoreMask(of: 1, to: .empty)
        guard case let .handler(next) = state.nextDelivery(for: 1) else { Issue.record("no handler"); return }
        expectEqual(next.signal, .interrupt, "then the lowest number")
        state.restoreMask(of: 1, to: .empty)
        _ = state.postFault(try #require(FaultSignal.exception(3, errorCode: 0, instruction: Self.rip)), toThread: 1)
        guard case let .handler(trap) = state.nextDelivery(for: 1) else { Issue.record("no handler"); return }
        expectEqual(trap.signal, .trap, "SIGTRAP from int3 comes before the pending SIGUSR1")

        var sent = SignalState(mainThread: 1)
        for number: Int64 in [10, 11] { _ = try sent.changeAction(number, to: Self.handler) }
        _ = sent.post(.sent(.user1, byProcess: 5), toThread: 1)
        _ = sent.post(.sent(.segmentationFault, byProcess: 5, toThread: true), toThread: 1)
        guard case let .handler(first) = sent.nextDelivery(for: 1) else { Issue.record("no handler"); return }
        expectEqual(first.signal, .user1, "a SIGSEGV another process sent is no fault")
    }

    @Test func theSigcontextKeepsTheLastPageFaultsAddressAcrossOtherFaults() throws {
        var state = SignalState(mainThread: 1)
        _ = try state.changeAction(11, to: Self.handler)
        _ = state.postFault(FaultSignal.pageFault(.notPresent, at: 0xDEAD_0000, inRegion: false, errorCode: 6), toThread: 1)
        _ = state.postFault(try #require(FaultSignal.exception(13, errorCode: 0x10, instruction: Self.rip)), toThread: 1)
        expectEqual(state.signals(of: 1)?.lastFault, SignalFrame.Fault(vector: 13, errorCode: 0x10, address: 0xDEAD_0000))
        _ = state.postFault(FaultSignal.pageFault(.notPresent, at: 0x10, inRegion: false, errorCode: 4), toThread: 9)
        expectEqual(state.signals(of: 9), nil)
    }

    @Test func aThreadKillIsSITKILL() {
        expectEqual(SignalInfo.sent(.user1, byProcess: 3, toThread: true).code, SignalInfo.codeThreadKill)
        expectEqual(SignalInfo.sent(.user1, byProcess: 3).code, SignalInfo.codeUser)
    }
}
