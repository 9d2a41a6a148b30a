import ApusCore
import Testing

/// The limits a Linux program meets as Linux programs meet them (ABI.md §7): a fork at the
/// process table's limit is EAGAIN (a shell's "can't fork: Resource temporarily
/// unavailable"), `prlimit64` reports the limits the kernel enforces, and a Linux program's
/// strings may fill its own start-up stack's space, past KeOS's, with E2BIG beyond it.
@Suite("Linux limits")
struct LinuxLimitTests {
    typealias Table = ProcessTable<ProcessID>

    @Test func aForkRefusedAtTheProcessLimitIsTryAgainAndOneRefusedForMemoryIsNoMemory() throws {
        var table = Table()
        table.startFirst(Table.firstProcessID)
        for _ in 1..<Table.processLimit { _ = try table.fork(from: 1) { id in id } }
        var refusal: KernelError?
        do throws(KernelError) { _ = try table.fork(from: 1) { id in id } } catch { refusal = error }
        let error = try #require(refusal)
        expectEqual(LinuxSyscalls.forkRefusal(error, atProcessLimit: !table.hasRoomForProcess), .tryAgain)
        expectEqual(LinuxSyscalls.forkRefusal(error, atProcessLimit: !table.hasRoomForProcess).syscallReturnValue, -11)
        expectEqual(LinuxSyscalls.forkRefusal(.noMemory, atProcessLimit: false), LinuxErrno(.noMemory), "memory ran out")
        expectEqual(LinuxSyscalls.forkRefusal(.badAddress, atProcessLimit: true), .fault, "another error passes through")
    }

    @Test func aForkRefusedAtTheThreadLimitIsTryAgainToo() throws {
        var table = Table()
        table.startFirst(Table.firstProcessID)
        for _ in 1..<Table.threadLimit { _ = try table.startThread { _ in } }
        #expect(!table.hasRoomForProcess)
        expectEqual(LinuxSyscalls.forkRefusal(.noMemory, atProcessLimit: !table.hasRoomForProcess), .tryAgain)
    }

    @Test func prlimitReportsTheProcessAndDescriptorLimitsTheKernelEnforces() throws {
        let buffer = ProcessHarnessLayout.buffer
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let nproc: UInt64 = 6, nofile: UInt64 = 7
            expectEqual(harness.linux(LinuxSyscallNumber.prlimit64.rawValue, 0, nproc, 0, buffer), 0)
            expectEqual(try harness.word(at: buffer), UInt64(Table.processLimit))
            expectEqual(try harness.word(at: buffer + 8), UInt64(Table.processLimit))
            expectEqual(harness.linux(LinuxSyscallNumber.prlimit64.rawValue, 0, nofile, 0, buffer), 0)
            expectEqual(try harness.word(at: buffer), UInt64(fileDescriptorLimit))
        }
    }

    static let facts = LinuxStartupStack.ProgramFacts(programHeaders: 0, programHeaderCount: 0, entry: 0, random: [], hardwareCapabilities: 0)

    @Test func theStartupStacksSizeIsMeasuredBeforeItIsMade() throws {
        for (count, length) in [(0, 0), (1, 1), (3, 15), (7, 16), (1000, 100), (20, 3000)] {
            let strings = [[UInt8]](repeating: [UInt8](repeating: 0x61, count: length), count: count)
            let needed = LinuxStartupStack.requiredBytes(arguments: strings, environment: [[0x62]], executableName: [0x63, 0x64])
            let image = try #require(LinuxStartupStack.image(arguments: strings, environment: [[0x62]], executableName: [0x63, 0x64], facts: Self.facts))
            #expect(image.stackPointer == LinuxStartupStack.top - UInt64(needed))
            #expect(image.bytes.count == needed && needed % 16 == 0)
        }
    }

    /// 1,000 arguments of 100 bytes: 109,000 bytes with their pointers, past KeOS's 32 KiB and
    /// within a Linux program's 128 KiB.
    static let thousandArguments = [[UInt8]](repeating: [UInt8](repeating: 0x61, count: 100), count: 1000)

    @Test func aLinuxProgramTakesArgumentsPastKeOSsStackSpace() throws {
        try withMachine(megabytes: 16) { machine in
            var mm = try machine.addressSpace()
            let start = try ProgramLaunch.load(TestFile(LinuxStartupTests.linuxProgram()), arguments: Self.thousandArguments,
                                               into: &mm, linux: LinuxStartupTests.context)
            expectEqual(try LinuxStartupTests.word(&mm, start.stack.stackPointer), 1000, "argc")
        }
        try withMachine(megabytes: 16) { machine in
            var mm = try machine.addressSpace()
            let needed = UserStack.requiredBytes(argumentCount: 1000, totalLength: 100_000)
            #expect(throws: LaunchFailure.argumentsTooLarge(bytes: needed, limit: UserStack.argumentSpace), "KeOS's stack keeps its limit") {
                try ProgramLaunch.load(TestFile(LinuxStartupTests.linuxProgram(osABI: 0)), arguments: Self.thousandArguments, into: &mm)
            }
            expectEqual(mm.regionCount, 0)
        }
    }

    @Test func anEnvironmentPastTheStartupStacksSpaceIsArgumentsTooLargeAndMapsNothing() throws {
        var context = LinuxStartupTests.context
        context.environment = [[UInt8]](repeating: [UInt8](repeating: 0x65, count: 4000), count: 33)
        let needed = LinuxStartupStack.requiredBytes(arguments: [[0x70]], environment: context.environment, executableName: context.executableName)
        #expect(needed > LinuxStartupStack.argumentSpace)
        try withMachine(megabytes: 16) { machine in
            var mm = try machine.addressSpace()
            #expect(throws: LaunchFailure.argumentsTooLarge(bytes: needed, limit: LinuxStartupStack.argumentSpace)) {
                try ProgramLaunch.load(TestFile(LinuxStartupTests.linuxProgram()), arguments: [[0x70]], into: &mm, linux: context)
            }
            expectEqual(mm.regionCount, 0)
        }
    }
}
