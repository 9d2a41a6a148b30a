import ApusCore
import Testing

/// The ELF loader and the user stack (ABI.md §3).
@Suite("Program loading")
struct ProgramLoadingTests {
    @Test func typicalProgramParses() throws {
        let file = TestFile(ELFBuilder.typical.bytes())
        let program = try ELFProgram(file: file)
        expectEqual(program.entry, VirtualAddress(0x401000))
        expectEqual(program.segments.map(\.permission), [[.read, .executable], [.read, .write]])
        expectEqual(program.segments.map(\.pages), [VirtualRange(0x401000, pages: 1), VirtualRange(0x402000, pages: 4)])
    }

    @Test func segmentsBecomeRegionsWithTheirPermissions() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            let file = TestFile(ELFBuilder.typical.bytes())
            try ELFProgram(file: file).load(from: file, into: &mm)
            expectEqual(mm.region(containing: VirtualAddress(0x401000))?.permission, [.read, .executable, .user])
            expectEqual(mm.region(containing: VirtualAddress(0x405FFF))?.permission, [.read, .write, .user])
            #expect(throws: KernelError.invalidArgument) {
                try mm.mmap(at: VirtualAddress(0x403000), length: 0x1000, protection: .read, backing: .anonymous)
            }
        }
    }

    @Test func noByteOfTheFilePastFileSizeIsVisible() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            let bytes = ELFBuilder.typical.bytes()
            let file = TestFile(bytes)
            try ELFProgram(file: file).load(from: file, into: &mm)
            expectEqual(try userBytes(&mm, at: 0x401000, count: 0x100), Array(bytes[0x1000..<0x1100]))
            #expect(try userBytes(&mm, at: 0x401100, count: 0xF00).allSatisfy { $0 == 0 }, "the text page's tail")
            // The data page: the file bytes from the page start (p_offset shifted the same as
            // p_vaddr), the segment's 0x20 bytes, then zeros to the end of memsz.
            expectEqual(try userBytes(&mm, at: 0x402000, count: 0x30), Array(bytes[0x2000..<0x2030]))
            #expect(try userBytes(&mm, at: 0x402030, count: 0x3FD0).allSatisfy { $0 == 0 }, "partial page and BSS pages are zero")
        }
    }

    nonisolated(unsafe) static let malformed: [(String, (inout ELFBuilder) -> Void, (inout [UInt8]) -> Void)] = [
        ("truncated header", { _ in }, { $0 = Array($0[0..<40]) }),
        ("bad magic", { _ in }, { $0[1] = 0x45 ^ 1 }),
        ("32-bit class", { _ in }, { $0[4] = 1 }),
        ("big-endian", { _ in }, { $0[5] = 2 }),
        ("bad version", { _ in }, { $0[6] = 0 }),
        ("shared object", { $0.type = 3 }, { _ in }),
        ("relocatable", { $0.type = 1 }, { _ in }),
        ("i386 machine", { $0.machine = 3 }, { _ in }),
        ("wrong program header size", { _ in }, { $0[54] = 32 }),
        ("program headers past the end", { _ in }, { $0[32] = 0xF0; $0[33] = 0x2F }),
        ("file size above memory size", { $0.segments[1].fileSize = 0x4000 }, { _ in }),
        ("file bytes past the end", { $0.segments[0].offset = 0x2F80 }, { _ in }),
        ("offset wraps", { $0.segments[0].offset = UInt64.max - 0x10 }, { _ in }),
        ("memory size wraps", { $0.segments[1].memorySize = UInt64.max - 0x100 }, { _ in }),
        ("segment in the kernel half", { $0.segments[0].virtualAddress = 0xFFFF_8000_0000_0000 }, { _ in }),
        ("segment past the user half", { $0.segments[1].virtualAddress = 0x7FFF_FFFF_F010 }, { _ in }),
        ("segment in the kernel window", { $0.segments[0].virtualAddress = 0x5000_0000_0000 }, { _ in }),
        ("overlapping segments", { $0.segments[1].virtualAddress = 0x401F00 }, { _ in }),
        ("no loadable segment", { $0.segments = [] }, { _ in }),
        ("offset before the page start", { $0.segments[1].offset = 0x8; $0.segments[1].virtualAddress = 0x402010 }, { _ in }),
    ]

    @Test(arguments: 0..<malformed.count)
    func malformedFilesAreInvalidArgumentAndLoadNothing(index: Int) throws {
        let (_, edit, damage) = Self.malformed[index]
        var builder = ELFBuilder.typical
        edit(&builder)
        var bytes = builder.bytes()
        damage(&bytes)
        #expect(throws: KernelError.invalidArgument, "\(Self.malformed[index].0)") { try ELFProgram(file: TestFile(bytes)) }
    }

    @Test func aSegmentThatCannotBeMappedUnloadsTheOthers() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            try mm.addRegion(VirtualRange(0x404000, pages: 1), permission: .read, backing: .anonymous)
            let file = TestFile(ELFBuilder.typical.bytes())
            #expect(throws: KernelError.invalidArgument) { try ELFProgram(file: file).load(from: file, into: &mm) }
            expectEqual(mm.regionCount, 1, "the text segment went again")
        }
    }

    @Test func randomDamageNeverCrashesTheLoaderNorLeaks() throws {
        var random = SeededRandom(seed: 0xE1F)
        let original = ELFBuilder.typical.bytes()
        var accepted = 0, refused = 0
        try withMachine(megabytes: 8) { machine in
            for _ in 0..<TestTier.count(short: 1_000, long: 10_000) {
                var bytes = original
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    bytes[Int.random(in: 0..<(64 + 2 * 56), using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
                if random.chance(10) { bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random))) }
                var mm = try machine.addressSpace()
                let file = TestFile(bytes)
                do {
                    try ELFProgram(file: file).load(from: file, into: &mm)
                    accepted += 1
                } catch {
                    refused += 1
                    expectEqual(mm.regionCount, 0, "a refused program leaves no region behind")
                }
            }
        }
        // Damage in the headers must reach both outcomes, or the test tests only one side.
        #expect(accepted > 0 && refused > 0, "\(accepted) damaged programs loaded, \(refused) refused")
    }

    @Test func stackHoldsTheArgumentsByteForByte() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            let arguments = ["/bin/ls", "-l", "foo", "bar"].map { Array($0.utf8) }
            let entry = try UserStack.build(arguments: arguments, in: &mm)
            expectEqual(entry, UserStack.Entry(stackPointer: 0x4747_FFB8, argumentCount: 4, argumentVector: 0x4747_FFC0))
            func word(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) } }
            let expected = word(0) // fake return address at rsp
                + word(0x4747_FFED) + word(0x4747_FFF5) + word(0x4747_FFF8) + word(0x4747_FFFC) // argv[0…3]
                + word(0) // argv[4] = NULL, at 0x4747ffe0
                + [0, 0, 0, 0, 0] // padding 0x4747ffe8…ffec
                + Array("/bin/ls\0-l\0foo\0bar\0".utf8)
            expectEqual(try userBytes(&mm, at: 0x4747_FFB8, count: 0x48), expected)
            expectEqual(mm.region(containing: VirtualAddress(0x4747_0000))?.range, UserStack.range)
            expectEqual(mm.region(containing: VirtualAddress(0x4747_0000))?.permission, [.read, .write, .user])
        }
    }

    @Test func argumentsTooLargeForTheStackAreRefused() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            #expect(throws: KernelError.invalidArgument) {
                try UserStack.build(arguments: [[UInt8]](repeating: [UInt8](repeating: 65, count: 1000), count: 40), in: &mm)
            }
            expectEqual(mm.regionCount, 0)
        }
    }
}
