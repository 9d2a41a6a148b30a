import ApusCore
import Testing

/// `mmap` and `munmap` as a program calls them: raw registers in, a value or a negative
/// error code out (ABI.md §1, §4).
@Suite("mmap and munmap system calls")
struct MemorySyscallsTests {
    static let anonymous = UInt64.max
    static var files: TestFileTable { TestFileTable(files: [3: TestFile(patternedCount: 0x1800), 4: TestFile([])]) }

    static func mmap(_ arguments: SyscallArguments) throws -> (result: Int64, regions: Int) {
        var outcome: (Int64, Int) = (0, 0)
        try withMachine { machine in
            var mm = try machine.addressSpace()
            let result = KeOSSyscalls.mmap(arguments, mm: &mm, files: files)
            outcome = (result, mm.regionCount)
        }
        return outcome
    }

    @Test func anonymousMappingReturnsTheAddress() throws {
        #expect(try Self.mmap(SyscallArguments(0x1000_0000, 0x1000, 3, Self.anonymous, 0)) == (0x1000_0000, 1))
    }

    @Test func aCIntMinusOneInTheLow32BitsIsAnonymousToo() throws {
        #expect(try Self.mmap(SyscallArguments(0x1000_0000, 0x1000, 3, 0xFFFF_FFFF, 0)) == (0x1000_0000, 1))
    }

    @Test func regularFileMapsItsBytes() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            expectEqual(KeOSSyscalls.mmap(SyscallArguments(0x1000_0000, 0x2000, 1, 3, 0x1000), mm: &mm, files: Self.files), 0x1000_0000)
            expectEqual(try userBytes(&mm, at: 0x1000_0000, count: 0x800), Array(Self.files.files[3]!.bytes[0x1000...]))
            #expect(try userBytes(&mm, at: 0x1000_0800, count: 0x1800).allSatisfy { $0 == 0 })
        }
    }

    @Test func anonymousMappingIgnoresAnAlignedOffset() throws {
        #expect(try Self.mmap(SyscallArguments(0x1000_0000, 0x1000, 3, Self.anonymous, 0x5000)) == (0x1000_0000, 1))
    }

    @Test(arguments: [6 as UInt64, 1023, 0x7FFF_FFFF, 0xFFFF_FFFE, 0x8000_0000])
    func unknownDescriptorIsBadFileDescriptor(descriptor: UInt64) throws {
        #expect(try Self.mmap(SyscallArguments(0x1000_0000, 0x1000, 1, descriptor, 0)) == (KernelError.badFileDescriptor.syscallReturnValue, 0))
    }

    @Test(arguments: [0 as UInt64, 1, 2, 5])
    func stdioAndPipeDescriptorsAreInvalidArgument(descriptor: UInt64) throws {
        #expect(try Self.mmap(SyscallArguments(0x1000_0000, 0x1000, 1, descriptor, 0)) == (-22, 0))
    }

    @Test func emptyFileIsInvalidArgument() throws {
        #expect(try Self.mmap(SyscallArguments(0x1000_0000, 0x1000, 1, 4, 0)) == (-22, 0))
    }

    @Test(arguments: [0x10 as UInt64, 0xFFF, UInt64.max, 0x8000_0000_0000_0000, UInt64.max - 0xFFF])
    func negativeOrUnalignedOffsetIsInvalidArgument(offset: UInt64) throws {
        #expect(try Self.mmap(SyscallArguments(0x1000_0000, 0x1000, 1, 3, offset)) == (-22, 0))
        #expect(try Self.mmap(SyscallArguments(0x1000_0000, 0x1000, 1, Self.anonymous, offset)) == (-22, 0))
    }

    @Test(arguments: [0 as UInt64, 2, 4, 6, 8, 9, 0x11, 0x1_0000_0001])
    func protectionWithoutReadOrWithOtherBitsIsInvalidArgument(protection: UInt64) throws {
        #expect(try Self.mmap(SyscallArguments(0x1000_0000, 0x1000, protection, Self.anonymous, 0)) == (-22, 0))
    }

    @Test func addressRulesComeBackAsInvalidArgument() throws {
        for (address, length) in [(0 as UInt64, 0x1000 as UInt64), (0x1000_0001, 0x1000), (0xFFFF_8000_0000_0000, 0x1000), (0x1000_0000, 0), (0x1000, UInt64.max)] {
            #expect(try Self.mmap(SyscallArguments(address, length, 3, Self.anonymous, 0)) == (-22, 0))
        }
    }

    @Test func munmapReturnsZeroThenInvalidArgument() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = KeOSSyscalls.mmap(SyscallArguments(0x1000_0000, 0x1000, 3, Self.anonymous, 0), mm: &mm, files: Self.files)
            expectEqual(KeOSSyscalls.munmap(SyscallArguments(0x1000_1000), mm: &mm), -22)
            expectEqual(KeOSSyscalls.munmap(SyscallArguments(0x1000_0000), mm: &mm), 0)
            expectEqual(KeOSSyscalls.munmap(SyscallArguments(0x1000_0000), mm: &mm), -22)
            expectEqual(KeOSSyscalls.munmap(SyscallArguments(0), mm: &mm), -22)
        }
    }

    @Test func outOfMemoryIsNoMemory() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            machine.frames.failAllocation(after: 2)
            expectEqual(KeOSSyscalls.mmap(SyscallArguments(0x1000_0000, 0x4000, 3, Self.anonymous, 0), mm: &mm, files: Self.files), -12)
            expectEqual(mm.regionCount, 0)
        }
    }

    @Test func argumentAccessorsReadRegistersAsTheAbiSays() {
        let arguments = SyscallArguments(0xFFFF_FFFF, UInt64.max, 0x1_0000_0003, 4, 5, 6)
        expectEqual(arguments.fileDescriptor(0), -1)
        expectEqual(arguments.fileDescriptor(2), 3)
        expectEqual(arguments.signed(1), -1)
        expectEqual(arguments.address(1), VirtualAddress(UInt64.max))
        expectEqual((0..<6).map { arguments[$0] }, [0xFFFF_FFFF, UInt64.max, 0x1_0000_0003, 4, 5, 6])
    }
}
