import ApusCore
import Testing

/// `rename`, `renameat`, `renameat2`, `link` and `linkat` in the Linux table: their decoding
/// (a directory descriptor for each path, the flags), Linux's −errno answers, and the link
/// counts `fstat` then reports.
@Suite("Linux rename and link")
struct LinuxRenameLinkTests {
    static let first = LinuxSyscallTests.pathArea
    static let second = LinuxSyscallTests.pathArea + 0x100
    static let atCurrentDirectory = UInt64(bitPattern: -100)

    static func paths<P: Pager>(_ harness: ProcessHarness<P>, _ a: String, _ b: String) throws {
        try harness.process.mm.copyOut(Array((a + "\0").utf8), to: VirtualAddress(first))
        try harness.process.mm.copyOut(Array((b + "\0").utf8), to: VirtualAddress(second))
    }

    static func linkCount<P: Pager>(_ harness: ProcessHarness<P>, _ path: String) throws -> Int64 {
        try harness.process.mm.copyOut(Array((path + "\0").utf8), to: VirtualAddress(first))
        guard harness.linux(LinuxSyscallNumber.stat.rawValue, first, LinuxSyscallTests.buffer) == 0 else { return -1 }
        return Int64(try harness.word(at: LinuxSyscallTests.buffer + 16))
    }

    @Test func renameMovesAFileAndRenameat2WithNoReplaceRefusesAnExistingName() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            expectEqual(try harness.linuxOpen("a", flags: 0o101), 3)
            expectEqual(try harness.linuxOpen("b", flags: 0o101), 4)
            try Self.paths(harness, "a", "c")
            expectEqual(harness.linux(LinuxSyscallNumber.rename.rawValue, Self.first, Self.second), 0)
            expectEqual(try harness.linuxOpen("a", flags: 0), -2, "the old name is gone")
            try Self.paths(harness, "c", "b")
            expectEqual(harness.linux(LinuxSyscallNumber.renameat2.rawValue, Self.atCurrentDirectory, Self.first, Self.atCurrentDirectory, Self.second, 1), -17)
            expectEqual(harness.linux(LinuxSyscallNumber.renameat2.rawValue, Self.atCurrentDirectory, Self.first, Self.atCurrentDirectory, Self.second, 2), -22,
                        "RENAME_EXCHANGE is not offered")
            #expect(try harness.linuxOpen("c", flags: 0) >= 0, "a refused rename changes nothing")
            expectEqual(harness.linux(LinuxSyscallNumber.renameat.rawValue, Self.atCurrentDirectory, Self.first, Self.atCurrentDirectory, Self.second), 0,
                        "renameat replaces an existing file")
            expectEqual(harness.linux(LinuxSyscallNumber.rename.rawValue, 0x10, Self.second), -14)
        }
    }

    @Test func renameatAndLinkatWalkEachPathFromItsOwnDirectoryDescriptor() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            try Self.paths(harness, "d", "e")
            expectEqual(harness.linux(LinuxSyscallNumber.mkdir.rawValue, Self.first), 0)
            expectEqual(harness.linux(LinuxSyscallNumber.mkdir.rawValue, Self.second), 0)
            let file = try harness.linuxOpen("d/f", flags: 0o101)
            #expect(file >= 0)
            let d = try harness.linuxOpen("d", flags: 0o200000), e = try harness.linuxOpen("e", flags: 0o200000)
            try Self.paths(harness, "f", "g")
            expectEqual(harness.linux(LinuxSyscallNumber.linkat.rawValue, UInt64(d), Self.first, UInt64(e), Self.second, 0), 0)
            expectEqual(try Self.linkCount(harness, "d/f"), 2)
            try Self.paths(harness, "f", "g")
            expectEqual(harness.linux(LinuxSyscallNumber.linkat.rawValue, UInt64(d), Self.first, UInt64(e), Self.second, 0), -17)
            expectEqual(harness.linux(LinuxSyscallNumber.linkat.rawValue, UInt64(d), Self.first, UInt64(e), Self.second, 0x1000), -22)
            expectEqual(harness.linux(LinuxSyscallNumber.linkat.rawValue, UInt64(file), Self.first, UInt64(e), Self.second, 0), -20,
                        "a file's descriptor is no directory")
            try Self.paths(harness, "f", "h")
            expectEqual(harness.linux(LinuxSyscallNumber.renameat.rawValue, UInt64(d), Self.first, UInt64(e), Self.second), 0)
            expectEqual(try Self.linkCount(harness, "e/h"), 2, "e/g and e/h name the same file")
            expectEqual(try Self.linkCount(harness, "d/f"), -1)
            try Self.paths(harness, "d", "e/sub")
            expectEqual(harness.linux(LinuxSyscallNumber.link.rawValue, Self.first, Self.second), -1, "a directory gets no second name")
            expectEqual(harness.linux(LinuxSyscallNumber.rename.rawValue, Self.first, Self.second), 0)
            expectEqual(try Self.linkCount(harness, "e"), 3, "e holds the moved directory")
        }
    }
}

/// `chmod` and `chown` on a disk that keeps neither modes nor owners: the mode `stat` reports
/// and root's ids are accepted and change nothing; anything else is `EPERM`; a missing file
/// is `ENOENT`.
@Suite("Linux chmod and chown")
struct LinuxModeAndOwnerTests {
    @Test func theModeAndOwnerStatReportsAreAcceptedAndAnyOtherIsNotPermitted() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let text = try harness.linuxOpen("text", flags: 0o101)
            try LinuxRenameLinkTests.paths(harness, "text", "missing")
            let first = LinuxRenameLinkTests.first, second = LinuxRenameLinkTests.second
            expectEqual(harness.linux(LinuxSyscallNumber.chmod.rawValue, first, 0o100644), 0)
            expectEqual(harness.linux(LinuxSyscallNumber.chmod.rawValue, first, 0o755), -1)
            expectEqual(harness.linux(LinuxSyscallNumber.fchmod.rawValue, UInt64(text), 0o644), 0)
            expectEqual(harness.linux(LinuxSyscallNumber.fchmod.rawValue, 99, 0o644), -9)
            expectEqual(harness.linux(LinuxSyscallNumber.chmod.rawValue, second, 0o644), -2)
            expectEqual(harness.linux(LinuxSyscallNumber.fchmodat.rawValue, LinuxRenameLinkTests.atCurrentDirectory, first, 0o644, 0), 0)
            try LinuxRenameLinkTests.paths(harness, "/", "missing")
            expectEqual(harness.linux(LinuxSyscallNumber.chmod.rawValue, first, 0o40755), 0, "a directory is rwxr-xr-x")
            expectEqual(harness.linux(LinuxSyscallNumber.chown.rawValue, first, 0, 0), 0)
            expectEqual(harness.linux(LinuxSyscallNumber.chown.rawValue, first, UInt64(UInt32.max), 0), 0, "-1 keeps the owner")
            expectEqual(harness.linux(LinuxSyscallNumber.chown.rawValue, first, 1000, 0), -1)
            expectEqual(harness.linux(LinuxSyscallNumber.fchown.rawValue, UInt64(text), 0, 5), -1)
            expectEqual(harness.linux(LinuxSyscallNumber.fchownat.rawValue, LinuxRenameLinkTests.atCurrentDirectory, second, 0, 0, 0), -2)
        }
    }
}
