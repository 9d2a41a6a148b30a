import Foundation
import Testing

/// The file system calls' test programs (`fscalls`, `fshostile`) on Linux through the shim:
/// `fscalls` prints what ABI.md §6 says except on the lines where Linux is known to differ
/// (each difference is listed here, with Linux's answer), and `fshostile` ends normally,
/// answers every bad pointer with BadAddress and leaves nothing behind.
@Suite("The file system calls on Linux, through the shim")
struct FileSystemCallsOnLinuxTests {
    /// What `fscalls` prints on Apus (the system tests hold Apus to it).
    static let expectedOnApus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ApusSystemTests/Fixtures/fscalls.expected")

    /// The lines where Linux answers otherwise than ABI.md §6, by their label, with Linux's
    /// answer: it takes names of up to 255 bytes and any bytes but `/` and NUL, and the test
    /// starts the program in a scratch folder rather than at `/`.
    static let linuxAnswers: [String: String] = [
        "starts in /": "no",
        "create a name of 252 bytes": "0", "mkdir a name of 252 bytes": "0", "stat a name of 252 bytes": "NoSuchEntry",
        "create a name with byte 0xff": "0", "create a name with an overlong /": "0",
        "create a name with a surrogate": "0", "create a name cut inside a character": "0",
        "create a name past U+10FFFF": "0", "mkdir a name that is not UTF-8": "0",
        "stat a name that is not UTF-8": "NoSuchEntry",
    ]

    /// Lines that list directory r in readdir's order: Linux's order is its own (a hash on
    /// ext4), so these are compared as sets of names, after `.` and `..`.
    static func isReaddirOrderLine(_ line: String, after previous: String) -> Bool {
        line.hasPrefix("readdir of r, one at a time:") || previous == "readdir 3: 3" || previous == "readdir 32 (the rest): 18"
    }

    @Test func fscallsPrintsWhatTheContractSaysWhereLinuxAgrees() throws {
        let folder = try LinuxBuiltPrograms.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let finished = try LinuxBuiltPrograms.program("fscalls", [folder.path], in: folder)
        expectEqual(finished.status, 0, "\(finished.stderr)")
        let expected = try String(contentsOf: Self.expectedOnApus, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let found = finished.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        expectEqual(found.count, expected.count, "\(finished.text)")
        var orderedNames: [String] = [], foundNames: [String] = []
        for (index, (apus, linux)) in zip(expected, found).enumerated() {
            let previous = index > 0 ? expected[index - 1] : ""
            if Self.isReaddirOrderLine(apus, after: previous) {
                orderedNames += apus.split(separator: " ").map(String.init).filter { $0.hasPrefix("e") && $0 != "entries" }
                foundNames += linux.split(separator: " ").map(String.init).filter { $0.hasPrefix("e") && $0 != "entries" }
                // The same label; `..` right after `.` on both.
                expectEqual(linux.split(separator: ":").count, apus.split(separator: ":").count)
                #expect(linux.hasPrefix("  .. ") == apus.hasPrefix("  .. ") && linux.hasPrefix(apus.prefix(while: { $0 != ":" && $0 != "e" })))
                continue
            }
            let label = apus.components(separatedBy: ": ").first ?? apus
            if label == "stat r (22 entries)" {
                // 4096 times the blocks on Apus; Linux's own size for a directory.
                #expect(linux.hasPrefix("stat r (22 entries): type 1 size "), "\(linux)")
                continue
            }
            let wanted = Self.linuxAnswers[label].map { "\(label): \($0)" } ?? apus
            expectEqual(linux, wanted, "line \(index + 1)")
        }
        expectEqual(foundNames.sorted(), orderedNames.sorted(), "the same names, in Linux's order")
        #expect(try LinuxBuiltPrograms.tree(at: folder).isEmpty, "fscalls removes what it made")
    }

    @Test func fshostileGetsAnErrorForEveryBadPointerAndLeavesNothingBehind() throws {
        let folder = try LinuxBuiltPrograms.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let finished = try LinuxBuiltPrograms.program("fshostile", [folder.path], in: folder)
        expectEqual(finished.status, 0, "\(finished.stderr)")
        let lines = Set(finished.text.split(separator: "\n").map(String.init))
        let everyCallBadAddress = "create BadAddress, mkdir BadAddress, stat BadAddress, open BadAddress, chdir BadAddress, unlink BadAddress"
        for expected in [
            "path NULL: \(everyCallBadAddress)", "path in the kernel half: \(everyCallBadAddress)",
            "path past the canonical hole: \(everyCallBadAddress)",
            "readdir 2 entries into a buffer whose second runs off the mapping: BadAddress",
            "readdir into the kernel half: BadAddress", "readdir past the canonical hole: BadAddress",
            "readdir 1 at the very end of the user half: BadAddress",
            "stat into a record half in read-only memory: BadAddress", "  its writable half untouched: yes",
            "readdir into a record half in read-only memory: BadAddress", "  its writable part untouched: yes",
            "stat into read-only memory: BadAddress", "stat into the last 32 bytes of the user half: BadAddress",
            "readdir 18446744073709551615 entries into one page: BadAddress",
            "readdir 69874030582233151 entries into one page: BadAddress",
            "readdir 16 entries into one page: BadAddress",
            "chain of 200 directories made", "stat the bottom by one path: 0", "removed 201 of 201",
            "unlink fshostile.d: 0",
        ] {
            #expect(lines.contains(expected), "missing: \(expected)\n\(finished.text)")
        }
        // A failed readdir hands out nothing: the next call starts with `.`.
        #expect(finished.text.contains("then readdir 1 into its first: 1\n  which is .\n"))
        #expect(try LinuxBuiltPrograms.tree(at: folder).isEmpty)
    }

    @Test func fshostileRacingProcessesEndAndEveryNameIsAccountedFor() throws {
        let folder = try LinuxBuiltPrograms.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let finished = try LinuxBuiltPrograms.program("fshostile", [folder.path, "race"], in: folder)
        expectEqual(finished.status, 0, "\(finished.stderr)")
        let lines = finished.text.split(separator: "\n").map(String.init)
        expectEqual(lines.filter { $0.hasPrefix("process ") }.count, 16, "four calls of four processes")
        #expect(lines.contains("unlink race: 0") && lines.last == "unlink fshostile.d: 0", "\(finished.text)")
        #expect(try LinuxBuiltPrograms.tree(at: folder).isEmpty)
    }
}

/// `fshostile fill` on a small tmpfs of its own (mounting one needs the right to, as root in
/// CI has): the disk filled to NoSpace, every file holding exactly what its writes returned.
@Suite("A full disk on Linux, through the shim",
       .enabled(if: SmallDisk.canMount, "needs the right to mount a tmpfs (root)"))
struct FullDiskOnLinuxTests {
    @Test func fillingTheDiskEndsInNoSpaceWithEveryWrittenByteReadable() throws {
        let disk = try SmallDisk(megabytes: 40)
        defer { disk.remove() }
        let finished = try LinuxBuiltPrograms.program("fshostile", [disk.folder.path, "fill"], in: disk.folder)
        expectEqual(finished.status, 0, "\(finished.stderr)")
        #expect(finished.text.contains("the disk took 40 MiB in 1 files, then: NoSpace\n"), "\(finished.text)")
        for line in ["every file's size is what its writes returned: yes", "every byte reads back: yes",
                     "unlinked 1 of 1", "then a write of 1 MiB: 1048576", "unlink fshostile.d: 0"] {
            #expect(finished.text.contains(line + "\n"), "missing: \(line)")
        }
    }
}

/// A tmpfs of a few megabytes mounted on a scratch folder.
struct SmallDisk {
    let folder: URL

    init(megabytes: Int) throws {
        folder = try LinuxBuiltPrograms.scratchFolder()
        let mounted = try LinuxBuiltPrograms.host("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", folder.path], in: folder)
        guard mounted.status == 0 else { throw SmallDiskError(message: mounted.stderr) }
    }

    func remove() {
        _ = try? LinuxBuiltPrograms.host("/bin/umount", [folder.path], in: FileManager.default.temporaryDirectory)
        try? FileManager.default.removeItem(at: folder)
    }

    struct SmallDiskError: Error { var message: String }

    /// Whether this process may mount a tmpfs (tried once).
    static let canMount: Bool = {
        guard FileManager.default.isExecutableFile(atPath: "/bin/mount"), let disk = try? SmallDisk(megabytes: 1) else { return false }
        disk.remove()
        return true
    }()
}
