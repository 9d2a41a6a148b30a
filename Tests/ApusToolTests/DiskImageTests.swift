import ApusCore
@testable import ApusTool
import Foundation
import Testing

/// `apus mkfs` and `apus fsck` on image files: the images they make, what they refuse, and
/// what the checker says of a clean, a damaged and a half-written image.
@Suite("Disk images: mkfs and fsck")
struct DiskImageTests {
    /// A host folder holding `a.txt`, `sub/big` (300,000 bytes), `sub/deeper/y` and an
    /// empty folder `empty`.
    static func hostTree(in folder: TemporaryFolder) throws -> URL {
        let tree = folder.url.appendingPathComponent("tree")
        try LinuxBuiltPrograms.make(["a.txt": Data("hello\n".utf8), "sub/big": LinuxBuiltPrograms.bytes(300_000, seed: 7),
                                     "sub/deeper/y": Data("x\n".utf8), "empty": nil], at: tree)
        return tree
    }

    /// The failure `body` ends with, or `nil` when it succeeds (another error fails the test).
    static func failure(_ body: () throws -> Void) -> ImageCommandFailure? {
        do { try body() } catch let error as ImageCommandFailure { return error } catch { Issue.record("not an ImageCommandFailure: \(error)") }
        return nil
    }

    @Test func mkfsCopiesAFoldersTreeIntoASparseKeOSImageThatFsckFindsClean() throws {
        let folder = try TemporaryFolder()
        let tree = try Self.hostTree(in: folder)
        let image = folder.url.appendingPathComponent("disk.img").path
        let summary = try ImageMaking().make(at: image, from: tree.path)
        #expect(summary.tree.fileCount == 3 && summary.tree.directoryCount == 3)
        expectEqual(summary.describe(image, from: "tree"), "\(image): a KeOS file system of 250000 blocks of 4 KiB and 32768 inodes, with a journal, in a file of 262400 blocks holding 3 files and 3 directories from tree")
        let device = try FileBlockDevice(openingImageAt: image)
        expectEqual(device.blockCount, 262_400, "1 GiB + 1 MiB, as KeOS's tools make it")
        #expect(device.allocatedBytes < 4 << 20, "the image stays sparse")
        let report = try ImageCheck.check(image)
        expectEqual(report.problems, [])
        expectEqual(report.summary, "\(image): clean; 250000 blocks, 32768 inodes, with a journal; in use: 7 of 32768 inodes, 81 of 243844 data blocks")
        let opened = try DiskImage(openingImageAt: image, writable: false)
        expectEqual(try opened.fileSystem.contents(of: Array("/sub/big".utf8)), Array(LinuxBuiltPrograms.bytes(300_000, seed: 7)))
        expectEqual(try opened.fileSystem.contents(of: Array("/sub/deeper/y".utf8)), Array("x\n".utf8))
        expectEqual(try opened.fileSystem.status(Array("/empty".utf8), from: 1).type, .directory)
    }

    @Test func linksToFilesAreCopiedAndLinksToFoldersAndSocketsAreLeftOutAndNamed() throws {
        let folder = try TemporaryFolder()
        let tree = try Self.hostTree(in: folder)
        expectEqual(symlink("a.txt", tree.appendingPathComponent("to-a").path), 0)
        expectEqual(symlink("sub", tree.appendingPathComponent("to-sub").path), 0)
        expectEqual(mkfifo(tree.appendingPathComponent("fifo").path, 0o644), 0)
        let read = try HostTree.read(tree.path)
        #expect(read.items.contains(.file(path: Array("/to-a".utf8), contents: Array("hello\n".utf8))))
        expectEqual(read.leftOut, ["\(tree.path)/fifo: neither a file nor a folder", "\(tree.path)/to-sub: a symbolic link to a folder (not followed)"])
        expectEqual(read.items.first, .file(path: Array("/a.txt".utf8), contents: Array("hello\n".utf8)), "entries in byte order")
    }

    @Test func mkfsRefusesToReplaceAnExistingFileUnlessForcedAndThenReplacesItWhole() throws {
        let folder = try TemporaryFolder()
        let image = folder.url.appendingPathComponent("disk.img").path
        try Data("precious".utf8).write(to: URL(fileURLWithPath: image))
        let refused = Self.failure { _ = try ImageMaking().make(at: image, from: nil) }
        expectEqual(refused, ImageCommandFailure(.usage, "\(image) exists; give --force to replace it with a new image"))
        expectEqual(refused?.exitStatus, 2)
        expectEqual(try Data(contentsOf: URL(fileURLWithPath: image)), Data("precious".utf8), "untouched")
        var forced = ImageMaking()
        forced.replacesExisting = true
        forced.blockCount = 8_000
        _ = try forced.make(at: image, from: nil)
        expectEqual(try ImageCheck.check(image).problems, [])
        expectEqual(try FileManager.default.contentsOfDirectory(atPath: folder.url.path), ["disk.img"], "no temporary file left")
    }

    @Test func theGeometryOptionsReachTheSuperblock() throws {
        let folder = try TemporaryFolder()
        let image = folder.url.appendingPathComponent("small.img").path
        var making = ImageMaking()
        making.blockCount = 5_000
        making.inodeCount = 64
        making.hasJournal = false
        _ = try making.make(at: image, from: nil)
        let device = try FileBlockDevice(openingImageAt: image)
        expectEqual(device.blockCount, 5_000)
        let superblock = try #require(try device.read(block: 1).withUnsafeBytes { Superblock($0) })
        expectEqual(superblock.geometry, FileSystemGeometry(blockCount: 5_000, inodeCount: 64, hasJournal: false))
        expectEqual(try ImageCheck.check(image).summary?.contains("5000 blocks, 64 inodes, without a journal"), true)
    }

    @Test func aGeometryThatCannotBeIsAUsageErrorAndMakesNoFile() throws {
        let folder = try TemporaryFolder()
        let image = folder.url.appendingPathComponent("x.img").path
        var making = ImageMaking()
        making.blockCount = 10
        expectEqual(Self.failure { _ = try making.make(at: image, from: nil) }, ImageCommandFailure(.usage, "cannot make that file system: 10 blocks leave no room for data after 6149 blocks of metadata"))
        making.blockCount = nil
        making.inodeCount = 0
        expectEqual(Self.failure { _ = try making.make(at: image, from: nil) }?.kind, .usage)
        #expect(!FileManager.default.fileExists(atPath: image))
        expectEqual(Self.failure { _ = try ImageMaking().make(at: image, from: folder.url.appendingPathComponent("none").path) }, ImageCommandFailure(.usage, "\(folder.url.path)/none: no such folder"))
    }

    @Test func aTreeThatDoesNotFitIsAProblemAndLeavesNoImage() throws {
        let folder = try TemporaryFolder()
        let tree = try Self.hostTree(in: folder)
        let image = folder.url.appendingPathComponent("tiny.img").path
        var making = ImageMaking()
        making.blockCount = 60
        making.inodeCount = 16
        making.hasJournal = false
        let failure = Self.failure { _ = try making.make(at: image, from: tree.path) }
        expectEqual(failure, ImageCommandFailure(.problem, "the files of \(tree.path) do not fit in \(making.geometry.dataBlockCount) data blocks and 16 inodes (NoSpace): give more --blocks or --inodes"))
        expectEqual(failure?.exitStatus, 1)
        expectEqual(try FileManager.default.contentsOfDirectory(atPath: folder.url.path), ["tree"])
    }

    @Test func aNameKeOSCannotHoldIsAProblemNamingThePath() throws {
        let folder = try TemporaryFolder()
        let tree = folder.url.appendingPathComponent("tree")
        try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
        let long = String(repeating: "n", count: 252)
        try Data().write(to: tree.appendingPathComponent(long))
        let failure = Self.failure { _ = try ImageMaking().make(at: folder.url.appendingPathComponent("d.img").path, from: tree.path) }
        expectEqual(failure, ImageCommandFailure(.problem, "\(tree.path)/\(long): a KeOS file system cannot hold this name: a name is longer than 251 bytes (NameTooLong)"))
    }

    @Test func fsckNamesEachProblemOfADamagedImageAndAMissingImageIsAUsageError() throws {
        let folder = try TemporaryFolder()
        let image = folder.url.appendingPathComponent("disk.img").path
        var making = ImageMaking()
        making.blockCount = 8_000
        _ = try making.make(at: image, from: try Self.hostTree(in: folder).path)
        // The superblock's count of used inodes, one too many.
        let device = try FileBlockDevice(openingImageAt: image)
        var superblock = try device.read(block: 1)
        superblock[32] += 1
        try device.write(block: 1, bytes: superblock)
        expectEqual(try ImageCheck.check(image).problems, ["superblock: counts 8 inodes in use, the bitmap marks 7"])
        expectEqual(try ImageCheck.check(image).summary, nil)
        try device.write(block: 1, bytes: [UInt8](repeating: 0, count: 4096))
        expectEqual(try ImageCheck.check(image).problems, ["block 1: no KeOSFFS magic, not a KeOS file system"])
        expectEqual(Self.failure { _ = try ImageCheck.check(folder.url.appendingPathComponent("none.img").path) }?.exitStatus, 2)
        expectEqual(Self.failure { _ = try ImageCheck.check(folder.url.path) }, ImageCommandFailure(.usage, "\(folder.url.path) is not a disk image file (a folder)"))
    }

    @Test func fsckSaysWhatAReplayOfACommittedJournalWouldChangeAndChangesNothing() throws {
        let folder = try TemporaryFolder()
        let image = try ImageFilesTests.imageWithCommittedJournal(in: folder)
        let before = try Data(contentsOf: URL(fileURLWithPath: image))
        let problems = try ImageCheck.check(image).problems
        expectEqual(problems.count, 1, "\(problems)")
        #expect(problems.first?.hasPrefix("journal: transaction ") == true && problems.first?.contains("is committed but not checkpointed (a mount replays it): it logs ") == true, "\(problems)")
        expectEqual(try Data(contentsOf: URL(fileURLWithPath: image)), before, "fsck reads only")
    }
}
