import ApusCore
import Testing

/// System calls that take something (console input, pipe bytes, descriptors) and hand it to
/// the program must not take it and then fail to hand it over: every page of the user
/// buffer is made ready first, so a copy that fails half way (no frame left for a page not
/// yet present) fails before anything is consumed.
@Suite("System calls copy before they consume")
struct CopyBeforeConsumeTests {
    /// A harness whose buffer pages are faulted in by the ``LazyPager``; its first page is
    /// touched, the second is not, and no frame is left for it.
    static func harnessWithAnAbsentSecondPage(_ machine: TestMachine, input: String = "") throws -> ProcessHarness<LazyPager> {
        let harness = try ProcessHarness(machine, input: input, pager: LazyPager())
        try writeUser(&harness.process.mm, [0], at: ProcessHarnessLayout.buffer)
        machine.frames.failAllocation(after: 0)
        return harness
    }

    @Test func aStandardInputReadThatCannotFaultItsBufferInConsumesNoInput() throws {
        try withMachine { machine in
            let harness = try Self.harnessWithAnAbsentSecondPage(machine, input: "0123456789")
            let straddling = ProcessHarnessLayout.buffer + 0x1000 - 4
            expectEqual(harness.read(0, count: 10, to: straddling), -12)
            machine.frames.cancelInjectedFailure()
            expectEqual(harness.console.input, Array("0123456789".utf8), "nothing was taken from the input")
            expectEqual(harness.read(0, count: 10, to: straddling), 10)
            expectEqual(try harness.bytes(count: 10, at: straddling), "0123456789")
        }
    }

    @Test func aReadOfStandardInputFaultsInOnlyThePagesItFills() throws {
        try withMachine { machine in
            let harness = try Self.harnessWithAnAbsentSecondPage(machine, input: "abc")
            // 8 KiB asked, 3 bytes pending: the absent second page is never needed.
            expectEqual(harness.read(0, count: 0x2000), 3)
            machine.frames.cancelInjectedFailure()
            expectEqual(try harness.bytes(count: 3), "abc")
        }
    }

    @Test func aPipeReadThatCannotFaultItsBufferInLeavesTheBytesInThePipe() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine, pager: LazyPager())
            try writeUser(&harness.process.mm, [0], at: ProcessHarnessLayout.buffer)
            expectEqual(harness.call(.pipe, ProcessHarnessLayout.buffer + 0x800), 0)
            // Written from the first page, so that the buffer's second page stays absent.
            try writeUser(&harness.process.mm, Array("through the pipe".utf8), at: ProcessHarnessLayout.buffer + 0x100)
            expectEqual(harness.call(.write, 4, ProcessHarnessLayout.buffer + 0x100, 16), 16)
            machine.frames.failAllocation(after: 0)
            let straddling = ProcessHarnessLayout.buffer + 0x1000 - 4
            expectEqual(harness.read(3, count: 16, to: straddling), -12)
            machine.frames.cancelInjectedFailure()
            expectEqual(harness.read(3, count: 16, to: straddling), 16, "every byte is still there")
            expectEqual(try harness.bytes(count: 16, at: straddling), "through the pipe")
        }
    }

    @Test func aPipeWriteFromABufferThatCannotBeFaultedInPutsNothingInThePipe() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine, pager: LazyPager())
            try writeUser(&harness.process.mm, [0], at: ProcessHarnessLayout.buffer)
            expectEqual(harness.call(.pipe, ProcessHarnessLayout.buffer + 0x800), 0)
            machine.frames.failAllocation(after: 0)
            expectEqual(harness.call(.write, 4, ProcessHarnessLayout.buffer + 0xFF0, 0x20), -12)
            machine.frames.cancelInjectedFailure()
            guard case .pipeReader(let pipe) = try harness.process.files.file(3).kind else {
                Issue.record("descriptor 3 is not the pipe's read end")
                return
            }
            expectEqual(pipe.available, 0, "no byte of the failed write went in")
        }
    }

    @Test func aPipeWhoseDescriptorsCannotBeWrittenInstallsNone() throws {
        try withMachine { machine in
            let harness = try Self.harnessWithAnAbsentSecondPage(machine)
            let before = harness.process.files.openCount
            expectEqual(harness.call(.pipe, ProcessHarnessLayout.buffer + 0x1000 - 4), -12)
            expectEqual(harness.process.files.openCount, before, "no descriptor leaked")
            machine.frames.cancelInjectedFailure()
            expectEqual(harness.call(.pipe, ProcessHarnessLayout.buffer + 0x1000 - 4), 0)
            expectEqual(try userBytes(&harness.process.mm, at: ProcessHarnessLayout.buffer + 0x1000 - 4, count: 8), [3, 0, 0, 0, 4, 0, 0, 0])
        }
    }

    @Test func aWriteThatCannotFaultInItsWholeBufferGivesBackThePagesItFilled() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine, pager: LazyPager())
            // Two more pages beside the buffer, in the same page table; the buffer's first page
            // is touched, so that no table is missing when the write faults the others in.
            let pages = VirtualRange(start: VirtualAddress(ProcessHarnessLayout.buffer + 0x2000), end: VirtualAddress(ProcessHarnessLayout.buffer + 0x4000))
            try harness.process.mm.addRegion(pages, permission: [.read, .write], backing: .anonymous)
            try writeUser(&harness.process.mm, [0], at: ProcessHarnessLayout.buffer)
            let free = machine.frames.freeCount
            machine.frames.failAllocation(after: 1) // the first page gets a frame, the second none
            expectEqual(harness.call(.write, 1, ProcessHarnessLayout.buffer + 0x2000, 0x2000), -12)
            machine.frames.cancelInjectedFailure()
            expectEqual(machine.frames.freeCount, free, "the page the failed write filled went back")
            expectEqual((try? harness.process.mm.pageTable.walk(pages.start)), nil, "and is absent again")
            expectEqual(harness.call(.write, 1, ProcessHarnessLayout.buffer + 0x2000, 0x2000), 0x2000)
        }
    }

    @Test func aFailedWriteGivesBackFilledPagesThatLieApartAndKeepsThoseThatWereThere() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine, pager: LazyPager())
            let base = ProcessHarnessLayout.buffer + 0x2000
            try harness.process.mm.addRegion(VirtualRange(start: VirtualAddress(base), end: VirtualAddress(base + 0x4000)),
                                                 permission: [.read, .write], backing: .anonymous)
            try writeUser(&harness.process.mm, [7], at: base + 0x1000) // the second page is there
            let free = machine.frames.freeCount
            machine.frames.failAllocation(after: 2) // the first and third get frames, the fourth none
            expectEqual(harness.call(.write, 1, base, 0x4000), -12)
            machine.frames.cancelInjectedFailure()
            expectEqual(machine.frames.freeCount, free)
            expectEqual((try? harness.process.mm.pageTable.walk(VirtualAddress(base))), nil)
            expectEqual((try? harness.process.mm.pageTable.walk(VirtualAddress(base + 0x2000))), nil)
            expectEqual(try userBytes(&harness.process.mm, at: base + 0x1000, count: 1), [7], "the page that was there stays")
        }
    }

    @Test func pipeTakesTheTwoLowestFreeDescriptors() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            expectEqual(harness.call(.close, 1), 0)
            expectEqual(harness.call(.pipe, ProcessHarnessLayout.buffer), 0)
            expectEqual(try userBytes(&harness.process.mm, at: ProcessHarnessLayout.buffer, count: 8), [1, 0, 0, 0, 3, 0, 0, 0])
            expectEqual(harness.process.files.lowestFreeDescriptors(3), [4, 5, 6])
        }
    }
}
