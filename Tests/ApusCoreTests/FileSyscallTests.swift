import ApusCore
import Testing

/// A console whose input and output are arrays.
final class TestConsole: Console {
    var input: [UInt8]
    var output: [UInt8] = []
    var errors: [UInt8] = []
    /// Whether more input may still come (a streamed console); a test console's input has
    /// ended from the start unless a test opens it.
    var inputOpen = false
    let arrival = ConditionVariable("console input arrives or ends")
    /// What `TCSETS` gave last (a canonical terminal's settings until then).
    var terminalSettings = LinuxStructures.canonicalTerminal
    init(input: String = "") { self.input = Array(input.utf8) }

    func setTerminalSettings(_ settings: [UInt8]) { terminalSettings = settings }

    /// An end of file after the pending input that ends one read only (Ctrl-D at a terminal).
    var endOfFileAfterInput = false

    var inputArrival: ConditionVariable? { inputOpen && !(endOfFileAfterInput && input.isEmpty) ? arrival : nil }

    func takeEndOfFile() {
        if input.isEmpty { endOfFileAfterInput = false }
    }

    var pendingInputCount: Int { input.count }

    func readInput(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let count = min(buffer.count, input.count)
        for index in 0..<count { buffer[index] = input[index] }
        input.removeFirst(count)
        return count
    }

    func write(_ bytes: UnsafeRawBufferPointer, to stream: ConsoleStream) {
        switch stream {
        case .output: output += bytes
        case .error: errors += bytes
        }
    }
}

@Suite("File system calls")
struct FileSyscallTests {
    static let badFD: Int64 = -9, invalid: Int64 = -22, badAddress: Int64 = -14

    @Test func openTakesTheLowestFreeDescriptor() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            expectEqual(try harness.open(), 3)
            expectEqual(try harness.open(), 4)
            expectEqual(harness.call(.close, 3), 0)
            expectEqual(try harness.open(), 3)
            expectEqual(harness.call(.close, 0), 0)
            expectEqual(try harness.open(), 0, "stdio descriptors are descriptors like any other")
        }
    }

    @Test func openChecksPathModeAndExistence() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            expectEqual(harness.call(.open, 0, 0), Self.badAddress)
            expectEqual(harness.call(.open, 0xFFFF_8000_0000_0000, 0), Self.badAddress)
            expectEqual(harness.call(.open, ProcessHarnessLayout.readOnly, 0), 3, "a read-only path is fine")
            expectEqual(try harness.open("missing"), -2)
            expectEqual(try harness.open("/hello.txt"), 4)
            expectEqual(try harness.open(mode: 3), Self.invalid)
            expectEqual(try harness.open(mode: UInt64.max), Self.invalid)
            try harness.process.mm.copyOut([0xFF, 0xFE, 0], to: VirtualAddress(ProcessHarnessLayout.buffer))
            expectEqual(harness.call(.open, ProcessHarnessLayout.buffer, 0), Self.invalid, "not UTF-8")
            // A path running into an unmapped page.
            try harness.process.mm.copyOut([UInt8](repeating: 65, count: 16), to: VirtualAddress(ProcessHarnessLayout.buffer + 0x2000 - 16))
            expectEqual(harness.call(.open, ProcessHarnessLayout.buffer + 0x2000 - 16, 0), Self.badAddress)
            expectEqual(harness.process.files.openCount, 5)
        }
    }

    @Test func atMost1024DescriptorsAreOpen() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            for expected in 3..<1024 { expectEqual(try harness.open(), Int64(expected)) }
            expectEqual(try harness.open(), -24)
            var fds: [UInt32] = [0, 0]
            expectEqual(harness.call(.pipe, ProcessHarnessLayout.buffer), -24)
            expectEqual(harness.call(.close, 1023), 0)
            expectEqual(harness.call(.pipe, ProcessHarnessLayout.buffer), -24, "a pipe needs two")
            expectEqual(harness.call(.close, 7), 0)
            expectEqual(harness.call(.pipe, ProcessHarnessLayout.buffer), 0)
            try fds.withUnsafeMutableBytes { try harness.process.mm.copyIn(from: VirtualAddress(ProcessHarnessLayout.buffer), into: $0) }
            expectEqual(fds, [7, 1023])
        }
    }

    @Test func readReturnsWhatIsLeftAndAdvances() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let fd = try harness.open()
            expectEqual(harness.read(fd, count: 5), 5)
            expectEqual(try harness.bytes(count: 5), "Hello")
            expectEqual(harness.call(.tell, 3), 5)
            expectEqual(harness.read(fd, count: 100), 8)
            expectEqual(harness.read(fd, count: 100), 0)
            expectEqual(harness.call(.seek, 3, 1000, 0), 1000)
            expectEqual(harness.read(fd, count: 10), 0)
        }
    }

    @Test func readChecksDescriptorDirectionAndBuffer() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            expectEqual(harness.read(9, count: 1), Self.badFD)
            expectEqual(harness.read(-1, count: 1), Self.badFD)
            expectEqual(harness.read(1, count: 1), Self.invalid)
            expectEqual(harness.read(2, count: 1), Self.invalid)
            let writeOnly = try harness.open(mode: 1)
            expectEqual(harness.read(writeOnly, count: 1), Self.invalid)
            let fd = try harness.open()
            expectEqual(harness.read(fd, count: 0, to: 0), Self.badAddress, "even for zero bytes")
            expectEqual(harness.read(fd, count: 4, to: ProcessHarnessLayout.readOnly), Self.badAddress)
            expectEqual(harness.read(fd, count: 0x2000, to: ProcessHarnessLayout.buffer + 0x10), Self.badAddress)
            expectEqual(harness.call(.tell, UInt64(fd)), 0, "a refused read moves nothing")
        }
    }

    @Test func standardInputGivesWhatIsPendingThenZero() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine, input: "abcdef")
            expectEqual(harness.read(0, count: 4), 4)
            expectEqual(try harness.bytes(count: 4), "abcd")
            expectEqual(harness.read(0, count: 100), 2)
            try harness.process.mm.copyOut(Array("ZZ".utf8), to: VirtualAddress(ProcessHarnessLayout.buffer))
            expectEqual(harness.read(0, count: 2), 0)
            expectEqual(try harness.bytes(count: 2), "ZZ", "untouched at end of input")
        }
    }

    @Test func writeGoesToTheConsoleOrIntoTheFileWhichGrows() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            expectEqual(try harness.write(1, "out"), 3)
            expectEqual(try harness.write(2, "err"), 3)
            expectEqual(harness.console.output, Array("out".utf8))
            expectEqual(harness.console.errors, Array("err".utf8))
            expectEqual(try harness.write(0, "x"), Self.invalid)
            expectEqual(harness.call(.write, 1, 0, 0), Self.badAddress, "even for zero bytes")
            expectEqual(harness.call(.write, 1, ProcessHarnessLayout.readOnly, 0), 0, "a read-only buffer is fine to write from")
            let writer = try harness.open(mode: 2)
            let reader = try harness.open()
            expectEqual(try harness.write(writer, "J"), 1)
            expectEqual(harness.read(reader, count: 5), 5)
            expectEqual(try harness.bytes(count: 5), "Jello", "shared contents")
            expectEqual(harness.call(.seek, UInt64(writer), 11, 0), 11)
            expectEqual(try harness.write(writer, "XYZ"), 3)
            expectEqual(harness.call(.tell, UInt64(writer)), 14)
            expectEqual(harness.call(.seek, UInt64(reader), 0, 2), 14, "the file grew")
            expectEqual(harness.read(Int64(try harness.open()), count: 20), 14)
            expectEqual(try harness.bytes(count: 14), "Jello, fileXYZ", "seen after reopening")
            expectEqual(try harness.write(reader, "x"), Self.invalid)
        }
    }

    @Test func seekAndTellOnlyOnRegularFiles() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let fd = UInt64(try harness.open())
            expectEqual(harness.call(.seek, fd, 4, 0), 4)
            expectEqual(harness.call(.seek, fd, 2, 1), 6)
            expectEqual(harness.call(.seek, fd, UInt64(bitPattern: -3), 2), 10)
            expectEqual(harness.call(.seek, fd, UInt64(bitPattern: -11), 1), Self.invalid)
            expectEqual(harness.call(.tell, fd), 10, "a refused seek moves nothing")
            expectEqual(harness.call(.seek, fd, 0, 3), Self.invalid)
            expectEqual(harness.call(.seek, fd, UInt64(Int64.max), 1), Self.invalid, "overflow")
            for stdio: UInt64 in 0...2 {
                expectEqual(harness.call(.seek, stdio, 0, 0), Self.invalid)
                expectEqual(harness.call(.tell, stdio), Self.invalid)
            }
            expectEqual(harness.call(.seek, 40, 0, 0), Self.badFD)
            expectEqual(harness.call(.tell, 40), Self.badFD)
        }
    }

    @Test func aWritePastTheLargestFileIsNoSpaceAndMovesNothing() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let fd = UInt64(try harness.open(mode: 2))
            #expect(harness.call(.seek, fd, UInt64(Int64.max - 10), 0) == Int64.max - 10)
            expectEqual(try harness.write(Int64(fd), String(repeating: "x", count: 100)), -28)
            #expect(harness.call(.tell, fd) == Int64.max - 10)
            expectEqual(harness.call(.seek, fd, 11, 1), Self.invalid)
            expectEqual(harness.read(Int64(fd), count: 10), 0)
            expectEqual(harness.call(.seek, fd, 0, 2), 13, "the file is as it was")
        }
    }

    @Test func closeOfAnUnknownDescriptorIsBadFileDescriptor() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            expectEqual(harness.call(.close, 3), Self.badFD)
            expectEqual(harness.call(.close, UInt64(bitPattern: -1)), Self.badFD)
            expectEqual(harness.call(.close, 2), 0)
            expectEqual(harness.call(.close, 2), Self.badFD)
        }
    }

    @Test func pipesPassBytesAndBreakWhenAnEndCloses() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            expectEqual(harness.call(.pipe, ProcessHarnessLayout.buffer + 0x100), 0)
            #expect(try harness.bytes(count: 8, at: ProcessHarnessLayout.buffer + 0x100).utf8.elementsEqual([3, 0, 0, 0, 4, 0, 0, 0]))
            expectEqual(try harness.write(4, "hello"), 5)
            expectEqual(harness.read(3, count: 2), 2)
            expectEqual(harness.read(3, count: 100), 3)
            expectEqual(try harness.bytes(count: 3), "llo")
            guard case .pipeReader(let pipe) = try harness.process.files.file(3).kind else { throw KernelError.badFileDescriptor }
            let emptyRead = SyscallArguments(3, ProcessHarnessLayout.buffer, 1)
            let reader = try harness.process.files.file(3)
            expectEqual(harness.process.dispatch(KeOSSyscallNumber.read.rawValue, emptyRead), .waits(pipe.readable, resume: .read(reader, into: VirtualAddress(ProcessHarnessLayout.buffer), count: 1), done: 0),
                        "an empty pipe with a writer waits")
            expectEqual(harness.read(4, count: 1), Self.invalid)
            expectEqual(try harness.write(3, "x"), Self.invalid)
            expectEqual(harness.call(.close, 4), 0)
            expectEqual(harness.read(3, count: 1), -32)
            expectEqual(harness.call(.pipe, ProcessHarnessLayout.buffer + 0x100), 0)
            expectEqual(harness.call(.close, 4), 0)
            expectEqual(try harness.write(5, "x"), -32, "no reader left")
        }
    }

    @Test func pipeWithABadPointerLeaksNoDescriptor() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            for address in [0, ProcessHarnessLayout.readOnly, 0xFFFF_8000_0000_0000, ProcessHarnessLayout.buffer + 0x2000 - 4] {
                expectEqual(harness.call(.pipe, address), Self.badAddress)
            }
            expectEqual(harness.process.files.openCount, 3)
            expectEqual(try harness.open(), 3)
        }
    }

    @Test func mmapTakesRegularFilesOnlyAndOutlivesClose() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let fd = UInt64(try harness.open())
            let mapped = harness.process.dispatch(KeOSSyscallNumber.mmap.rawValue, SyscallArguments(0x3000_0000, 0x1000, 1, fd, 0))
            expectEqual(mapped, .returns(0x3000_0000))
            expectEqual(harness.call(.close, fd), 0)
            expectEqual(try harness.bytes(count: 13, at: 0x3000_0000), "Hello, file!\n")
            expectEqual(harness.process.dispatch(KeOSSyscallNumber.mmap.rawValue, SyscallArguments(0x3100_0000, 0x1000, 1, 0, 0)), .returns(Self.invalid))
            expectEqual(harness.process.dispatch(KeOSSyscallNumber.mmap.rawValue, SyscallArguments(0x3100_0000, 0x1000, 1, 9, 0)), .returns(Self.badFD))
        }
    }

    @Test func getphysGivesTheFrameOrTheLeafFlags() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let entry = try harness.process.mm.pageTable.walk(VirtualAddress(ProcessHarnessLayout.buffer))
            expectEqual(harness.call(.getphys, ProcessHarnessLayout.buffer + 0x123, 0), Int64(entry.frame.raw | 0x123))
            expectEqual(harness.call(.getphys, ProcessHarnessLayout.buffer, 1), Int64(bitPattern: entry.flags.rawValue))
            expectEqual(harness.call(.getphys, 0x7000_0000, 0), Self.invalid)
            expectEqual(harness.call(.getphys, 0x8000_0000_0000, 0), Self.invalid)
        }
    }

    @Test func unknownNumbersAreNoSuchSyscall() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            for number: UInt64 in [21, 99, 0x80, 0x82, UInt64.max] {
                expectEqual(harness.process.dispatch(number, SyscallArguments()), .returns(-38))
            }
            expectEqual(harness.process.dispatch(0, SyscallArguments(UInt64(bitPattern: -1))), .exit(-1))
        }
    }
}
