import ApusCore
import Foundation

/// The disks of the benchmark's file rows, made once for all the rounds: each holds the same
/// data files (`bench-data/seq-1` … `seq-N`, ``BenchDisks/dataFileSize`` each, bytes that are
/// not zeros, so no file system can skip them), and the same size, KeOS's image of
/// 1 GiB + 1 MiB.
///
/// * Apus's, with a journal and without one: KeOS file systems made by the core's own mkfs
///   (``ImageMaking``).
/// * Linux's: ext4, made by this host's `mkfs.ext4` with its defaults (a journal; Linux
///   mounts it `data=ordered`), the inode tables and the journal written out by mkfs
///   (`lazy_itable_init=0,lazy_journal_init=0`) so that no background thread of Linux's
///   finishes them while the rows run.
///
/// A run leaves each disk as it found it (the program removes what it makes), so every round
/// boots with the same disk, and every boot starts with cold caches.
public struct BenchDisks {
    public var apusWithJournal: URL
    public var apusWithoutJournal: URL
    /// `nil` when this host has no `mkfs.ext4` (``ext4Problem`` says so).
    public var ext4: URL?
    public var ext4Problem: String?
    private let folder: ScratchFolder

    /// Each data file's size, and how many there are (one cold read each on Apus).
    public static func dataFileSize(short: Bool) -> Int { short ? 1 << 20 : 64 << 20 }
    public static func dataFileCount(short: Bool) -> Int { short ? 2 : 4 }
    /// The size of every disk: KeOS's image.
    public static var imageBytes: UInt64 { ImageMaking.keosImageBlocks * UInt64(BlockGeometry.blockSize) }

    /// Makes the disks in a private folder (Linux's only when `ext4`).
    public static func make(short: Bool, ext4: Bool) throws -> BenchDisks {
        let folder = try ScratchFolder(in: nil)
        do {
            let tree = folder.url.appendingPathComponent("tree")
            let data = tree.appendingPathComponent("bench-data")
            try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
            let contents = dataFileContents(size: dataFileSize(short: short))
            for number in 1...dataFileCount(short: short) {
                try contents.write(to: data.appendingPathComponent("seq-\(number)"))
            }
            var disks = BenchDisks(apusWithJournal: folder.url.appendingPathComponent("apus-journal.img"),
                                   apusWithoutJournal: folder.url.appendingPathComponent("apus-no-journal.img"), folder: folder)
            for (url, journal) in [(disks.apusWithJournal, true), (disks.apusWithoutJournal, false)] {
                var making = ImageMaking()
                making.hasJournal = journal
                do { _ = try making.make(at: url.path, from: tree.path) } catch { throw ToolError("the benchmark's Apus disk: \(error)") }
            }
            if ext4 {
                if let mkfs = Self.mkfsExt4 {
                    disks.ext4 = folder.url.appendingPathComponent("linux-ext4.img")
                    try makeExt4(at: disks.ext4!, from: tree, mkfs: mkfs)
                } else {
                    disks.ext4Problem = "no mkfs.ext4 on this host (apt-get install e2fsprogs): Linux runs without the file rows"
                }
            }
            try? FileManager.default.removeItem(at: tree)
            return disks
        } catch {
            folder.remove()
            throw error
        }
    }

    private init(apusWithJournal: URL, apusWithoutJournal: URL, folder: ScratchFolder) {
        self.apusWithJournal = apusWithJournal
        self.apusWithoutJournal = apusWithoutJournal
        self.folder = folder
    }

    /// Deletes the disks.
    public func remove() { folder.remove() }

    /// `mkfs.ext4` on `PATH` or where Debian keeps it.
    static var mkfsExt4: URL? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
        return path.map { URL(fileURLWithPath: $0).appendingPathComponent("mkfs.ext4") }.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    static func makeExt4(at image: URL, from tree: URL, mkfs: URL) throws {
        guard FileManager.default.createFile(atPath: image.path, contents: nil) else { throw ToolError("cannot make \(image.path)") }
        let handle = try FileHandle(forWritingTo: image)
        try handle.truncate(atOffset: imageBytes)
        try handle.close()
        let output = LockedData()
        let status = try runReadingOutput(mkfs, ["-q", "-F", "-b", "\(BlockGeometry.blockSize)", "-E", "lazy_itable_init=0,lazy_journal_init=0",
                                                 "-d", tree.path, image.path], onData: output.append)
        guard status == 0 else { throw ToolError("mkfs.ext4 failed (exit status \(status)): \(String(decoding: output.data, as: UTF8.self))") }
    }

    /// `size` bytes of a pattern with no zero block: 64 KiB that look random, repeated.
    static func dataFileContents(size: Int) -> Data {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        for index in chunk.indices {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            chunk[index] = UInt8(truncatingIfNeeded: state) | 1
        }
        var data = Data(capacity: size)
        while data.count < size { data.append(contentsOf: chunk.prefix(size - data.count)) }
        return data
    }
}
