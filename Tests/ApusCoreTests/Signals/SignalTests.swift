import ApusCore
import Testing

/// Signal numbers, names, sets as `sigset_t`, and signal(7)'s table of default actions.
@Suite("Signals: numbers, sets, default actions")
struct SignalTests {
    @Test func signalsAreNumberedOneToSixtyFour() {
        expectEqual(Signal(number: 0), nil)
        expectEqual(Signal(number: 65), nil)
        expectEqual(Signal(number: 1), .hangUp)
        expectEqual(Signal(number: 64)?.isRealTime, true)
        #expect(Signal.child.number == 17 && Signal.segmentationFault.number == 11 && Signal.stop.number == 19)
    }

    @Test func aSyscallArgumentOutsideTheRangeIsInvalid() throws {
        for raw: Int64 in [0, -1, 65, Int64.max, Int64.min] {
            #expect(throws: KernelError.invalidArgument) { try Signal.decoded(raw) }
        }
        expectEqual(try Signal.decoded(9), .kill)
    }

    @Test func standardSignalsHaveTheirLinuxNames() {
        expectEqual(Signal.interrupt.description, "SIGINT")
        expectEqual(Signal.badSystemCall.description, "SIGSYS")
        expectEqual(Signal.child.description, "SIGCHLD")
        expectEqual(Signal(number: 34)!.description, "SIGRT34")
    }

    @Test func onlyKillAndStopCannotBeCaught() {
        for number in Signal.numbers {
            let signal = Signal(number: number)!
            expectEqual(signal.isCatchable, (number != 9 && number != 19))
        }
    }

    @Test func aSetIsASixtyFourBitMaskWithSignalNAtBitNMinusOne() {
        let set = SignalSet([.hangUp, .child, Signal(number: 64)!])
        #expect(set.bits == UInt64(1) | 1 << 16 | 1 << 63)
        #expect(set.bytes == set.bits.littleEndianBytes && set.bytes.count == 8)
        expectEqual(SignalSet(bytes: set.bytes), set)
        expectEqual(set.lowest, .hangUp)
        expectEqual(set.signals, [.hangUp, .child, Signal(number: 64)!])
        expectEqual(set.description, "{SIGHUP, SIGCHLD, SIGRT64}")
        expectEqual(SignalSet.all.blockable.contains(.kill), false)
        expectEqual(SignalSet.all.blockable.contains(.stop), false)
        expectEqual(SignalSet.empty.lowest, nil)
    }

    @Test func onlyAnEightByteSigsetSizeIsAccepted() throws {
        try SignalSet.checkSize(8)
        for size: UInt64 in [0, 4, 7, 16, 128, UInt64.max] {
            #expect(throws: KernelError.invalidArgument) { try SignalSet.checkSize(size) }
        }
    }

    @Test func defaultActionsFollowTheSignalManualPage() {
        let table: [(Int, DefaultAction)] = [
            (1, .terminate), (2, .terminate), (3, .terminateWithCore), (4, .terminateWithCore), (5, .terminateWithCore),
            (6, .terminateWithCore), (7, .terminateWithCore), (8, .terminateWithCore), (9, .terminate), (10, .terminate),
            (11, .terminateWithCore), (12, .terminate), (13, .terminate), (14, .terminate), (15, .terminate), (16, .terminate),
            (17, .ignore), (18, .continue), (19, .stop), (20, .stop), (21, .stop), (22, .stop), (23, .ignore),
            (24, .terminateWithCore), (25, .terminateWithCore), (26, .terminate), (27, .terminate), (28, .ignore),
            (29, .terminate), (30, .terminate), (31, .terminateWithCore),
        ]
        for (number, action) in table { expectEqual(Signal(number: number)!.defaultAction, action, "signal \(number)") }
        for number in 32...64 { expectEqual(Signal(number: number)!.defaultAction, .terminate) }
        expectEqual(SignalSet.stops, SignalSet([.stop, .terminalStop, .terminalInput, .terminalOutput]))
    }
}
