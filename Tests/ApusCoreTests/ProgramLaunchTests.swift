import ApusCore
import Testing

/// Starting a program: the launch checks and their reasons, and the command image split
/// without letting its size reach the heap.
@Suite("Program launch")
struct ProgramLaunchTests {
    @Test func aTypicalProgramStartsAtItsEntryWithItsArguments() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            let start = try ProgramLaunch.load(TestFile(ELFBuilder.typical.bytes()), arguments: [Array("prog".utf8)], into: &mm)
            expectEqual(start.entry, VirtualAddress(0x401000))
            expectEqual(start.stack.argumentCount, 1)
            expectEqual(mm.regionCount, 3)
        }
    }

    @Test(arguments: [0x402010 as UInt64, 0x401100, 0x400FFF, 0])
    func anEntryPointOutsideTheExecutableSegmentsIsRefused(entry: UInt64) throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            var builder = ELFBuilder.typical
            builder.entry = entry
            #expect(throws: LaunchFailure.entryOutsideCode(VirtualAddress(entry))) {
                try ProgramLaunch.load(TestFile(builder.bytes()), arguments: [[0x61]], into: &mm)
            }
            expectEqual(mm.regionCount, 0, "nothing was loaded")
        }
        expectEqual(LaunchFailure.entryOutsideCode(VirtualAddress(0x402010)).description, "its entry point 0x402010 is not inside a segment loaded as executable")
    }

    @Test func aSegmentOverlappingTheStackIsRefusedAsSuch() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            var builder = ELFBuilder.typical
            builder.segments.append(.init(flags: 6, offset: 0x2000, virtualAddress: UserStack.top - 0x1000, fileSize: 0x10, memorySize: 0x1000))
            #expect(throws: LaunchFailure.segmentOverlapsStack) {
                try ProgramLaunch.load(TestFile(builder.bytes()), arguments: [[0x61]], into: &mm)
            }
            expectEqual(mm.regionCount, 0)
        }
        expectEqual(LaunchFailure.segmentOverlapsStack.description, "a segment overlaps the stack at [0x47470000, 0x47480000)")
    }

    @Test func aFileThatIsNoProgramOrArgumentsTooLargeAreRefused() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            #expect(throws: LaunchFailure.notAProgram) { try ProgramLaunch.load(TestFile(Array("hello".utf8)), arguments: [[0x61]], into: &mm) }
            let huge = [[UInt8](repeating: 0x61, count: UserStack.argumentSpace)]
            let needed = UserStack.requiredBytes(argumentCount: 1, totalLength: UserStack.argumentSpace)
            #expect(throws: LaunchFailure.argumentsTooLarge(bytes: needed, limit: UserStack.argumentSpace)) {
                try ProgramLaunch.load(TestFile(ELFBuilder.typical.bytes()), arguments: huge, into: &mm)
            }
            expectEqual(mm.regionCount, 0)
        }
    }

    @Test func runningOutOfMemoryWhileLoadingLeavesNothing() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            let file = TestFile(ELFBuilder.typical.bytes())
            for successes in 0..<12 {
                machine.frames.failAllocation(after: successes)
                #expect(throws: LaunchFailure.outOfMemory) { try ProgramLaunch.load(file, arguments: [[0x61]], into: &mm) }
                machine.frames.cancelInjectedFailure()
                expectEqual(mm.regionCount, 0)
                #expect(machine.framesInUse == 1 + mm.pageTable.tableCount(), "only the root and empty tables stay")
            }
        }
    }

    static func image(_ words: [String]) -> [UInt8] { words.flatMap { Array($0.utf8) + [0] } }

    /// `ProgramLaunch.command` of a copy of `bytes`.
    static func parse(_ bytes: [UInt8]) throws -> (program: [UInt8], arguments: [[UInt8]]) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: bytes)
        return try ProgramLaunch.command(from: UnsafeRawBufferPointer(buffer))
    }

    @Test func aCommandImageIsTheProgramThenItsArgv() throws {
        let bytes = Self.image(["hello", "/bin/hello", "", "x"])
        let command = try Self.parse(bytes)
        expectEqual(command.program, Array("hello".utf8))
        expectEqual(command.arguments, [Array("/bin/hello".utf8), [], [0x78]], "an empty argument is an argument")
        let unterminated = Array("hello\0a\0b".utf8)
        expectEqual(try Self.parse(unterminated).arguments, [[0x61], [0x62]])
    }

    @Test func aCommandImageWithoutAProgramOrArgvZeroIsRefused() {
        for bytes in [[], [0], Array("hello".utf8), Array("hello\0".utf8)] as [[UInt8]] {
            #expect(throws: LaunchFailure.noProgramNamed) {
                _ = try Self.parse(bytes)
            }
        }
        let longName = [UInt8](repeating: 0x61, count: ProgramLaunch.maximumNameLength + 1) + [0, 0x61, 0]
        #expect(throws: LaunchFailure.nameTooLong(limit: ProgramLaunch.maximumNameLength)) {
            _ = try Self.parse(longName)
        }
    }

    @Test func threeHundredThousandArgumentsAreRefusedByTheirCountAlone() {
        let bytes = Self.image(["hello"] + Array(repeating: "a", count: 300_000))
        let needed = UserStack.requiredBytes(argumentCount: 300_000, totalLength: 300_000)
        #expect(needed == 300_000 + 300_000 + 7 + 300_002 * 8)
        #expect(throws: LaunchFailure.argumentsTooLarge(bytes: needed, limit: 32768)) {
            _ = try Self.parse(bytes)
        }
        expectEqual(LaunchFailure.argumentsTooLarge(bytes: needed, limit: 32768).description, "the arguments need \(needed) bytes of the stack and at most 32768 are available to them")
    }

    @Test func theLargestArgumentListThatFitsIsAccepted() throws {
        // n one-byte strings need 2n + 7 + 8(n + 2) bytes: n = 3274 fits in 32 KiB, 3275 does not.
        let fits = Self.image(["p"] + Array(repeating: "a", count: 3274))
        expectEqual(try Self.parse(fits).arguments.count, 3274)
        let tooMany = Self.image(["p"] + Array(repeating: "a", count: 3275))
        #expect(throws: LaunchFailure.self) {
            _ = try Self.parse(tooMany)
        }
    }
}
