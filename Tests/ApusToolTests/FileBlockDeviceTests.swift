import ApusCore
import ApusTool
import Foundation
import Testing

/// A disk image file as a block device: mkfs makes a sparse KeOS image in it, fsck finds it
/// clean, and a second opening mounts it and finds the tree.
@Suite("Disk image files")
struct FileBlockDeviceTests {
    @Test func aKeOSImageInAFileIsSparseChecksCleanAndMountsAgain() throws {
        let folder = try TemporaryFolder()
        let image = folder.url.appendingPathComponent("disk.img").path
        let memory = HostMemory(byteCount: 48 << 20)
        let frames = FrameAllocator(memory: memory, range: memory.range)
        do {
            // 1 GiB + 1 MiB, KeOS's image.
            let device = try FileBlockDevice(creatingImageAt: image, blockCount: 262_400)
            let program = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 * 7 + 1) }
            try FileSystemImage.make(on: device, tree: [.file(path: Array("/bin/prog".utf8), contents: program), .directory(path: Array("/tmp".utf8))], frames: frames)
            #expect(device.allocatedBytes < 4 << 20, "the image stays sparse")
            expectEqual(FileSystemCheck.check(device), [])
        }
        let device = try FileBlockDevice(openingImageAt: image)
        expectEqual(device.blockCount, 262_400)
        let fileSystem = try FileSystem.mount(device, frames: frames)
        expectEqual(try fileSystem.contents(of: Array("/bin/prog".utf8)), (0..<300_000).map { UInt8(truncatingIfNeeded: $0 * 7 + 1) })
        try fileSystem.makeFile(Array("/tmp/note".utf8), contents: Array("kept\n".utf8))
        try fileSystem.unmount()
        let again = try FileSystem.mount(FileBlockDevice(openingImageAt: image), frames: frames)
        expectEqual(try again.contents(of: Array("/tmp/note".utf8)), Array("kept\n".utf8))
        expectEqual(try again.list(Array("/".utf8)).map { String(decoding: $0.entry.name, as: UTF8.self) }, [".", "..", "bin", "tmp"])
        try again.unmount()
    }

    @Test func anImageOfWholeBlocksAndATailIsReadAndWrittenByTheBlock() throws {
        let folder = try TemporaryFolder()
        let image = folder.url.appendingPathComponent("short.img").path
        #expect(FileManager.default.createFile(atPath: image, contents: Data(repeating: 7, count: 4096 * 2 + 100)))
        let device = try FileBlockDevice(openingImageAt: image)
        expectEqual(device.blockCount, 2)
        expectEqual(try device.read(block: 2), [UInt8](repeating: 7, count: 4096))
        try device.write(block: 1, bytes: [UInt8](repeating: 9, count: 4096))
        try device.flush()
        expectEqual(try device.read(block: 1), [UInt8](repeating: 9, count: 4096))
    }

    @Test func aMissingImageIsAToolError() {
        #expect(throws: ToolError.self) { try FileBlockDevice(openingImageAt: "/nonexistent/disk.img") }
    }
}
