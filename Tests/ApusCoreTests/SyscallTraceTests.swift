import ApusCore
import Testing

/// `apus run --trace`: what the kernel records of a call, and the line the host makes of it.
@Suite("System call trace")
struct SyscallTraceTests {
    static let data: UInt64 = 0x1000_0000

    /// The line of call `number` with `arguments` returning `result`, recorded on `mm`.
    func line<P: Pager>(_ number: KeOSSyscallNumber, _ arguments: [UInt64], result: Int64?, mm: inout MmStruct<HostMemory, P>,
                        process: Int = 1, thread: Int = 1) -> String {
        var buffer = [UInt8](repeating: 0xEE, count: SyscallTrace.maximumRecordSize)
        let padded = arguments + [UInt64](repeating: 0, count: 6 - arguments.count)
        let length = buffer.withUnsafeMutableBytes { bytes in
            SyscallTrace.record(number: number.rawValue, arguments: SyscallArguments(padded[0], padded[1], padded[2], padded[3], padded[4], padded[5]),
                                result: result.map { UInt64(bitPattern: $0) }, process: process, thread: thread, mm: &mm, into: bytes)
        }
        #expect(length % 8 == 0 && length >= SyscallTrace.headerSize)
        return String(decoding: buffer.prefix(length).withUnsafeBytes { SyscallTrace.line(of: $0) }, as: UTF8.self)
    }

    @Test func aPathIsAStringAModeItsNameAndAnErrorItsCodeAndName() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(Self.data), length: 0x2000, protection: [.read, .write], backing: .anonymous)
            try writeUser(&mm, Array("hello.txt\0".utf8), at: Self.data)
            expectEqual(line(.open, [Self.data, 0], result: 3, mm: &mm), "[1.1] open(\"hello.txt\", O_RDONLY) = 3\n")
            expectEqual(line(.open, [Self.data, 2], result: -2, mm: &mm, process: 4, thread: 7), "[4.7] open(\"hello.txt\", O_RDWR) = -2 NoSuchEntry\n")
            expectEqual(line(.stat, [Self.data, Self.data + 0x100], result: 0, mm: &mm), "[1.1] stat(\"hello.txt\", 0x10000100) = 0\n")
            expectEqual(line(.open, [0, 7], result: -14, mm: &mm), "[1.1] open(0x0, 7) = -14 BadAddress\n", "an unreadable path shows its address")
        }
    }

    @Test func buffersShowWhatMovedAbbreviatedAndEscaped() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(Self.data), length: 0x1000, protection: [.read, .write], backing: .anonymous)
            try writeUser(&mm, Array("Hi \"you\"\n\t\\".utf8) + [0xC3, 0xA9] + [UInt8](repeating: UInt8(ascii: "a"), count: 40), at: Self.data)
            expectEqual(line(.write, [1, Self.data, 4], result: 4, mm: &mm), "[1.1] write(1, \"Hi \\\"\", 4) = 4\n")
            expectEqual(line(.write, [1, Self.data, 100], result: 50, mm: &mm), "[1.1] write(1, \"Hi \\\"you\\\"\\n\\t\\\\\\xc3\\xa9aaaaaaaaaaaaaaaaaaa\"..., 100) = 50\n")
            expectEqual(line(.read, [0xFFFF_FFFF, Self.data, 10], result: -9, mm: &mm), "[1.1] read(-1, 0x10000000, 10) = -9 BadFileDescriptor\n")
            expectEqual(line(.read, [0, Self.data, 10], result: 0, mm: &mm), "[1.1] read(0, 0x10000000, 10) = 0\n")
        }
    }

    @Test func namesForProtectionsOriginsPipesAndCallsThatDoNotReturn() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(Self.data), length: 0x1000, protection: [.read, .write], backing: .anonymous)
            try writeUser(&mm, [3, 0, 0, 0, 4, 0, 0, 0], at: Self.data)
            expectEqual(line(.mmap, [0x2000_0000, 8192, 3, 0xFFFF_FFFF, 0], result: 0x2000_0000, mm: &mm), "[1.1] mmap(0x20000000, 8192, PROT_READ|PROT_WRITE, -1, 0) = 0x20000000\n")
            expectEqual(line(.mmap, [0, 1, 0, 3, 4096], result: -22, mm: &mm), "[1.1] mmap(0x0, 1, PROT_NONE, 3, 4096) = -22 InvalidArgument\n")
            expectEqual(line(.seek, [3, UInt64(bitPattern: -5), 2], result: 10, mm: &mm), "[1.1] seek(3, -5, SEEK_END) = 10\n")
            expectEqual(line(.pipe, [Self.data], result: 0, mm: &mm), "[1.1] pipe([3, 4]) = 0\n")
            expectEqual(line(.exit, [UInt64(bitPattern: -1)], result: nil, mm: &mm), "[1.1] exit(-1) = ?\n")
            expectEqual(line(.fork, [], result: 2, mm: &mm), "[1.1] fork() = 2\n")
            expectEqual(line(.munmap, [0x2000_0000], result: 0, mm: &mm), "[1.1] munmap(0x20000000) = 0\n")
            var buffer = [UInt8](repeating: 0, count: SyscallTrace.maximumRecordSize)
            let length = buffer.withUnsafeMutableBytes {
                SyscallTrace.record(number: 0x99, arguments: SyscallArguments(1, 2, 3, 4, 5, 6), result: UInt64(bitPattern: -38),
                                    process: 1, thread: 2, mm: &mm, into: $0)
            }
            expectEqual(String(decoding: buffer.prefix(length).withUnsafeBytes { SyscallTrace.line(of: $0) }, as: UTF8.self), "[1.2] syscall_0x99(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -38 NoSuchSyscall\n")
        }
    }

    @Test func aLongPathIsCutAndAPathRunningIntoNothingEndsWhereItsMemoryDoes() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(Self.data), length: 0x1000, protection: [.read, .write], backing: .anonymous)
            try writeUser(&mm, [UInt8](repeating: UInt8(ascii: "d"), count: 300) + [0], at: Self.data)
            expectEqual(line(.mkdir, [Self.data], result: -36, mm: &mm), "[1.1] mkdir(\"\(String(repeating: "d", count: 255))\"...) = -36 NameTooLong\n")
            try writeUser(&mm, Array("ab".utf8), at: Self.data + 0xFFE)
            expectEqual(line(.unlink, [Self.data + 0xFFE], result: -14, mm: &mm), "[1.1] unlink(\"ab\"...) = -14 BadAddress\n")
        }
    }

    @Test func recordingTouchesNoPageTheCallDidNot() throws {
        try withMachine { machine in
            var mm = try MmStruct(frames: machine.frames, pager: LazyPager())
            _ = try mm.mmap(at: VirtualAddress(Self.data), length: 0x4000, protection: [.read, .write], backing: .anonymous)
            let free = machine.frames.freeCount
            // A write to a bad descriptor never read its buffer; a read that read nothing
            // wrote none of it.
            expectEqual(line(.write, [9, Self.data, 100], result: -9, mm: &mm), "[1.1] write(9, 0x10000000, 100) = -9 BadFileDescriptor\n")
            expectEqual(line(.read, [0, Self.data + 0x1000, 100], result: 0, mm: &mm), "[1.1] read(0, 0x10001000, 100) = 0\n")
            expectEqual(line(.pipe, [Self.data + 0x2000], result: -24, mm: &mm), "[1.1] pipe(0x10002000) = -24 TooManyOpenFile\n")
            expectEqual(machine.frames.freeCount, free, "no page was filled")
        }
    }

    @Test func aStreamSplitsIntoWholeRecordsAndKeepsACutOneForLater() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            var stream: [UInt8] = []
            for status in 0..<3 {
                var buffer = [UInt8](repeating: 0, count: SyscallTrace.maximumRecordSize)
                let length = buffer.withUnsafeMutableBytes {
                    SyscallTrace.record(number: KeOSSyscallNumber.close.rawValue, arguments: SyscallArguments(UInt64(status), 0, 0, 0, 0, 0),
                                        result: 0, process: 1, thread: 1, mm: &mm, into: $0)
                }
                stream += buffer.prefix(length)
            }
            var text: [UInt8] = []
            let used = stream.dropLast(5).withUnsafeBytes { SyscallTrace.appendLines(of: $0, to: &text) }
            #expect(used == 2 * SyscallTrace.headerSize)
            expectEqual(String(decoding: text, as: UTF8.self), "[1.1] close(0) = 0\n[1.1] close(1) = 0\n")
            let damaged: [UInt8] = [3, 0] + [UInt8](repeating: 0, count: 100)
            expectEqual(damaged.withUnsafeBytes { SyscallTrace.appendLines(of: $0, to: &text) }, nil, "a length no record has")
        }
    }
}
