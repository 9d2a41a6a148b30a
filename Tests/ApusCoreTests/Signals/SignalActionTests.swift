import ApusCore
import Testing

/// `struct kernel_sigaction` as `rt_sigaction` passes it, and the rules of `rt_sigaction`.
@Suite("Signals: rt_sigaction")
struct SignalActionTests {
    static func kernelSigaction(handler: UInt64, flags: UInt64, restorer: UInt64, mask: UInt64) -> [UInt8] {
        handler.littleEndianBytes + flags.littleEndianBytes + restorer.littleEndianBytes + mask.littleEndianBytes
    }

    @Test func decodesHandlerFlagsRestorerAndMaskInKernelOrder() throws {
        let bytes = Self.kernelSigaction(handler: 0x40_1234, flags: 0x1400_0004, restorer: 0x40_5678, mask: 1 << 1 | 1 << 14)
        let action = try SignalAction(kernelSigaction: bytes, sigsetSize: 8)
        expectEqual(action.handler, .function(0x40_1234))
        expectEqual(action.flags, [.siginfo, .restorer, .restart])
        expectEqual(action.restorer, 0x40_5678)
        expectEqual(action.mask, SignalSet([.interrupt, .terminate]))
        expectEqual(action.kernelSigaction, bytes)
    }

    @Test func handlerZeroIsDefaultAndOneIsIgnore() throws {
        expectEqual(try SignalAction(kernelSigaction: Self.kernelSigaction(handler: 0, flags: 0, restorer: 0, mask: 0), sigsetSize: 8).handler, .default)
        expectEqual(try SignalAction(kernelSigaction: Self.kernelSigaction(handler: 1, flags: 0, restorer: 0, mask: 0), sigsetSize: 8).handler, .ignore)
    }

    @Test func everyKnownFlagIsKeptAndUnknownBitsAreDropped() throws {
        let known: UInt64 = 0x1 | 0x2 | 0x4 | 0x0400_0000 | 0x0800_0000 | 0x1000_0000 | 0x4000_0000 | 0x8000_0000
        let action = try SignalAction(kernelSigaction: Self.kernelSigaction(handler: 5, flags: ~0, restorer: 0, mask: 0), sigsetSize: 8)
        expectEqual(action.flags.rawValue, known)
        #expect(action.flags.contains([.siginfo, .restorer, .restart, .noDefer, .resetHand, .onStack]))
    }

    @Test func killAndStopAreDroppedFromAnActionsMask() throws {
        let action = try SignalAction(kernelSigaction: Self.kernelSigaction(handler: 5, flags: 0, restorer: 0, mask: ~0), sigsetSize: 8)
        expectEqual(action.mask, SignalSet.all.blockable)
    }

    @Test func aSigsetSizeOtherThanEightIsInvalid() {
        let bytes = Self.kernelSigaction(handler: 5, flags: 0, restorer: 0, mask: 0)
        for size: UInt64 in [0, 4, 16, 128] {
            #expect(throws: KernelError.invalidArgument) { try SignalAction(kernelSigaction: bytes, sigsetSize: size) }
        }
    }

    @Test func aShortStructIsABadAddress() {
        #expect(throws: KernelError.badAddress) { try SignalAction(kernelSigaction: [UInt8](repeating: 0, count: 31), sigsetSize: 8) }
    }

    @Test func setReturnsTheOldActionAndReadingChangesNothing() throws {
        var state = SignalState(mainThread: 1)
        let handler = SignalAction(handler: .function(0x40_1000), flags: [.restorer], restorer: 0x40_2000)
        expectEqual(try state.changeAction(2, to: handler), .default)
        expectEqual(try state.changeAction(2, to: nil), handler)
        expectEqual(try state.changeAction(2, to: .ignore), handler)
        expectEqual(state.action(for: .interrupt), .ignore)
    }

    @Test func killAndStopRefuseEveryNewActionButCanBeRead() throws {
        var state = SignalState(mainThread: 1)
        for number: Int64 in [9, 19] {
            for action in [SignalAction.default, .ignore, SignalAction(handler: .function(0x40_1000))] {
                #expect(throws: KernelError.invalidArgument) { try state.changeAction(number, to: action) }
            }
            expectEqual(try state.changeAction(number, to: nil), .default)
        }
        expectEqual(state, SignalState(mainThread: 1))
    }

    @Test func signalNumbersOutOfRangeAreInvalidAndChangeNothing() {
        var state = SignalState(mainThread: 1)
        for number: Int64 in [0, -3, 65, 1 << 40] {
            #expect(throws: KernelError.invalidArgument) { try state.changeAction(number, to: .ignore) }
            #expect(throws: KernelError.invalidArgument) { try state.changeAction(number, to: nil) }
        }
        expectEqual(state, SignalState(mainThread: 1))
    }

    @Test func ignoringASignalDiscardsItWherePending() throws {
        var state = SignalState(mainThread: 1)
        state.addThread(2, createdBy: 1)
        _ = try state.changeMask(of: 1, how: 0, set: SignalSet([.user1]))
        _ = try state.changeMask(of: 2, how: 0, set: SignalSet([.user1]))
        _ = state.post(.sent(.user1, byProcess: 7))
        _ = state.post(.sent(.user1, byProcess: 7), toThread: 2)
        #expect(state.sharedPending.set.contains(.user1) && state.signals(of: 2)!.pending.set.contains(.user1))
        _ = try state.changeAction(10, to: .ignore)
        #expect(state.sharedPending.set.isEmpty && state.signals(of: 2)!.pending.set.isEmpty)
    }

    @Test func defaultForADefaultIgnoredSignalDiscardsItToo() throws {
        var state = SignalState(mainThread: 1)
        _ = try state.changeAction(17, to: SignalAction(handler: .function(0x40_1000)))
        _ = try state.changeMask(of: 1, how: 0, set: SignalSet([.child]))
        _ = state.post(.childChanged(pid: 5, status: .exited(0)))
        _ = try state.changeAction(17, to: .default)
        #expect(state.sharedPending.set.isEmpty)
    }

    @Test func anActionStoredWithKillInItsMaskLeavesItOut() throws {
        var state = SignalState(mainThread: 1)
        _ = try state.changeAction(2, to: SignalAction(handler: .function(0x40_1000), mask: .all))
        expectEqual(state.action(for: .interrupt).mask, SignalSet.all.blockable)
    }
}
