import ApusCore
@testable import ApusTool
import Foundation
import Testing

/// The scratch images a process keeps (``DiskTemplates``): a copy holds what mkfs wrote, as
/// sparse as the original; a host file changed since is a different image; a disk no run
/// wrote keeps its stamp.
@Suite("Disk templates")
struct DiskTemplatesTests {
    static func entries(in folder: URL) throws -> [RunDisk.Entry] {
        try Data("one\n".utf8).write(to: folder.appendingPathComponent("one"))
        try Data(repeating: 0xA5, count: 300_000).write(to: folder.appendingPathComponent("big"))
        return [RunDisk.Entry(path: Array("one".utf8), source: Array(folder.appendingPathComponent("one").path.utf8)),
                RunDisk.Entry(path: Array("d".utf8), source: nil),
                RunDisk.Entry(path: Array("d/big".utf8), source: Array(folder.appendingPathComponent("big").path.utf8)),
                RunDisk.Entry(path: Array("two".utf8), source: nil, linkTarget: Array("one".utf8))]
    }

    static func allocatedBytes(_ url: URL) -> Int {
        var status = stat()
        return stat(url.path, &status) == 0 ? Int(status.st_blocks) * 512 : -1
    }

    /// The first bytes of an image, where mkfs writes the superblock, bitmaps and tables.
    static func head(_ url: URL) throws -> Data {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        return try handle.read(upToCount: 8 << 20) ?? Data()
    }

    @Test func aCopyHoldsWhatMkfsWroteAndStaysSparse() throws {
        let folder = try TemporaryFolder()
        let entries = try Self.entries(in: folder.url)
        let key = try #require(DiskTemplates.key(entries: entries, geometry: "keos"))
        let templates = DiskTemplates()
        let made = folder.url.appendingPathComponent("made.img"), copied = folder.url.appendingPathComponent("copied.img")
        #expect(try !templates.copy(key, to: copied), "nothing kept yet")
        try RunDisk.make(at: made, entries: entries, durable: false)
        templates.keep(key, from: made)
        #expect(try templates.copy(key, to: copied))
        #expect(try Data(contentsOf: made, options: .alwaysMapped).count == Data(contentsOf: copied, options: .alwaysMapped).count)
        #expect(try Self.head(made) == Self.head(copied))
        #expect(Self.allocatedBytes(copied) <= Self.allocatedBytes(made) + 4096, "the holes stay holes")
        expectEqual(RunDisk.problems(of: copied), [])
        expectEqual(RunDisk.pathsByInode(of: copied), RunDisk.pathsByInode(of: made))
        expectEqual(templates.problems(key, checking: copied), [])
    }

    @Test func anImageOfBigFilesIsNotKept() throws {
        let folder = try TemporaryFolder()
        let big = folder.url.appendingPathComponent("big")
        try Data(repeating: 0x5A, count: DiskTemplates.largestKept + 1).write(to: big)
        let entries = [RunDisk.Entry(path: Array("big".utf8), source: Array(big.path.utf8))]
        let key = try #require(DiskTemplates.key(entries: entries, geometry: "keos"))
        let made = folder.url.appendingPathComponent("made.img")
        try RunDisk.make(at: made, entries: entries, durable: false)
        let templates = DiskTemplates()
        templates.keep(key, from: made)
        #expect(try !templates.copy(key, to: folder.url.appendingPathComponent("copied.img")), "made anew, not held")
    }

    @Test func aChangedHostFileIsAnotherImage() throws {
        let folder = try TemporaryFolder()
        let entries = try Self.entries(in: folder.url)
        let before = try #require(DiskTemplates.key(entries: entries, geometry: "keos"))
        expectEqual(DiskTemplates.key(entries: entries, geometry: "keos"), before, "the same files: the same image")
        #expect(DiskTemplates.key(entries: entries, geometry: "other") != before)
        try Data("One\n".utf8).write(to: folder.url.appendingPathComponent("one"))
        #expect(DiskTemplates.key(entries: entries, geometry: "keos") != before, "same size, new bytes")
        try FileManager.default.removeItem(at: folder.url.appendingPathComponent("big"))
        expectEqual(DiskTemplates.key(entries: entries, geometry: "keos"), nil, "a file that is gone: no key")
    }

    @Test func aWriteChangesTheImagesIdentityAndACheckDoesNot() throws {
        let folder = try TemporaryFolder()
        let image = folder.url.appendingPathComponent("disk.img")
        try RunDisk.make(at: image, entries: Self.entries(in: folder.url), durable: false)
        let stamp = try #require(BuildFingerprint.identity(of: image.path))
        _ = RunDisk.problems(of: image)
        expectEqual(BuildFingerprint.identity(of: image.path), stamp, "the checker only reads")
        usleep(20_000) // past the host's coarsest timestamp tick
        let handle = try FileHandle(forWritingTo: image)
        try handle.seek(toOffset: 4096)
        try handle.write(contentsOf: Data([1]))
        try handle.close()
        #expect(BuildFingerprint.identity(of: image.path) != stamp)
    }
}
