import ApusCore
import Testing

/// `apus run --trace` of a Linux program: its calls by Linux's names and numbers, errors by
/// errno name, and nothing taken for a KeOS call of the same number.
@Suite("System call trace of Linux programs")
struct SyscallTraceLinuxTests {
    static let data: UInt64 = 0x1000_0000

    func line<P: Pager>(_ number: LinuxSyscallNumber?, raw: UInt64 = 0, _ arguments: [UInt64], result: Int64?,
                        mm: inout MmStruct<HostMemory, P>) -> String {
        var buffer = [UInt8](repeating: 0xEE, count: SyscallTrace.maximumRecordSize)
        let padded = arguments + [UInt64](repeating: 0, count: 6 - arguments.count)
        let length = buffer.withUnsafeMutableBytes { bytes in
            SyscallTrace.record(number: number?.rawValue ?? raw, arguments: SyscallArguments(padded[0], padded[1], padded[2], padded[3], padded[4], padded[5]),
                                result: result.map { UInt64(bitPattern: $0) }, process: 2, thread: 3, mm: &mm, into: bytes, linux: true)
        }
        return String(decoding: buffer.prefix(length).withUnsafeBytes { SyscallTrace.line(of: $0) }, as: UTF8.self)
    }

    @Test func linuxCallsShowLinuxNamesPathsBuffersAndErrnoNames() throws {
        try withMachine { machine in
            var mm = try machine.addressSpace()
            _ = try mm.mmap(at: VirtualAddress(Self.data), length: 0x1000, protection: [.read, .write], backing: .anonymous)
            try writeUser(&mm, Array("/etc/passwd\0".utf8), at: Self.data)
            let atCurrentDirectory = UInt64(bitPattern: -100)
            expectEqual(line(.openat, [atCurrentDirectory, Self.data, 0, 0], result: -2, mm: &mm), "[2.3] openat(-100, \"/etc/passwd\", 0x0, 0x0) = -2 ENOENT\n")
            expectEqual(line(.brk, [0], result: 0x5EC000, mm: &mm), "[2.3] brk(0x0) = 0x5ec000\n", "12 is brk, not KeOS's thread_join")
            expectEqual(line(.write, [1, Self.data, 4], result: 4, mm: &mm), "[2.3] write(1, \"/etc\", 4) = 4\n")
            expectEqual(line(.getpid, [], result: 7, mm: &mm), "[2.3] getpid() = 7\n")
            expectEqual(line(.exitGroup, [3], result: nil, mm: &mm), "[2.3] exit_group(3) = ?\n")
            expectEqual(line(.execve, [Self.data, 0, 0], result: 0, mm: &mm), "[2.3] execve(0x10000000, 0x0, 0x0) = 0\n",
                        "after an execve that worked, the old image's path is not read")
            expectEqual(line(.select, [4, Self.data, 0, 0, 0], result: -4, mm: &mm), "[2.3] select(4, 0x10000000, 0x0, 0x0, 0x0) = -4 EINTR\n")
            expectEqual(line(.pselect6, [0, 0, 0, 0, Self.data, 0], result: 0, mm: &mm), "[2.3] pselect6(0, 0x0, 0x0, 0x0, 0x10000000, 0x0) = 0\n")
            expectEqual(line(.alarm, [5], result: 3, mm: &mm), "[2.3] alarm(5) = 3\n")
            expectEqual(line(.fchdir, [3], result: -20, mm: &mm), "[2.3] fchdir(3) = -20 ENOTDIR\n")
            expectEqual(line(nil, raw: 9999, [1, 2, 3, 4, 5, 6], result: -38, mm: &mm), "[2.3] syscall_9999(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -38 ENOSYS\n")
        }
    }
}
