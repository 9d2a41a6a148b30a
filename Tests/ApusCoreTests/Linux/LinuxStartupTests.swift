import ApusCore
import Testing

/// How a Linux program starts (ABI.md §7): its personality from its header, the System V
/// start-up stack with argc, argv, envp and the auxiliary vector, and its break; and the
/// rules of parents and children that `wait4` reads (ChildWaits.swift).
@Suite("Linux programs at start, and their children")
struct LinuxStartupTests {
    /// A program whose first segment loads its headers (so AT_PHDR has an address).
    static func linuxProgram(osABI: UInt8 = 3) -> [UInt8] {
        var builder = ELFBuilder.typical
        builder.osABI = osABI
        builder.segments.insert(.init(flags: 4, offset: 0, virtualAddress: 0x400000, fileSize: 0x200, memorySize: 0x200), at: 0)
        return builder.bytes()
    }

    static let context = ProgramLaunch.LinuxContext(environment: [Array("HOME=/".utf8), Array("TERM=dumb".utf8)],
                                                    executableName: Array("/bin/prog".utf8), random: Array(1...16), hardwareCapabilities: 0x178B_FBFF)

    static func word(_ mm: inout MmStruct<HostMemory, EagerPager>, _ address: UInt64) throws -> UInt64 {
        UInt64(littleEndianBytes: try mm.copyIn(count: 8, from: VirtualAddress(address)), at: 0)
    }

    static func string(_ mm: inout MmStruct<HostMemory, EagerPager>, _ address: UInt64) throws -> String {
        String(decoding: try mm.copyInCString(at: VirtualAddress(address), maximumLength: 100), as: UTF8.self)
    }

    @Test func theOSABIByteChoosesThePersonalityAndTheRunChoosesForUnmarkedPrograms() throws {
        expectEqual(Personality(osABI: 3), .linux)
        expectEqual(Personality(osABI: 0), .keos)
        expectEqual(Personality(osABI: 0, unmarked: .linux), .linux)
        expectEqual(Personality(osABI: 9, unmarked: .keos), .keos)
        expectEqual(Personality(name: "linux".utf8), .linux)
        expectEqual(Personality(name: "keos".utf8), .keos)
        expectEqual(Personality(name: "Linux".utf8), nil)
        try withMachine { machine in
            var mm = try machine.addressSpace()
            let start = try ProgramLaunch.load(TestFile(Self.linuxProgram(osABI: 0)), arguments: [Array("p".utf8)], into: &mm)
            expectEqual(start.personality, .keos)
            #expect(start.stack.stackPointer < UserStack.top, "KeOS's stack")
        }
    }

    @Test func aLinuxProgramGetsArgcArgvEnvpAndTheAuxiliaryVector() throws {
        try withMachine(megabytes: 16) { machine in
            var mm = try machine.addressSpace()
            let start = try ProgramLaunch.load(TestFile(Self.linuxProgram()), arguments: [Array("prog".utf8), Array("-x".utf8)],
                                               into: &mm, linux: Self.context)
            expectEqual(start.personality, .linux)
            expectEqual(start.programBreak, VirtualAddress(0x406000), "the page past the data and its BSS")
            let sp = start.stack.stackPointer
            #expect(sp % 16 == 0 && sp < LinuxStartupStack.top && sp > LinuxStartupStack.top - 4096)
            expectEqual(try Self.word(&mm, sp), 2)
            expectEqual(try Self.string(&mm, Self.word(&mm, sp + 8)), "prog")
            expectEqual(try Self.string(&mm, Self.word(&mm, sp + 16)), "-x")
            expectEqual(try Self.word(&mm, sp + 24), 0)
            expectEqual(try Self.string(&mm, Self.word(&mm, sp + 32)), "HOME=/")
            expectEqual(try Self.string(&mm, Self.word(&mm, sp + 40)), "TERM=dumb")
            expectEqual(try Self.word(&mm, sp + 48), 0)
            var auxiliary: [UInt64: UInt64] = [:]
            var slot = sp + 56
            while true {
                let type = try Self.word(&mm, slot)
                auxiliary[type] = try Self.word(&mm, slot + 8)
                slot += 16
                if type == 0 { break }
            }
            expectEqual(auxiliary[3], 0x400040, "AT_PHDR: the headers where the first segment loads them")
            expectEqual(auxiliary[4], 56)
            expectEqual(auxiliary[5], 3)
            expectEqual(auxiliary[6], 4096)
            expectEqual(auxiliary[9], 0x401000)
            #expect(auxiliary[11] == 0 && auxiliary[12] == 0 && auxiliary[13] == 0 && auxiliary[14] == 0 && auxiliary[23] == 0)
            expectEqual(auxiliary[16], 0x178B_FBFF)
            expectEqual(auxiliary[17], 100)
            expectEqual(try Self.string(&mm, auxiliary[31] ?? 0), "/bin/prog")
            expectEqual(try mm.copyIn(count: 16, from: VirtualAddress(auxiliary[25] ?? 0)), Array(1...16))
        }
    }

    @Test func stringsLargerThanTheStartupSpaceAreRefusedWithNothingMapped() throws {
        let huge = [[UInt8]](repeating: [UInt8](repeating: 0x61, count: 4000), count: 40)
        #expect(LinuxStartupStack.image(arguments: [[0x61]], environment: huge, executableName: [0x61],
                                        facts: .init(programHeaders: 0, programHeaderCount: 0, entry: 0, random: [], hardwareCapabilities: 0)) == nil)
        try withMachine(megabytes: 16) { machine in
            var mm = try machine.addressSpace()
            #expect(throws: KernelError.invalidArgument) {
                try LinuxStartupStack.build(arguments: [[0x61]], environment: huge, executableName: [0x61],
                                            facts: .init(programHeaders: 0, programHeaderCount: 0, entry: 0, random: [], hardwareCapabilities: 0), in: &mm)
            }
            expectEqual(mm.regionCount, 0)
        }
    }

    @Test func linuxStructuresHaveLinuxsLayout() {
        let stat = LinuxStructures.stat(.init(inode: 7, mode: 0o100644, linkCount: 1, size: 5000))
        expectEqual(stat.count, 144)
        expectEqual(UInt64(littleEndianBytes: stat, at: 8), 7)
        expectEqual(UInt32(littleEndianBytes: stat, at: 24), 0o100644)
        expectEqual(UInt64(littleEndianBytes: stat, at: 48), 5000)
        expectEqual(UInt64(littleEndianBytes: stat, at: 64), 10, "512-byte blocks")
        let entry = LinuxStructures.directoryEntry(inode: 3, next: 9, type: 0, name: Array("abc".utf8))
        #expect(entry.count == 24 && UInt16(littleEndianBytes: entry, at: 16) == 24 && entry[19...22] == [0x61, 0x62, 0x63, 0])
        expectEqual(LinuxStructures.utsname(LinuxStructures.systemNames).count, 390)
        expectEqual(LinuxStructures.canonicalTerminal.count, 36)
        #expect(LinuxStructures.timespec(nanoseconds: 2_000_000_003) == UInt64(2).littleEndianBytes + UInt64(3).littleEndianBytes)
        #expect(LinuxStructures.FileFacts.looksExecutable([0x7F, 0x45, 0x4C, 0x46]))
        #expect(LinuxStructures.FileFacts.looksExecutable(Array("#!/bin/sh".utf8)))
        #expect(!LinuxStructures.FileFacts.looksExecutable(Array("hello".utf8)))
        expectEqual(LinuxErrno(.badAddress).syscallReturnValue, -14)
        #expect(WaitStatus.exited(3).raw == 0x300 && WaitStatus.killed(by: Signal.kill, coreDumped: false).raw == 9)
    }

    @Test func aChildThatEndedIsReapedOnceAndOrphansAreAdopted() {
        var table = ProcessTable<Int>()
        table.startFirst(1)
        let shell = (try? table.fork(from: 1) { _ in 2 })!
        let child = (try? table.fork(from: shell) { _ in 3 })!
        let grandchild = (try? table.fork(from: child) { _ in 4 })!
        expectEqual(table.reap(by: shell, .any, group: { _ in 0 }), .childrenRunning)
        expectEqual(table.reap(by: shell, .process(99), group: { _ in 0 }), .noChild)
        table.end(child, status: 0) { _ in }
        table.keep(ZombieProcess(id: child, parent: shell, group: 5, status: WaitStatus.exited(4).raw))
        expectEqual(table.entry(grandchild)?.parent, ProcessTable<Int>.firstProcessID, "adopted by the first process")
        expectEqual(table.reap(by: shell, .group(6), group: { _ in 0 }), .noChild)
        expectEqual(table.reap(by: shell, .group(5), group: { _ in 0 }), .reaped(ZombieProcess(id: child, parent: shell, group: 5, status: 0x400)))
        expectEqual(table.reap(by: shell, .any, group: { _ in 0 }), .noChild, "reaped once")
        table.keep(ZombieProcess(id: 42, parent: 77, group: 0, status: 0))
        #expect(table.zombies.isEmpty, "a zombie whose parent is gone is not kept")
        expectEqual(ChildSelector(pid: -1, callerGroup: 8), .any)
        expectEqual(ChildSelector(pid: 0, callerGroup: 8), .group(8))
        expectEqual(ChildSelector(pid: -8, callerGroup: 1), .group(8))
        expectEqual(ChildSelector(pid: 8, callerGroup: 1), .process(8))
    }

    @Test func killFindsAZombieUntilItIsReaped() {
        let zombie = ZombieProcess(id: ProcessID(7), parent: ProcessID(2), group: 5, status: 0)
        #expect(zombie.isFound(by: .process(7)))
        #expect(!zombie.isFound(by: .process(8)))
        #expect(zombie.isFound(by: .group(5)))
        #expect(!zombie.isFound(by: .group(7)))
        #expect(zombie.isFound(by: .everyone))
        #expect(!zombie.isFound(by: .thread(7, process: nil)), "its threads are gone")
    }
}
