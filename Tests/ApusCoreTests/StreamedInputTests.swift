import Testing
@testable import ApusCore

/// Standard input that arrives while the program runs (ABI.md §5: console input waits like
/// a pipe): what a read does with input pending, with none pending yet, and once it ended.
@Suite("Streamed standard input")
struct StreamedInputTests {
    static let badAddress: Int64 = -14, invalid: Int64 = -22, badFD: Int64 = -9

    /// Makes `read(0, buffer, count)` and returns what the dispatcher decided.
    func readOutcome(_ harness: ProcessHarness<EagerPager>, count: UInt64, to address: UInt64 = ProcessHarnessLayout.buffer) -> SyscallOutcome<HostMemory> {
        harness.process.dispatch(KeOSSyscallNumber.read.rawValue, SyscallArguments(0, address, count))
    }

    @Test func aReadOfAnEmptyOpenInputWaitsOnTheConsoleQueue() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            harness.console.inputOpen = true
            let rest = WaitingCall<HostMemory>.read(try harness.process.files.file(0), into: VirtualAddress(ProcessHarnessLayout.buffer), count: 10)
            expectEqual(readOutcome(harness, count: 10), .waits(harness.console.arrival, resume: rest, done: 0))
            // Input arrives: the call goes on and takes it.
            harness.console.input = Array("typed\n".utf8)
            expectEqual(harness.process.resume(rest), .returns(6))
            expectEqual(try harness.bytes(count: 6), "typed\n")
        }
    }

    @Test func pendingInputIsReadWithoutWaitingEvenWhileMoreMayCome() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine, input: "abc")
            harness.console.inputOpen = true
            expectEqual(readOutcome(harness, count: 2), .returns(2))
            expectEqual(readOutcome(harness, count: 100), .returns(1), "what is pending, not what was asked")
        }
    }

    @Test func aReadOfZeroBytesNeverWaits() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            harness.console.inputOpen = true
            expectEqual(readOutcome(harness, count: 0), .returns(0))
        }
    }

    @Test func onceTheInputEndedAnEmptyReadReturnsZeroAndLeavesTheBuffer() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine, input: "x")
            harness.console.inputOpen = true
            expectEqual(readOutcome(harness, count: 8), .returns(1))
            harness.console.inputOpen = false // Ctrl-D, the end of the file
            try harness.process.mm.copyOut(Array("ZZ".utf8), to: VirtualAddress(ProcessHarnessLayout.buffer))
            expectEqual(readOutcome(harness, count: 8), .returns(0))
            expectEqual(readOutcome(harness, count: 8), .returns(0), "every time")
            expectEqual(try harness.bytes(count: 2), "ZZ")
        }
    }

    @Test func anEndOfFileThatEndsOneReadIsUsedUpAndTheInputGoesOn() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine, input: "x")
            harness.console.inputOpen = true
            harness.console.endOfFileAfterInput = true // Ctrl-D at a terminal a Linux shell reads
            expectEqual(readOutcome(harness, count: 8), .returns(1), "the bytes before it first")
            expectEqual(readOutcome(harness, count: 0), .returns(0))
            #expect(harness.console.endOfFileAfterInput, "a read of nothing leaves it")
            expectEqual(readOutcome(harness, count: 8), .returns(0), "then one read returns 0")
            #expect(!harness.console.endOfFileAfterInput)
            guard case .waits(let condition, let rest, _) = readOutcome(harness, count: 8) else {
                Issue.record("the next read waits for more input")
                return
            }
            #expect(condition === harness.console.arrival)
            harness.console.input = Array("y".utf8)
            expectEqual(harness.process.resume(rest), .returns(1))
        }
    }

    @Test func aBadBufferIsRefusedBeforeAnyWait() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            harness.console.inputOpen = true
            expectEqual(readOutcome(harness, count: 1, to: 0), .returns(Self.badAddress))
            expectEqual(readOutcome(harness, count: 0, to: 0), .returns(Self.badAddress), "even for zero bytes")
            expectEqual(readOutcome(harness, count: 1, to: 0xFFFF_8000_0000_0000), .returns(Self.badAddress))
            expectEqual(readOutcome(harness, count: 4, to: ProcessHarnessLayout.readOnly), .returns(Self.badAddress))
            expectEqual(readOutcome(harness, count: UInt64.max, to: ProcessHarnessLayout.buffer), .returns(Self.badAddress),
                        "a count past the mapping")
            #expect(harness.console.arrival.waiters.isEmpty)
        }
    }

    @Test func aBufferThatFailsHalfWayConsumesNoInput() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine, input: "0123456789")
            harness.console.inputOpen = true
            // Two pages are mapped; a read that crosses their end is refused whole.
            expectEqual(readOutcome(harness, count: 8, to: ProcessHarnessLayout.buffer + 0x2000 - 4), .returns(Self.badAddress))
            expectEqual(harness.console.pendingInputCount, 10)
        }
    }

    @Test func standardInputClosedOrWrittenIsRefused() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            harness.console.inputOpen = true
            expectEqual(harness.call(.write, 0, ProcessHarnessLayout.buffer, 1), Self.invalid)
            expectEqual(harness.call(.close, 0), 0)
            expectEqual(readOutcome(harness, count: 1), .returns(Self.badFD))
        }
    }
}
