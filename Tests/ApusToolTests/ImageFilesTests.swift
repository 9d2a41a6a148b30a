import ApusCore
@testable import ApusTool
import Foundation
import Testing

/// `apus ls` and `apus cp` on image files: listings exactly as the guest's `ls` prints them,
/// files copied in and out byte for byte, images only read when only read, and the `apus`
/// command's exit statuses.
@Suite("Disk images: ls and cp")
struct ImageFilesTests {
    /// An image of 8,000 blocks holding the tree of ``DiskImageTests/hostTree(in:)``.
    static func image(in folder: TemporaryFolder) throws -> String {
        let image = folder.url.appendingPathComponent("disk.img").path
        var making = ImageMaking()
        making.blockCount = 8_000
        _ = try making.make(at: image, from: try DiskImageTests.hostTree(in: folder).path)
        return image
    }

    /// An image whose journal holds a committed transaction that was never checkpointed (it
    /// creates `/late`): the writes after the commit point never reached the file.
    static func imageWithCommittedJournal(in folder: TemporaryFolder) throws -> String {
        let image = try image(in: folder)
        let file = try FileBlockDevice(openingImageAt: image)
        let cut = CutAfterCommit(over: file, journal: try #require(FileSystemGeometry(blockCount: 8_000, inodeCount: 32_768, hasJournal: true).journal))
        let memory = HostMemory(byteCount: 64 << 20)
        let fileSystem = try FileSystem.mount(cut, frames: FrameAllocator(memory: memory, range: memory.range))
        try fileSystem.makeFile(Array("/late".utf8), contents: Array("late\n".utf8))
        try fileSystem.sync()
        #expect(cut.isCut)
        return image
    }

    /// Passes writes on until the journal's superblock is written with its commit flag set,
    /// and drops every write after that one: a power cut right after the commit point.
    final class CutAfterCommit: BlockDevice {
        let below: FileBlockDevice
        let journal: JournalFormat
        private(set) var isCut = false
        init(over below: FileBlockDevice, journal: JournalFormat) { self.below = below; self.journal = journal }
        var blockCount: UInt64 { below.blockCount }
        func read(block: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(KernelError) { try below.read(block: block, into: buffer) }
        func write(block: UInt64, from buffer: UnsafeRawBufferPointer) throws(KernelError) {
            guard !isCut else { return }
            try below.write(block: block, from: buffer)
            if block == journal.superblock, buffer[8] == 1 { isCut = true }
        }
        func flush() throws(KernelError) { if !isCut { try below.flush() } }
    }

    static func listing(_ image: String, _ paths: [String], all: Bool = false, long: Bool = false, unsorted: Bool = false) throws -> (text: String, problems: [String]) {
        var listing = ImageListing()
        listing.showsAll = all
        listing.longFormat = long
        listing.directoryOrder = unsorted
        let opened = try DiskImage(openingImageAt: image, writable: false)
        let result = listing.list(paths.map { Array($0.utf8) }, in: opened.fileSystem)
        return (String(decoding: result.output, as: UTF8.self), result.problems)
    }

    @Test func lsPrintsWhatTheGuestsLsPrints() throws {
        let folder = try TemporaryFolder()
        let image = try Self.image(in: folder)
        expectEqual(try Self.listing(image, ["/"]).text, "a.txt\nempty\nsub\n")
        expectEqual(try Self.listing(image, ["/"], all: true, long: true).text, """
            d        1    4         4096 .
            d        1    4         4096 ..
            -        2    1            6 a.txt
            d        3    2         4096 empty
            d        4    3         4096 sub

            """)
        expectEqual(try Self.listing(image, ["sub/big", "/sub"], long: true).text, "-        5    1       300000 sub/big\n\n/sub:\n-        5    1       300000 big\nd        6    2         4096 deeper\n")
        let missing = try Self.listing(image, ["/a.txt", "/nope", "/a.txt/x"])
        expectEqual(missing.text, "/a.txt\n")
        expectEqual(missing.problems, ["/nope: no such file or directory (NoSuchEntry)", "/a.txt/x: a component of the path is not a directory (NotDirectory)"])
    }

    @Test func lsOrdersNamesAsTheGuestsLsDoesOnTheHost() throws {
        let folder = try TemporaryFolder()
        let tree = folder.url.appendingPathComponent("tree/d")
        try LinuxBuiltPrograms.make(["B": Data(), "a": Data(), "a1": Data(), ".hidden": Data(), "_x": nil, "Ü": Data()], at: tree)
        let image = folder.url.appendingPathComponent("disk.img").path
        var making = ImageMaking()
        making.blockCount = 8_000
        _ = try making.make(at: image, from: tree.deletingLastPathComponent().path)
        for flags in [[], ["-a"]] {
            let guest = try LinuxBuiltPrograms.program("ls", flags + ["d"], in: tree.deletingLastPathComponent())
            expectEqual(try Self.listing(image, ["d"], all: flags == ["-a"]).text, guest.text)
        }
    }

    @Test func lsOfAnImageWithACommittedJournalShowsTheReplayAndLeavesTheFileAsItWas() throws {
        let folder = try TemporaryFolder()
        let image = try Self.imageWithCommittedJournal(in: folder)
        let before = try Data(contentsOf: URL(fileURLWithPath: image))
        expectEqual(try Self.listing(image, ["/"]).text, "a.txt\nempty\nlate\nsub\n")
        expectEqual(try Data(contentsOf: URL(fileURLWithPath: image)), before)
        let copiedOut = folder.url.appendingPathComponent("late").path
        _ = try ImageCopy.copy(.image(file: image, path: Array("/late".utf8)), to: .host(copiedOut))
        expectEqual(try String(contentsOfFile: copiedOut, encoding: .utf8), "late\n")
        expectEqual(try Data(contentsOf: URL(fileURLWithPath: image)), before, "copying out only reads")
    }

    @Test func cpCopiesFilesInAndOutByteForByte() throws {
        let folder = try TemporaryFolder()
        let image = try Self.image(in: folder)
        let host = folder.url.appendingPathComponent("data.bin")
        let bytes = LinuxBuiltPrograms.bytes(1_000_003, seed: 3)
        try bytes.write(to: host)
        _ = try ImageCopy.copy(.host(host.path), to: ImageCopy.operand("\(image):/sub/data.bin"))
        _ = try ImageCopy.copy(.host(host.path), to: ImageCopy.operand("\(image):/empty/"))
        _ = try ImageCopy.copy(.host(host.path), to: ImageCopy.operand("\(image):/sub/deeper"))
        expectEqual(try ImageCheck.check(image).problems, [])
        for path in ["/sub/data.bin", "/empty/data.bin", "/sub/deeper/data.bin"] {
            let out = folder.url.appendingPathComponent("out")
            _ = try ImageCopy.copy(ImageCopy.operand("\(image):\(path)"), to: .host(out.path))
            expectEqual(try Data(contentsOf: out), bytes, "\(path)")
        }
        // A file is replaced, and a host folder receives the file under its name.
        try Data("short".utf8).write(to: host)
        _ = try ImageCopy.copy(.host(host.path), to: ImageCopy.operand("\(image):/sub/data.bin"))
        let outFolder = folder.url.appendingPathComponent("outdir")
        try FileManager.default.createDirectory(at: outFolder, withIntermediateDirectories: true)
        expectEqual(try ImageCopy.copy(ImageCopy.operand("\(image):sub/data.bin"), to: .host(outFolder.path)), "\(image):/sub/data.bin -> \(outFolder.path)/data.bin (5 bytes)")
        expectEqual(try String(contentsOf: outFolder.appendingPathComponent("data.bin"), encoding: .utf8), "short")
        expectEqual(try ImageCheck.check(image).problems, [])
    }

    @Test func cpProblemsNameThePathAndChangeNothing() throws {
        let folder = try TemporaryFolder()
        let image = try Self.image(in: folder)
        let host = folder.url.appendingPathComponent("note")
        try Data("n".utf8).write(to: host)
        let before = try Data(contentsOf: URL(fileURLWithPath: image))
        func failure(_ source: String, _ target: String) -> ImageCommandFailure? {
            DiskImageTests.failure { _ = try ImageCopy.copy(ImageCopy.operand(source), to: ImageCopy.operand(target)) }
        }
        expectEqual(failure(host.path, "\(image):/nodir/note"), ImageCommandFailure(.problem, "\(image):/nodir/note: no such file or directory (NoSuchEntry)"))
        expectEqual(failure(host.path, "\(image):/a.txt/"), ImageCommandFailure(.problem, "\(image):/a.txt/: a component of the path is not a directory (NotDirectory)"))
        expectEqual(failure("\(image):/sub", host.path), ImageCommandFailure(.problem, "\(image):/sub is a directory: apus cp copies files"))
        expectEqual(failure("\(image):/none", host.path), ImageCommandFailure(.problem, "\(image):/none: no such file or directory (NoSuchEntry)"))
        expectEqual(failure(host.path, folder.url.appendingPathComponent("other").path)?.kind, .usage)
        expectEqual(failure("\(image):/a.txt", "\(image):/b")?.kind, .usage)
        expectEqual(failure(folder.url.appendingPathComponent("missing").path, "\(image):/x")?.kind, .usage)
        expectEqual(try Data(contentsOf: URL(fileURLWithPath: image)), before)
        expectEqual(try String(contentsOf: host, encoding: .utf8), "n")
    }

    @Test func anOperandIsInAnImageWhenTheTextBeforeAColonIsAnImageFile() throws {
        let folder = try TemporaryFolder()
        let odd = folder.url.appendingPathComponent("a:b")
        try FileManager.default.createDirectory(at: odd, withIntermediateDirectories: true)
        let image = odd.appendingPathComponent("x:y.img").path
        try Data().write(to: URL(fileURLWithPath: image))
        expectEqual(ImageCopy.operand("\(image):/p:q"), .image(file: image, path: Array("/p:q".utf8)))
        expectEqual(ImageCopy.operand("\(image):"), .image(file: image, path: Array("/".utf8)))
        expectEqual(ImageCopy.operand("\(odd.path)/none:/p"), .host("\(odd.path)/none:/p"))
        expectEqual(ImageCopy.operand("\(odd.path):/p"), .host("\(odd.path):/p"), "a folder is no image")
    }

    // MARK: - The apus command

    /// The `apus` executable SwiftPM builds beside the tests.
    static let apus = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("apus")

    static func apus(_ arguments: [String], in folder: TemporaryFolder) throws -> LinuxBuiltPrograms.Finished {
        try LinuxBuiltPrograms.run(apus, arguments, in: folder.url)
    }

    @Test func theImageCommandsExitWith0WhenDone1ForAProblemAnd2ForTheCommandLine() throws {
        let folder = try TemporaryFolder()
        _ = try DiskImageTests.hostTree(in: folder)
        let made = try Self.apus(["mkfs", "--blocks", "8000", "disk.img", "tree"], in: folder)
        #expect(made.status == 0 && made.text == "disk.img: a KeOS file system of 8000 blocks of 4 KiB and 32768 inodes, with a journal, in a file of 8000 blocks holding 3 files and 3 directories from tree\n", "\(made.stderr)")
        let again = try Self.apus(["mkfs", "disk.img"], in: folder)
        #expect(again.status == 2 && again.stderr == "apus mkfs: disk.img exists; give --force to replace it with a new image\n")
        let clean = try Self.apus(["fsck", "disk.img"], in: folder)
        #expect(clean.status == 0 && clean.text.hasPrefix("disk.img: clean; "), "\(clean.stderr)")
        let listed = try Self.apus(["ls", "-la", "disk.img", "/sub/deeper", "/none"], in: folder)
        expectEqual(listed.status, 1)
        expectEqual(listed.text, "/sub/deeper:\nd        6    2         4096 .\nd        4    3         4096 ..\n-        7    1            2 y\n")
        expectEqual(listed.stderr, "apus ls: disk.img:/none: no such file or directory (NoSuchEntry)\n")
        let copied = try Self.apus(["cp", "tree/a.txt", "disk.img:/copy"], in: folder)
        #expect(copied.status == 0 && copied.text.isEmpty && copied.stderr.isEmpty, "\(copied.stderr)")
        expectEqual(try Self.apus(["cp", "disk.img:/copy", "back"], in: folder).status, 0)
        expectEqual(try String(contentsOf: folder.url.appendingPathComponent("back"), encoding: .utf8), "hello\n")
        expectEqual(try Self.apus(["cp", "disk.img:/nowhere", "back"], in: folder).status, 1)

        // Damage: a used inode counted twice.
        let device = try FileBlockDevice(openingImageAt: folder.url.appendingPathComponent("disk.img").path)
        var superblock = try device.read(block: 1)
        superblock[32] += 1
        try device.write(block: 1, bytes: superblock)
        let damaged = try Self.apus(["fsck", "disk.img"], in: folder)
        #expect(damaged.status == 1 && damaged.text == "superblock: counts 9 inodes in use, the bitmap marks 8\n" && damaged.stderr == "apus fsck: disk.img: 1 problem\n")

        for usage in [["fsck", "none.img"], ["ls", "none.img"], ["cp", "a", "b"], ["mkfs"], ["mkfs", "--blocks", "ten", "x.img"], ["ls", "--bogus", "disk.img"]] {
            let finished = try Self.apus(usage, in: folder)
            expectEqual(finished.status, 2, "\(usage): \(finished.stderr)")
            #expect(!finished.stderr.isEmpty && finished.text.isEmpty, "\(usage)")
        }
    }
}
