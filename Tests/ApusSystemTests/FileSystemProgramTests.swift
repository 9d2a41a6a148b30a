import ApusCore
import ApusTool
import Foundation
import Testing

/// The file system's programs on Apus (ABI.md §6): the system calls one rule at a time
/// (`fscalls`), attacks on them (`fshostile`), and the shell tools on a disk kept across runs
/// (``ProgramRun/disk``): a tar round trip checked with sha256sum, `ls -l`, a file of 64 MiB,
/// 10,000 entries in one directory, a full disk. The programs that map files, fork or start
/// threads (`fscalls`, `fshostile`, `tar -c`) are in ``PagerDependent/FileSystemCallTests``.
@Suite("File system programs on Apus")
struct FileSystemProgramTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// One run on the disk image `disk` (made with the programs when it does not exist, kept
    /// after), as every system test runs (software emulation, the suite's pager); `input` is a
    /// file for standard input. Nothing leaks, nothing panics, and the checker finds nothing
    /// wrong with the disk afterwards.
    static func run(disk: URL, rootfs: URL? = nil, input: URL? = nil, _ program: String, _ arguments: [String] = [],
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> CommandTests.Finished {
        let standardInput = try input.map { try Data(contentsOf: $0) } ?? Data()
        let result = try SystemUnderTest.run(program, arguments, rootfs: rootfs.map { [$0] } ?? []) { run in
            run.disk = disk
            run.standardInput = standardInput
        }
        expectNothingLeakedAndNoPanic(result, sourceLocation: sourceLocation)
        return CommandTests.Finished(status: result.shellStatus, stdout: result.output, stderr: result.stderr)
    }

    /// A scratch folder with a disk image path (not made yet) and a folder for `--rootfs`.
    struct Scratch {
        let folder: URL
        var disk: URL { folder.appendingPathComponent("disk.img") }
        var rootfs: URL { folder.appendingPathComponent("rootfs") }
        init() throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("apus-fs-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("rootfs"), withIntermediateDirectories: true)
        }
        func remove() { try? FileManager.default.removeItem(at: folder) }
    }

    /// `count` bytes that look random and are the same on every run (xorshift64).
    static func bytes(_ count: Int, seed: UInt64) -> Data {
        var data = Data(count: (count + 7) / 8 * 8)
        var state = seed | 1
        data.withUnsafeMutableBytes { raw in
            for i in raw.bindMemory(to: UInt64.self).indices {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                raw.storeBytes(of: state, toByteOffset: i * 8, as: UInt64.self)
            }
        }
        return data.prefix(count)
    }

    /// The host's `sha256sum` lines for `names` (relative to `folder`).
    static func hostHashes(_ names: [String], in folder: URL) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = names
        process.currentDirectoryURL = folder
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// A host tar (`--format=ustar`, names sorted) of `names` in `folder`, written to `archive`.
    static func hostTar(_ names: [String], in folder: URL, to archive: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
        process.arguments = ["--format=ustar", "--sort=name", "-cf", archive.path] + names
        process.currentDirectoryURL = folder
        try process.run()
        process.waitUntilExit()
        expectEqual(process.terminationStatus, 0)
    }

    @Test func lsDashLIsExact() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try FileManager.default.createDirectory(at: scratch.rootfs.appendingPathComponent("lsdir/sub"), withIntermediateDirectories: true)
        try Data("13 bytes here".utf8).write(to: scratch.rootfs.appendingPathComponent("lsdir/b"))
        try Data().write(to: scratch.rootfs.appendingPathComponent("lsdir/a"))
        let root = try Self.run(disk: scratch.disk, rootfs: scratch.rootfs, "ls", ["-la", "/"])
        let listing = try Self.run(disk: scratch.disk, "ls", ["-la", "/lsdir"])
        expectEqual(listing.status, 0, "\(listing.stderr)")
        let rootLines = String(decoding: root.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
        let lines = String(decoding: listing.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
        func inode(_ line: String) -> UInt64? { line.split(separator: " ").dropFirst().first.flatMap { UInt64($0) } }
        func line(_ type: Character, _ inode: UInt64, _ size: UInt64, _ name: String) -> String {
            let i = String(inode), s = String(size)
            return "\(type) \(String(repeating: " ", count: max(0, 8 - i.count)))\(i) \(String(repeating: " ", count: max(0, 12 - s.count)))\(s) \(name)"
        }
        let rootSize = try #require(rootLines.first.flatMap { UInt64($0.split(separator: " ")[2]) })
        expectEqual(Array(rootLines.prefix(2)), [line("d", 1, rootSize, "."), line("d", 1, rootSize, "..")],
                    "the root is inode 1 and its own parent")
        let lsdirInode = try #require(rootLines.first { $0.hasSuffix(" lsdir") }.flatMap(inode))
        expectEqual(lines.count, 5)
        guard lines.count == 5 else { return }
        expectEqual(lines, [
            line("d", lsdirInode, 4096, "."), line("d", 1, rootSize, ".."),
            line("-", try #require(inode(lines[2])), 0, "a"), line("-", try #require(inode(lines[3])), 13, "b"),
            line("d", try #require(inode(lines[4])), 4096, "sub"),
        ])
        expectEqual(Set([lsdirInode, 1] + lines.dropFirst(2).compactMap(inode)).count, 5, "every inode number differs")
    }

    /// The size of the big file: deep in its double-indirect blocks either way (they start
    /// past 2 MiB and 48 KiB); 64 MiB with `APUS_LONG_TESTS=1`.
    static let bigFileMiB = TestTier.count(short: 8, long: 64)

    @Test func aFileOfManyMebibytesIsWrittenCopiedAndReadBack() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let source = scratch.folder.appendingPathComponent("source")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        try Self.bytes(Self.bigFileMiB << 20, seed: 64).write(to: source.appendingPathComponent("big"))
        let archive = scratch.folder.appendingPathComponent("big.tar")
        try Self.hostTar(["big"], in: source, to: archive)
        let written = try Self.run(disk: scratch.disk, input: archive, "tar", ["-x", "-C", "/"])
        expectEqual(written.status, 0, "\(written.stderr)")
        let copied = try Self.run(disk: scratch.disk, "cp", ["/big", "/big2"])
        expectEqual(copied.status, 0, "\(copied.stderr)")
        let hashes = try Self.run(disk: scratch.disk, "sha256sum", ["/big", "/big2"])
        let host = try #require(Self.hostHashes(["big"], in: source).first).replacingOccurrences(of: "  big", with: "")
        expectEqual(String(decoding: hashes.stdout, as: UTF8.self), "\(host)  /big\n\(host)  /big2\n")
    }

    @Test func tenThousandEntriesInOneDirectory() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let source = scratch.folder.appendingPathComponent("source")
        try FileManager.default.createDirectory(at: source.appendingPathComponent("many"), withIntermediateDirectories: true)
        let names = (0..<10_000).map { String(format: "entry%05d", $0) }
        for name in names { _ = FileManager.default.createFile(atPath: source.appendingPathComponent("many/\(name)").path, contents: nil) }
        let archive = scratch.folder.appendingPathComponent("many.tar")
        try Self.hostTar(["many"], in: source, to: archive)
        expectEqual(try Self.run(disk: scratch.disk, input: archive, "tar", ["-x", "-C", "/"]).status, 0)
        // Made in the archive's (sorted) order: readdir gives them back in that order.
        let unsorted = try Self.run(disk: scratch.disk, "ls", ["-U", "/many"])
        #expect(String(decoding: unsorted.stdout, as: UTF8.self) == names.joined(separator: "\n") + "\n")
        let removed = try Self.run(disk: scratch.disk, "rm", ["-r", "/many"])
        expectEqual(removed.status, 0, "\(removed.stderr)")
        let gone = try Self.run(disk: scratch.disk, "ls", ["/many"])
        #expect(gone.status == 1 && gone.stderr == "ls: /many: NoSuchEntry\n")
    }

    @Test func theDiskFilledToNoSpaceKeepsEveryByteItTook() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        // A disk of 64 MiB with the programs: filling KeOS's 1 GiB one would take minutes.
        let entries = try ProgramRun.diskEntries(programs: SystemUnderTest.programs.get(), data: UserlandBuild().dataFiles, extra: [])
        try RunDisk.make(at: scratch.disk, entries: entries, geometry: FileSystemGeometry(blockCount: 16_384, inodeCount: 1_024, hasJournal: true))
        let filled = try Self.run(disk: scratch.disk, "fshostile", ["/", "fill"])
        expectEqual(filled.status, 0, "\(filled.stderr)")
        let text = String(decoding: filled.stdout, as: UTF8.self)
        #expect(text.contains(", then: NoSpace\n"), "\(text)")
        for line in ["every file's size is what its writes returned: yes", "every byte reads back: yes", "then a write of 1 MiB: 1048576"] {
            #expect(text.contains(line + "\n"), "missing: \(line)")
        }
        // Nothing of it is left, and the image is still one the file system mounts.
        let listing = try Self.run(disk: scratch.disk, "ls", ["/"])
        #expect(listing.status == 0 && !String(decoding: listing.stdout, as: UTF8.self).contains("fshostile.d"))
    }
}

extension PagerDependent {
    /// The file system calls in programs that map files, fork and start threads: `fscalls`
    /// (every rule of ABI.md §6, one line each, against the fixture), two processes writing one
    /// file, `fshostile`'s attacks (pointers, counts, names, deep paths, odd states, and four
    /// processes racing on the same names), and a `tar` round trip (`tar -c` maps the files it
    /// archives).
    @Suite("File system calls in programs")
    struct FileSystemCallTests {
        static let fixtures = FileSystemProgramTests.fixtures

        @Test func tarRoundTripKeepsEveryFilesBytes() throws {
            let scratch = try FileSystemProgramTests.Scratch()
            defer { scratch.remove() }
            var names: [String] = []
            for (index, size) in [0, 1, 511, 512, 513, 4096, 100_000, 1 << 20].enumerated() {
                let name = "data/\(index % 2 == 0 ? "even" : "odd/deeper")/f\(size)"
                try FileManager.default.createDirectory(at: scratch.rootfs.appendingPathComponent(name).deletingLastPathComponent(), withIntermediateDirectories: true)
                try FileSystemProgramTests.bytes(size, seed: UInt64(size) + 11).write(to: scratch.rootfs.appendingPathComponent(name))
                names.append(name)
            }
            let archived = try FileSystemProgramTests.run(disk: scratch.disk, rootfs: scratch.rootfs, "tar", ["-c", "-f", "/data.tar", "/data"])
            expectEqual(archived.status, 0, "\(archived.stderr)")
            expectEqual(try FileSystemProgramTests.run(disk: scratch.disk, "mkdir", ["/out"]).status, 0)
            let extracted = try FileSystemProgramTests.run(disk: scratch.disk, "tar", ["-x", "-f", "/data.tar", "-C", "/out"])
            expectEqual(extracted.status, 0, "\(extracted.stderr)")
            let hashes = try FileSystemProgramTests.run(disk: scratch.disk, "sha256sum", names.map { "/data/" + $0.dropFirst(5) } + names.map { "/out/" + $0 })
            expectEqual(hashes.status, 0, "\(hashes.stderr)")
            let host = try FileSystemProgramTests.hostHashes(names, in: scratch.rootfs)
            let expected = host.map { $0.replacingOccurrences(of: "  data/", with: "  /data/") } + host.map { $0.replacingOccurrences(of: "  data/", with: "  /out/data/") }
            #expect(String(decoding: hashes.stdout, as: UTF8.self) == expected.joined(separator: "\n") + "\n")
            // The archive the kernel wrote is one GNU tar reads.
            let archive = try FileSystemProgramTests.run(disk: scratch.disk, "cat", ["/data.tar"])
            let copy = scratch.folder.appendingPathComponent("copy.tar")
            try archive.stdout.write(to: copy)
            let listing = Process()
            listing.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
            listing.arguments = ["-tf", copy.path]
            try listing.run()
            listing.waitUntilExit()
            expectEqual(listing.terminationStatus, 0)
        }

        @Test func fscallsFollowsEveryRuleOfTheContract() throws {
            let expected = try String(contentsOf: Self.fixtures.appendingPathComponent("fscalls.expected"), encoding: .utf8)
            _ = try expectRun("fscalls", stdout: expected)
        }

        @Test func twoProcessesWritingOneFileEachKeepTheirBlocks() throws {
            let result = try SystemUnderTest.run("fscalls")
            expectNothingLeakedAndNoPanic(result)
            #expect(result.stdout.contains("""
                -- two processes write one file
                create w: 0
                stat w: type 0 size 262144
                every block is its writer's: yes
                unlink w: 0

                """))
        }

        @Test func hostileCallsGetErrorsAndTheKernelGoesOn() throws {
            for mode in ["all", "race"] {
                let result = try SystemUnderTest.run("fshostile", ["/", mode])
                expectEqual(result.problem, nil, "kernel log:\n\(result.log)")
                expectNothingLeakedAndNoPanic(result)
                expectEqual(result.exitStatus, 0)
                #expect(result.stdout.hasSuffix("unlink fshostile.d: 0\n"), "\(result.stdout)")
                if mode == "all" {
                    // A path of 4,096 bytes or more is NameTooLong, as on Linux (docs/abi-choices.md).
                    for line in ["path NULL: create BadAddress, mkdir BadAddress, stat BadAddress, open BadAddress, chdir BadAddress, unlink BadAddress",
                                 "readdir 2 entries into a buffer whose second runs off the mapping: BadAddress",
                                 "stat into a record half in read-only memory: BadAddress", "  its writable half untouched: yes",
                                 "252 bytes: create NameTooLong, mkdir NameTooLong, stat NameTooLong, open NameTooLong, chdir NameTooLong, unlink NameTooLong",
                                 "stat ./ 3000 times then a: NameTooLong", "stat /../ 5000 times: NameTooLong", "removed 201 of 201",
                                 "unlink the current directory by its absolute path: 0", "create in it: NoSuchEntry",
                                 "readdir it after: 0", "write 1 byte past the largest size: NoSpace",
                                 "opened . 1021 times, then: TooManyOpenFile"] {
                        #expect(result.stdout.contains(line + "\n"), "missing: \(line)")
                    }
                }
            }
        }
    }
}
