@testable import ApusTool
import Foundation
import Testing

/// The benchmark's file rows on the host: the program's rows through the Linux shim, the
/// modules a Linux machine loads to reach its disk, and the disks themselves.
@Suite("apus bench: the file rows")
struct BenchFileRowsTests {
    /// The file rows, in the order the program prints them.
    static let fileRows = ["file-read-cold", "file-read-warm", "file-create-write-fsync-unlink", "file-fsync",
                           "file-create-unlink", "file-stat", "file-readdir"]

    @Test func theProgramsFileRowsRunOnThisHostThroughTheShimAndLeaveOnlyTheData() throws {
        let folder = try LinuxBuiltPrograms.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("bench-data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        for number in 1...BenchDisks.dataFileCount(short: true) {
            try BenchDisks.dataFileContents(size: BenchDisks.dataFileSize(short: true)).write(to: data.appendingPathComponent("seq-\(number)"))
        }
        let (finished, output) = try LinuxBuiltPrograms.bench(["files", "short"], in: folder)
        expectEqual(finished.status, 0, "\(finished.text)")
        #expect(output.isComplete, "\(finished.text)")
        expectEqual(output.rows.map(\.name), Self.fileRows)
        expectEqual(output.rows.first { $0.name == "file-readdir" }?.label, "readdir of 100 entries")
        expectEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(), ["bench", "bench-data"])
    }

    @Test func withoutItsDataTheProgramSaysWhatIsMissing() throws {
        let folder = try LinuxBuiltPrograms.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (finished, output) = try LinuxBuiltPrograms.bench(["files", "short"], in: folder)
        expectEqual(finished.status, 1)
        expectEqual(output.failure, "open of a data file (the tool puts bench-data/seq-N on the disk): -2")
    }

    /// A kernel image whose boot header names `release`, as a bzImage's does.
    static func kernelImage(release: String, in folder: URL) throws -> URL {
        var header = [UInt8](repeating: 0, count: 0x1000)
        header.replaceSubrange(0x202..<0x206, with: Array("HdrS".utf8))
        let offset = 0x300
        header[0x20E] = UInt8(offset & 0xFF)
        header[0x20F] = UInt8(offset >> 8)
        let version = Array("\(release) (someone@host) #1 SMP".utf8) + [0]
        header.replaceSubrange(0x200 + offset..<0x200 + offset + version.count, with: version)
        let url = folder.appendingPathComponent("vmlinuz")
        try Data(header).write(to: url)
        return url
    }

    @Test func theModulesComeFromTheKernelsReleaseFolderEachAfterWhatItNeeds() throws {
        let folder = try LinuxBuiltPrograms.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let release = "6.1.0-57-amd64"
        let modules = folder.appendingPathComponent(release)
        try FileManager.default.createDirectory(at: modules, withIntermediateDirectories: true)
        try """
            kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
            kernel/drivers/virtio/virtio_ring.ko:
            kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
            kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
            kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko
            kernel/fs/jbd2/jbd2.ko:
            kernel/fs/mbcache.ko:
            kernel/lib/crc16.ko:
            kernel/fs/xfs/xfs.ko: kernel/lib/libcrc32c.ko

            """.write(to: modules.appendingPathComponent("modules.dep"), atomically: true, encoding: .utf8)
        try "kernel/crypto/crc32c_generic.ko\n".write(to: modules.appendingPathComponent("modules.builtin"), atomically: true, encoding: .utf8)
        let found = try LinuxModules.find(for: Self.kernelImage(release: release, in: folder), in: folder)
        expectEqual(found.release, release)
        #expect(found.missing.isEmpty, "crc32c_generic is built in")
        expectEqual(found.files.map { $0.path.replacingOccurrences(of: modules.path + "/", with: "") }, [
            "kernel/drivers/virtio/virtio_ring.ko", "kernel/drivers/virtio/virtio.ko", "kernel/drivers/virtio/virtio_pci.ko",
            "kernel/drivers/block/virtio_blk.ko", "kernel/lib/crc16.ko", "kernel/fs/mbcache.ko", "kernel/fs/jbd2/jbd2.ko", "kernel/fs/ext4/ext4.ko",
        ])
        let other = try LinuxModules.find(for: Self.kernelImage(release: "5.10.0-1-amd64", in: folder), in: folder)
        #expect(other.files.isEmpty && other.missing == LinuxModules.wanted, "no folder for that release")
        try Data("not a kernel".utf8).write(to: folder.appendingPathComponent("bogus"))
        #expect(throws: ToolError.self) { try LinuxModules.find(for: folder.appendingPathComponent("bogus"), in: folder) }
    }

    @Test func theDataFilesHoldNoZeroBlock() {
        let data = BenchDisks.dataFileContents(size: 1 << 20)
        #expect(data.count == 1 << 20)
        #expect(stride(from: 0, to: data.count, by: 4096).allSatisfy { data[$0..<$0 + 4096].contains { $0 != 0 } })
    }

    @Test func linuxsDiskIsAnExt4ImageOfKeOSsSizeHoldingTheDataFiles() throws {
        guard let mkfs = BenchDisks.mkfsExt4, FileManager.default.isExecutableFile(atPath: "/usr/sbin/debugfs") || FileManager.default.isExecutableFile(atPath: "/sbin/debugfs") else {
            print("skipped: no mkfs.ext4 and debugfs on this host (apt-get install e2fsprogs)")
            return
        }
        let folder = try LinuxBuiltPrograms.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let tree = folder.appendingPathComponent("tree/bench-data")
        try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
        try BenchDisks.dataFileContents(size: 1 << 20).write(to: tree.appendingPathComponent("seq-1"))
        let image = folder.appendingPathComponent("ext4.img")
        try BenchDisks.makeExt4(at: image, from: tree.deletingLastPathComponent(), mkfs: mkfs)
        #expect(try FileManager.default.attributesOfItem(atPath: image.path)[.size] as? UInt64 == BenchDisks.imageBytes)
        let listing = LockedData()
        let debugfs = FileManager.default.isExecutableFile(atPath: "/usr/sbin/debugfs") ? "/usr/sbin/debugfs" : "/sbin/debugfs"
        expectEqual(try runReadingOutput(URL(fileURLWithPath: debugfs), ["-R", "stat /bench-data/seq-1", image.path], onData: listing.append), 0)
        #expect(String(decoding: listing.data, as: UTF8.self).contains("Size: 1048576"), "\(String(decoding: listing.data, as: UTF8.self))")
    }
}
