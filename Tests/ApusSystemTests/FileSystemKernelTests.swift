import ApusCore
import ApusTool
import Foundation
import Testing

/// The file system inside the running kernel: the disk a run mounts, what it keeps across runs,
/// what it refuses, the page cache serving a second read from memory, and power cuts after the
/// n-th block write (`crash-after-writes`).
@Suite("The kernel's file system on its disk")
struct FileSystemKernelTests {
    typealias Scratch = FileSystemProgramTests.Scratch

    @Test func whatOneRunWritesTheNextRunFindsOnAKeptDisk() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        expectEqual(try FileSystemProgramTests.run(disk: scratch.disk, "mkdir", ["/kept"]).status, 0)
        expectEqual(try FileSystemProgramTests.run(disk: scratch.disk, "cp", ["hello.txt", "/kept/copy"]).status, 0)
        let listing = try FileSystemProgramTests.run(disk: scratch.disk, "ls", ["/kept"])
        expectEqual(String(decoding: listing.stdout, as: UTF8.self), "copy\n")
        let copy = try FileSystemProgramTests.run(disk: scratch.disk, "cat", ["/kept/copy"])
        let original = try FileSystemProgramTests.run(disk: scratch.disk, "cat", ["hello.txt"])
        #expect(copy.stdout == original.stdout && !copy.stdout.isEmpty)
    }

    @Test(arguments: [
        (offset: 0, bytes: [UInt8](repeating: 0, count: 8), reason: "no KeOSFFS magic"),
        (offset: 32, bytes: [99, 0, 0, 0, 0, 0, 0, 0], reason: "the inode bitmap marks"),
        (offset: 8, bytes: [0, 0, 0x10, 0, 0, 0, 0, 0], reason: "larger than the device"),
    ])
    func aDamagedImageIsRefusedWithItsReasonAndTheKernelGoesOn(offset: Int, bytes: [UInt8], reason: String) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let entries = try ProgramRun.diskEntries(programs: SystemUnderTest.programs.get(), data: UserlandBuild().dataFiles, extra: [])
        try RunDisk.make(at: scratch.disk, entries: entries)
        // Damage the superblock (block 1): its magic, its inode count in use, its block count.
        let image = try FileHandle(forUpdating: scratch.disk)
        try image.seek(toOffset: UInt64(offset))
        try image.write(contentsOf: Data(bytes))
        try image.close()
        let result = try SystemUnderTest.run("hello") { $0.disk = scratch.disk }
        expectEqual(result.runs, [.couldNotStart(.diskRefused)])
        #expect(result.shellStatus == 126 && result.stdout.isEmpty)
        #expect(result.logLines.contains { $0.contains("cannot be mounted") && $0.contains(reason) }, "kernel log:\n\(result.log)")
        #expect(!result.logLines.contains { $0.hasPrefix("PANIC") })
    }

    @Test func aMachineWithoutADiskSaysSoAndRunsNothing() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let argv = scratch.folder.appendingPathComponent("argv")
        try Data("hello\0hello\0".utf8).write(to: argv)
        let outcome = try SystemUnderTest.machine.run(kernel: SystemUnderTest.kernel.get(), commandLine: "run", modules: [(argv, "argv")])
        expectEqual(outcome.status, Machine.statusCannotRun)
        #expect(outcome.records.contains { $0.kind == .couldNotStart && $0.detail == RunRecord.StartFailure.noDisk.rawValue })
        #expect(outcome.logLines.contains { $0.contains("no disk") }, "kernel log:\n\(outcome.log)")
    }

    @Test func theSecondReadOfA16MiBFileComesFromMemory() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try FileSystemProgramTests.bytes(16 << 20, seed: 99).write(to: scratch.rootfs.appendingPathComponent("big"))
        let result = try SystemUnderTest.run("sha256sum", ["/big", "/big"], rootfs: [scratch.rootfs])
        expectNothingLeakedAndNoPanic(result)
        let host = try #require(FileSystemProgramTests.hostHashes(["big"], in: scratch.rootfs).first).replacingOccurrences(of: "  big", with: "")
        expectEqual(result.stdout, "\(host)  /big\n\(host)  /big\n")
        let pages = (16 << 20) / 4096
        let cache = try #require(result.pageCache.last)
        #expect(cache.reads < pages + pages / 16, "the file was read from the disk once (\(cache.reads) pages read)")
        #expect(cache.hits >= pages, "the second read was served from memory (\(cache.hits) lookups)")
    }

    /// The cut points: this many, spread from the workload's first block write to its last
    /// (128 with `APUS_LONG_TESTS=1`).
    static let cutPoints = TestTier.count(short: 10, long: 128)

    /// The block writes of the workload (`fsnested fsyncs 6` on a fresh disk), counted by a run
    /// whose cut never comes; nil when that run failed.
    static let workloadWrites: Int? = {
        guard let scratch = try? Scratch() else { return nil }
        defer { scratch.remove() }
        let run = try? SystemUnderTest.run("fsnested", ["fsyncs", "6"]) { run in
            run.disk = scratch.disk
            run.crashAfterWrites = ProgramRun.maximumCrashAfterWrites
        }
        let line = run?.logLines.first { $0.hasPrefix("power cut: never reached; the boot made ") }
        return line.flatMap { Int($0.split(separator: " ")[7]) }
    }()

    /// A power cut right after block write N, for N spread over the whole workload (from its
    /// first write to the one before its last): the next run mounts the disk (replaying a committed journal),
    /// every file fsynced before the cut is there whole, and the checker finds nothing.
    @Test(arguments: 0..<cutPoints)
    func aPowerCutAfterTheNthBlockWriteLeavesADiskThatMountsWithEveryFsyncedFile(point: Int) throws {
        let total = try #require(Self.workloadWrites, "the uncut run of the workload reported no block writes")
        #expect(total > Self.cutPoints, "the workload makes \(total) block writes")
        let writes = 1 + point * (total - 2) / (Self.cutPoints - 1)
        let scratch = try Scratch()
        defer { scratch.remove() }
        let cut = try SystemUnderTest.run("fsnested", ["fsyncs", "6"]) { run in
            run.disk = scratch.disk
            run.crashAfterWrites = writes
            run.checksDisk = false
        }
        #expect(!cut.logLines.contains { $0.hasPrefix("PANIC") })
        #expect(cut.powerWasCut, "the workload's \(total) writes reach write \(writes):\n\(cut.log)")
        let lines = cut.stdout.split(separator: "\n").map(String.init)
        let unlinked = Set(lines.filter { $0.hasPrefix("unlinked ") }.map { String($0.dropFirst(9)) })
        let promised = lines.filter { $0.hasPrefix("fsynced ") }.map { String($0.dropFirst(8)) }.filter { !unlinked.contains($0) }
        // A normal run: it mounts the disk, and the shared check runs the checker after it.
        let after = try SystemUnderTest.run("fsnested", ["verify", "6"]) { $0.disk = scratch.disk }
        expectNothingLeakedAndNoPanic(after)
        expectEqual(after.exitStatus, 0)
        for name in promised {
            #expect(after.stdout.contains("\(name): whole\n"), "\(name) was fsynced before the cut after write \(writes):\n\(after.stdout)")
        }
        #expect(!after.stdout.contains("damaged"), "\(after.stdout)")
    }
}

extension PagerDependent {
    /// The nested paths of the file system lock, each proved by a program: a user copy that
    /// faults file pages in while a file call holds the file system, and frame shortages that
    /// ask the caches for frames (clean pages dropped, dirty ones written back) while a program
    /// runs. The kernel must neither deadlock nor panic, and no program is refused memory the
    /// caches could give.
    @Suite("The file system's nested paths")
    struct FileSystemNestedPathTests {
        typealias Scratch = FileSystemProgramTests.Scratch
        /// A small machine, so that the page cache and a program's memory meet.
        static let smallMachine = 128

        @Test func aReadIntoAnUntouchedMappingOfItsOwnFileAndAWriteFromIt() throws {
            let scratch = try Scratch()
            defer { scratch.remove() }
            try FileSystemProgramTests.bytes(300_000, seed: 7).write(to: scratch.rootfs.appendingPathComponent("data"))
            try expectRunWithDisk("fsnested", ["mapcopy", "/data"], rootfs: scratch.rootfs, stdout: """
                read the file into its own untouched mapping: 300000
                write the mapping to a new file: 300000
                the copy is the file: yes
                unlink mapcopy.out: 0

                """)
        }

        @Test func aFrameShortageTakesCleanPagesFromTheCacheBeforeRefusingMemory() throws {
            let scratch = try Scratch()
            defer { scratch.remove() }
            try FileSystemProgramTests.bytes(32 << 20, seed: 8).write(to: scratch.rootfs.appendingPathComponent("big"))
            try expectRunWithDisk("fsnested", ["squeeze", "/big", "56"], rootfs: scratch.rootfs, memory: Self.smallMachine, stdout: """
                read 32 MiB
                touched 56 of 56 MiB

                """)
        }

        @Test func aFrameShortageHasDirtyPagesWrittenBackBeforeRefusingMemory() throws {
            try expectRunWithDisk("fsnested", ["dirty", "24", "56"], memory: Self.smallMachine, stdout: """
                wrote 24 MiB
                touched 56 of 56 MiB
                every byte reads back: yes
                unlink dirty.out: 0

                """)
        }

        /// Runs `program` on a new disk (with `rootfs`) on a machine of `memory` MiB, and expects
        /// exactly `stdout`, status 0, nothing leaked, no panic and a clean disk.
        func expectRunWithDisk(_ program: String, _ arguments: [String], rootfs: URL? = nil, memory: Int = Machine().memory,
                               stdout: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let result = try SystemUnderTest.run(program, arguments, rootfs: rootfs.map { [$0] } ?? []) { $0.machine.memory = memory }
            expectEqual(result.problem, nil, "kernel log:\n\(result.log)", sourceLocation: sourceLocation)
            expectEqual(result.stdout, stdout, sourceLocation: sourceLocation)
            expectEqual(result.exitStatus, 0, sourceLocation: sourceLocation)
            expectNothingLeakedAndNoPanic(result, sourceLocation: sourceLocation)
        }
    }
}
