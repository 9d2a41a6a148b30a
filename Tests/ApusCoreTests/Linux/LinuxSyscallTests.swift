import ApusCore
import Testing

/// The Linux table (``LinuxSyscalls``) on a process whose root is a disk
/// (``ProcessHarness``): each call's decoding, its −errno answers, and that a refused call
/// changes nothing.
@Suite("Linux system calls")
struct LinuxSyscallTests {
    static let buffer = ProcessHarnessLayout.buffer
    static let pathArea = ProcessHarnessLayout.buffer + 0x1800
    static let machine = LinuxMachine(monotonicNanoseconds: { 1_500_000_000 }, realTimeNanoseconds: { 1_700_000_000_123_456_789 },
                                      random: { 0x0123_4567_89AB_CDEF })

    @Test func unknownCallsAreNoSuchCall() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            expectEqual(harness.linux(9999), -38)
            expectEqual(harness.linux(LinuxSyscallNumber.rseq.rawValue), -38)
            expectEqual(LinuxSyscalls.unknownCall(9999), "Linux system call 9999 is not implemented: -ENOSYS")
            expectEqual(LinuxSyscalls.unknownCall(334), "Linux system call 334 (rseq) is not implemented: -ENOSYS")
            #expect(LinuxSyscallNumber.allCases.allSatisfy { $0.name.utf8CodeUnitCount > 0 })
        }
    }

    @Test func openatCreatesTruncatesAndRefusesAsLinuxDoes() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let creat: UInt64 = 0o100, excl: UInt64 = 0o200, trunc: UInt64 = 0o1000, append: UInt64 = 0o2000, directory: UInt64 = 0o200000
            let fd = try harness.linuxOpen("new.txt", flags: 1 | creat)
            expectEqual(fd, 3)
            expectEqual(try harness.linuxWrite(fd, "abc"), 3)
            expectEqual(try harness.linuxOpen("new.txt", flags: 1 | creat | excl), -17)
            expectEqual(try harness.linuxOpen("hello.txt", flags: directory), -20)
            expectEqual(try harness.linuxOpen("/", flags: 1), -21)
            expectEqual(try harness.linuxOpen("missing", flags: 0), -2)
            expectEqual(try harness.linuxOpen("hello.txt", flags: 3), -22)
            let appending = try harness.linuxOpen("new.txt", flags: 1 | append)
            expectEqual(try harness.linuxWrite(appending, "de"), 2)
            expectEqual(harness.linux(LinuxSyscallNumber.fstat.rawValue, 3, Self.buffer), 0)
            expectEqual(try harness.word(at: Self.buffer + 48), 5, "st_size after the append")
            let emptied = try harness.linuxOpen("new.txt", flags: 1 | trunc)
            expectEqual(harness.linux(LinuxSyscallNumber.fstat.rawValue, UInt64(emptied), Self.buffer), 0)
            expectEqual(try harness.word(at: Self.buffer + 48), 0, "O_TRUNC empties it")
            expectEqual(harness.linux(LinuxSyscallNumber.openat.rawValue, 0, 0, 0), -14)
            #expect(harness.linux(LinuxSyscallNumber.openat.rawValue, UInt64(bitPattern: -100), ProcessHarnessLayout.readOnly, 0) >= 0,
                    "a path in read-only memory")
        }
    }

    @Test func devicesReadAndWriteAsOnLinux() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let null = try harness.linuxOpen("/dev/null", flags: 2)
            expectEqual(try harness.linuxWrite(null, "gone"), 4)
            expectEqual(harness.linux(LinuxSyscallNumber.read.rawValue, UInt64(null), Self.buffer, 16), 0)
            let zero = try harness.linuxOpen("/dev/zero", flags: 0)
            try harness.process.mm.copyOut([1, 1, 1, 1], to: VirtualAddress(Self.buffer))
            expectEqual(harness.linux(LinuxSyscallNumber.read.rawValue, UInt64(zero), Self.buffer, 4), 4)
            #expect(try harness.word(at: Self.buffer) & 0xFFFF_FFFF == 0)
            expectEqual(harness.linux(LinuxSyscallNumber.ioctl.rawValue, UInt64(null), 0x5401, Self.buffer), -25, "ENOTTY")
            expectEqual(harness.linux(LinuxSyscallNumber.ioctl.rawValue, 1, 0x5401, Self.buffer), 0, "the console is a terminal")
            expectEqual(harness.linux(LinuxSyscallNumber.ioctl.rawValue, 1, 0x5413, 0), -14)
            expectEqual(harness.linux(LinuxSyscallNumber.ioctl.rawValue, 1, 0x1234, Self.buffer), -22)
            expectEqual(harness.linux(LinuxSyscallNumber.lseek.rawValue, 1, 0, 0), -29, "ESPIPE")
            var redirected = Self.machine
            redirected.terminalStreams = 0b001
            expectEqual(LinuxSyscalls.serve(LinuxSyscallNumber.ioctl.rawValue, SyscallArguments(1, 0x5401, Self.buffer), by: 1,
                                            in: &harness.process, machine: redirected), .returns(-25), "standard output is not a terminal here")
        }
    }

    @Test func dupDup2Dup3AndFcntlShareTheOpenFile() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let fd = try harness.linuxOpen("hello.txt", flags: 0)
            let copy = harness.linux(LinuxSyscallNumber.dup.rawValue, UInt64(fd))
            expectEqual(copy, 4)
            expectEqual(harness.linux(LinuxSyscallNumber.read.rawValue, UInt64(fd), Self.buffer, 6), 6)
            expectEqual(harness.linux(LinuxSyscallNumber.lseek.rawValue, UInt64(copy), 0, 1), 6, "one position for both")
            expectEqual(harness.linux(LinuxSyscallNumber.dup2.rawValue, UInt64(fd), 10), 10)
            expectEqual(harness.linux(LinuxSyscallNumber.dup2.rawValue, UInt64(fd), UInt64(fd)), fd)
            expectEqual(harness.linux(LinuxSyscallNumber.dup2.rawValue, 99, 10), -9)
            expectEqual(harness.linux(LinuxSyscallNumber.dup3.rawValue, UInt64(fd), UInt64(fd), 0), -22)
            expectEqual(harness.linux(LinuxSyscallNumber.dup3.rawValue, UInt64(fd), 11, 0o2000000), 11)
            expectEqual(harness.linux(LinuxSyscallNumber.fcntl.rawValue, 11, 1), 1, "FD_CLOEXEC")
            expectEqual(harness.linux(LinuxSyscallNumber.fcntl.rawValue, 10, 1), 0)
            expectEqual(harness.linux(LinuxSyscallNumber.fcntl.rawValue, UInt64(fd), 0, 20), 20, "F_DUPFD from 20")
            expectEqual(harness.linux(LinuxSyscallNumber.fcntl.rawValue, UInt64(fd), 1030, 5), 5, "F_DUPFD_CLOEXEC")
            expectEqual(harness.linux(LinuxSyscallNumber.fcntl.rawValue, 5, 1), 1)
            expectEqual(harness.linux(LinuxSyscallNumber.fcntl.rawValue, UInt64(fd), 3), 0, "O_RDONLY")
            expectEqual(harness.linux(LinuxSyscallNumber.fcntl.rawValue, UInt64(fd), 4, 0o2000), 0)
            expectEqual(harness.linux(LinuxSyscallNumber.fcntl.rawValue, UInt64(fd), 3), 0o2000)
            expectEqual(harness.linux(LinuxSyscallNumber.fcntl.rawValue, UInt64(fd), 99), -22)
            expectEqual(harness.linux(LinuxSyscallNumber.fcntl.rawValue, 77, 1), -9)
            harness.process.files.closeOnExec()
            expectEqual(harness.linux(LinuxSyscallNumber.fcntl.rawValue, 11, 1), -9, "closed at exec")
            expectEqual(harness.linux(LinuxSyscallNumber.fcntl.rawValue, 10, 1), 0, "kept")
        }
    }

    @Test func getdents64ListsEveryEntryOnceAndRefusesASmallBuffer() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let fd = try harness.linuxOpen("/", flags: 0o200000)
            expectEqual(harness.linux(LinuxSyscallNumber.getdents64.rawValue, UInt64(fd), Self.buffer, 8), -22)
            var names: [String] = []
            while true {
                let got = harness.linux(LinuxSyscallNumber.getdents64.rawValue, UInt64(fd), Self.buffer, 48)
                #expect(got >= 0)
                if got <= 0 { break }
                var offset: UInt64 = 0
                while offset < UInt64(got) {
                    let length = try harness.word(at: Self.buffer + offset + 16) & 0xFFFF
                    names.append(try harness.bytes(count: Int(length) - 19, at: Self.buffer + offset + 19).split(separator: "\0").first.map(String.init) ?? "")
                    offset += length
                }
            }
            expectEqual(names, [".", "..", "hello.txt", "empty"])
            expectEqual(harness.linux(LinuxSyscallNumber.getdents64.rawValue, 0, Self.buffer, 100), -20)
            expectEqual(harness.linux(LinuxSyscallNumber.getdents64.rawValue, UInt64(fd), 0, 100), -14)
        }
    }

    @Test func getcwdFollowsChdirThroughDotsAndRefusesASmallBuffer() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            try harness.process.mm.copyOut(Array("d/e\0".utf8), to: VirtualAddress(Self.pathArea))
            expectEqual(harness.linux(LinuxSyscallNumber.mkdir.rawValue, Self.pathArea), -2)
            try harness.process.mm.copyOut(Array("d\0".utf8), to: VirtualAddress(Self.pathArea))
            expectEqual(harness.linux(LinuxSyscallNumber.mkdirat.rawValue, UInt64(bitPattern: -100), Self.pathArea), 0)
            try harness.process.mm.copyOut(Array("./d/../d//\0".utf8), to: VirtualAddress(Self.pathArea))
            expectEqual(harness.linux(LinuxSyscallNumber.chdir.rawValue, Self.pathArea), 0)
            expectEqual(harness.linux(LinuxSyscallNumber.getcwd.rawValue, Self.buffer, 64), 3)
            expectEqual(try harness.bytes(count: 3), "/d\0")
            expectEqual(harness.linux(LinuxSyscallNumber.getcwd.rawValue, Self.buffer, 2), -34)
            expectEqual(LinuxPaths.resolve(Array("../../x/./y".utf8), from: Array("/a".utf8)), Array("/x/y".utf8))
            try harness.process.mm.copyOut(Array("/d\0".utf8), to: VirtualAddress(Self.pathArea))
            expectEqual(harness.linux(LinuxSyscallNumber.unlinkat.rawValue, UInt64(bitPattern: -100), Self.pathArea, 0), -21)
            expectEqual(harness.linux(LinuxSyscallNumber.unlinkat.rawValue, UInt64(bitPattern: -100), Self.pathArea, 0x200), 0)
            expectEqual(harness.linux(LinuxSyscallNumber.unlinkat.rawValue, UInt64(bitPattern: -100), Self.pathArea, 0x1), -22)
        }
    }

    @Test func brkGrowsAndShrinksAndStaysPutWhenRefused() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            harness.process.linux = LinuxProcessState(programBreak: VirtualAddress(0x3000_0000), path: Array("/p".utf8), mainThread: 1)
            expectEqual(harness.linux(LinuxSyscallNumber.brk.rawValue, 0), 0x3000_0000)
            expectEqual(harness.linux(LinuxSyscallNumber.brk.rawValue, 0x3000_2010), 0x3000_2010)
            let grown = harness.process.mm.accessOK(VirtualAddress(0x3000_2FFF), length: 1, write: true)
            #expect(grown)
            expectEqual(harness.linux(LinuxSyscallNumber.brk.rawValue, 0x3000_0800), 0x3000_0800)
            let shrunk = harness.process.mm.accessOK(VirtualAddress(0x3000_1000), length: 1, write: false)
            #expect(!shrunk)
            expectEqual(harness.linux(LinuxSyscallNumber.brk.rawValue, 0x1000), 0x3000_0800, "below the start")
            expectEqual(harness.linux(LinuxSyscallNumber.brk.rawValue, Self.buffer + 0x1000_0000), 0x3000_0800, "over another mapping")
        }
    }

    @Test func mmapPicksAnAddressHonoursFixedAndRefusesBadFlags() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let privateAnonymous: UInt64 = 0x22, fixed: UInt64 = 0x10
            let picked = harness.linux(LinuxSyscallNumber.mmap.rawValue, 0, 0x2000, 3, privateAnonymous, UInt64.max, 0)
            #expect(picked > 0 && UInt64(picked) & 0xFFF == 0)
            expectEqual(harness.linux(LinuxSyscallNumber.mmap.rawValue, UInt64(picked), 0x1000, 1, privateAnonymous | fixed, UInt64.max, 0), picked,
                        "MAP_FIXED replaces what was there")
            expectEqual(harness.linux(LinuxSyscallNumber.munmap.rawValue, UInt64(picked), 0x2000), 0)
            expectEqual(harness.linux(LinuxSyscallNumber.mmap.rawValue, 0, 0x1000, 3, 0x20, UInt64.max, 0), -22, "neither private nor shared")
            expectEqual(harness.linux(LinuxSyscallNumber.mmap.rawValue, 0, 0, 3, privateAnonymous, UInt64.max, 0), -22)
            expectEqual(harness.linux(LinuxSyscallNumber.mmap.rawValue, 0, 0x1000, 3, 0x01, 1, 0), -22, "a shared file mapping")
            expectEqual(harness.linux(LinuxSyscallNumber.mmap.rawValue, 0, 0x1000, 3, 0x02, 77, 0), -9)
            let fd = try harness.linuxOpen("hello.txt", flags: 0)
            let mapped = harness.linux(LinuxSyscallNumber.mmap.rawValue, 0, 0x1000, 1, 0x02, UInt64(fd), 0)
            expectEqual(try harness.bytes(count: 5, at: UInt64(mapped)), "Hello")
            expectEqual(harness.linux(LinuxSyscallNumber.mprotect.rawValue, UInt64(mapped), 0x1000, 3), 0)
            expectEqual(harness.linux(LinuxSyscallNumber.mprotect.rawValue, UInt64(mapped) + 0x10_0000, 0x1000, 3), -12)
        }
    }

    @Test func identityClockAndRandomCallsAnswerAsLinuxDoes() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            expectEqual(harness.linux(LinuxSyscallNumber.getpid.rawValue), 1)
            expectEqual(harness.linux(LinuxSyscallNumber.getuid.rawValue), 0)
            expectEqual(harness.linux(LinuxSyscallNumber.clockGettime.rawValue, 0, Self.buffer), 0)
            expectEqual(try harness.word(at: Self.buffer), 1_700_000_000)
            expectEqual(try harness.word(at: Self.buffer + 8), 123_456_789)
            expectEqual(harness.linux(LinuxSyscallNumber.clockGettime.rawValue, 99, Self.buffer), -22)
            expectEqual(harness.linux(LinuxSyscallNumber.clockGettime.rawValue, 1, 0), -14)
            expectEqual(harness.linux(LinuxSyscallNumber.getrandom.rawValue, Self.buffer, 12, 0), 12)
            expectEqual(harness.linux(LinuxSyscallNumber.getrandom.rawValue, Self.buffer, 12, 0x100), -22)
            expectEqual(harness.linux(LinuxSyscallNumber.uname.rawValue, Self.buffer), 0)
            expectEqual(try harness.bytes(count: 5), "Linux")
            expectEqual(harness.linux(LinuxSyscallNumber.uname.rawValue, ProcessHarnessLayout.readOnly), -14)
            expectEqual(harness.linux(LinuxSyscallNumber.prlimit64.rawValue, 0, 3, 0, Self.buffer), 0)
            #expect(try harness.word(at: Self.buffer) == 8 << 20)
            expectEqual(harness.linux(LinuxSyscallNumber.prlimit64.rawValue, 55, 3, 0, Self.buffer), -3)
            expectEqual(harness.linux(LinuxSyscallNumber.setRobustList.rawValue, Self.buffer, 23), -22)
            expectEqual(harness.linux(LinuxSyscallNumber.umask.rawValue, 0o77), 0o022)
            expectEqual(harness.linux(LinuxSyscallNumber.umask.rawValue, 0o22), 0o77)
            expectEqual(harness.linux(LinuxSyscallNumber.getpgrp.rawValue), 1)
        }
    }

    @Test func archPrctlSetsTheThreadPointerOnlyToAUserAddress() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            expectEqual(harness.linuxOutcome(LinuxSyscallNumber.archPrctl.rawValue, 0x1002, 0x7000_0000), .setsThreadPointer(0x7000_0000))
            expectEqual(harness.linux(LinuxSyscallNumber.archPrctl.rawValue, 0x1002, 0xFFFF_8000_0000_0000), -1)
            expectEqual(harness.linux(LinuxSyscallNumber.archPrctl.rawValue, 0x9999, 0), -22)
        }
    }

    @Test func execveReadsItsStringsOrRefusesThem() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            try harness.process.mm.copyOut(Array("/prog\0a1\0".utf8), to: VirtualAddress(Self.pathArea))
            let vector = Self.buffer + 0x200
            try harness.process.mm.copyOut((Self.pathArea.littleEndianBytes + (Self.pathArea + 6).littleEndianBytes + UInt64(0).littleEndianBytes), to: VirtualAddress(vector))
            expectEqual(harness.linuxOutcome(LinuxSyscallNumber.execve.rawValue, Self.pathArea, vector, 0), .execute(LinuxExec.Request(path: Array("/prog".utf8), arguments: [Array("/prog".utf8), Array("a1".utf8)], environment: [])))
            expectEqual(harness.linux(LinuxSyscallNumber.execve.rawValue, Self.pathArea, 8, 0), -14)
            expectEqual(harness.linux(LinuxSyscallNumber.execve.rawValue, 0, vector, 0), -14)
            try harness.process.mm.copyOut([0], to: VirtualAddress(Self.pathArea + 0x20))
            expectEqual(harness.linux(LinuxSyscallNumber.execve.rawValue, Self.pathArea + 0x20, vector, 0), -2)
        }
    }
}

extension ProcessHarness {
    /// Makes Linux system call `number`; its whole outcome.
    func linuxOutcome(_ number: UInt64, _ a: UInt64 = 0, _ b: UInt64 = 0, _ c: UInt64 = 0, _ d: UInt64 = 0, _ e: UInt64 = 0, _ f: UInt64 = 0,
                      machine: LinuxMachine = LinuxSyscallTests.machine) -> SyscallOutcome<HostMemory> {
        defer { process.fileSystem.settleReleases() }
        return LinuxSyscalls.serve(number, SyscallArguments(a, b, c, d, e, f), by: 1, in: &process, machine: machine)
    }

    /// Makes Linux system call `number`; what it returns.
    func linux(_ number: UInt64, _ a: UInt64 = 0, _ b: UInt64 = 0, _ c: UInt64 = 0, _ d: UInt64 = 0, _ e: UInt64 = 0, _ f: UInt64 = 0,
               machine: LinuxMachine = LinuxSyscallTests.machine) -> Int64 {
        guard case .returns(let value) = linuxOutcome(number, a, b, c, d, e, f, machine: machine) else {
            Issue.record("Linux call \(number) did not return")
            return .min
        }
        return value
    }

    func linuxOpen(_ path: String, flags: UInt64) throws -> Int64 {
        try process.mm.copyOut(Array(path.utf8) + [0], to: VirtualAddress(LinuxSyscallTests.pathArea))
        return linux(LinuxSyscallNumber.openat.rawValue, UInt64(bitPattern: -100), LinuxSyscallTests.pathArea, flags)
    }

    func linuxWrite(_ fd: Int64, _ text: String) throws -> Int64 {
        try process.mm.copyOut(Array(text.utf8), to: VirtualAddress(LinuxSyscallTests.buffer + 0x1000))
        return linux(LinuxSyscallNumber.write.rawValue, UInt64(bitPattern: fd), LinuxSyscallTests.buffer + 0x1000, UInt64(text.utf8.count))
    }

    func word(at address: UInt64) throws -> UInt64 {
        var bytes = [UInt8](repeating: 0, count: 8)
        try bytes.withUnsafeMutableBytes { try process.mm.copyIn(from: VirtualAddress(address), into: $0) }
        return UInt64(littleEndianBytes: bytes, at: 0)
    }
}
