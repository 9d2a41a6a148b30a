import ApusCore
import Testing

/// mkfs makes KeOS's layout and writes only blocks that are not all zero; fsck finds nothing
/// on what mkfs makes and names each kind of damage.
@Suite("mkfs and fsck")
struct MkfsFsckTests {
    @Test func theDefaultImageHasKeOSsLayout() throws {
        let machine = TestMachine(megabytes: 48)
        // 1 GiB + 1 MiB.
        let device = MemoryBlockDevice(blockCount: 262_400)
        try FileSystemImage.make(on: device, frames: machine.frames)
        let geometry = FileSystemGeometry.keos
        #expect(geometry.inodeBitmapBlocks == 1 && geometry.blockBitmapBlocks == 8 && geometry.inodeTableBlocks == 2_048)
        expectEqual(geometry.journal?.start, 11)
        expectEqual(geometry.firstDataBlock, 6_157)
        // Only the blocks that hold something were written.
        expectEqual(device.nonZeroBlocks, [1, 2, 3, 11, geometry.inodeTableStart, 6_157])
        let superblock = device.contents(of: 1)
        expectEqual(Array(superblock[0..<8]), Array("KeOSFFS\0".utf8))
        expectEqual([8, 16, 24, 32, 40].map { UInt64(littleEndianBytes: superblock, at: $0) }, [250_000, 1, 32_768, 1, 1])
        #expect(superblock[48...].allSatisfy { $0 == 0 })
        let root = device.contents(of: geometry.inodeTableStart)
        expectEqual(Array(root[0..<8]), Array("KeOSFFSI".utf8))
        #expect(UInt32(littleEndianBytes: root, at: 8) == 1 && UInt32(littleEndianBytes: root, at: 12) == 1)
        #expect(UInt64(littleEndianBytes: root, at: 16) == 4096 && UInt64(littleEndianBytes: root, at: 24) == 2)
        expectEqual(UInt64(littleEndianBytes: root, at: 32), 6_157)
        let directory = device.contents(of: 6_157)
        expectEqual(Array(directory[0..<6]), [1, 0, 0, 0, 1, UInt8(ascii: ".")])
        expectEqual(Array(directory[256..<263]), [1, 0, 0, 0, 2, UInt8(ascii: "."), UInt8(ascii: ".")])
        expectEqual(FileSystemCheck.check(device), [])
    }

    @Test func anImageFilledFromATreePassesFsckAndHoldsTheTree() throws {
        let tree: [FileSystemImage.Item] = [
            .directory(path: path("/bin")), .file(path: path("/bin/hello"), contents: pattern(70_000)),
            .file(path: path("/etc/deep/er/motd"), contents: Array("hi\n".utf8)), .directory(path: path("/empty")),
            .file(path: path("/zeros"), contents: [UInt8](repeating: 0, count: 10_000)),
        ]
        let disk = try DiskMachine(tree: tree)
        expectEqual(disk.problems, [])
        let fs = try disk.mount()
        expectEqual(try fs.contents(of: path("/bin/hello")), pattern(70_000))
        expectEqual(try fs.contents(of: path("/etc/deep/er/motd")), Array("hi\n".utf8))
        expectEqual(try fs.names("/"), [".", "..", "bin", "etc", "empty", "zeros"])
        expectEqual(try fs.contents(of: path("/zeros")), [UInt8](repeating: 0, count: 10_000))
        try fs.unmount()
    }

    @Test func mkfsRefusesAGeometryThatDoesNotFitTheDevice() throws {
        let machine = TestMachine(megabytes: 8)
        let device = MemoryBlockDevice(blockCount: 1_000)
        #expect(throws: KernelError.invalidArgument) { try FileSystemImage.make(on: device, geometry: .keos, frames: machine.frames) }
        #expect(throws: KernelError.invalidArgument) {
            try FileSystemImage.make(on: device, geometry: FileSystemGeometry(blockCount: 1_000, inodeCount: 0, hasJournal: false), frames: machine.frames)
        }
        #expect(device.nonZeroBlocks.isEmpty)
    }

    // MARK: - Damage fsck names

    /// A disk with /d/f (a file of 3 blocks) and /d/e (a directory), unmounted.
    static func damaged(_ change: (MemoryBlockDevice, FileSystem<HostMemory>) throws -> Void) throws -> [String] {
        let disk = try DiskMachine(tree: [.file(path: path("/d/f"), contents: pattern(10_000)), .directory(path: path("/d/e"))])
        let fs = try disk.mount()
        try change(disk.device, fs)
        return disk.problems
    }

    static func edit(_ device: MemoryBlockDevice, block: UInt64, _ body: (inout [UInt8]) -> Void) {
        var bytes = device.contents(of: block)
        body(&bytes)
        device.damage(block: block, with: bytes)
    }

    static func editInode(_ device: MemoryBlockDevice, _ number: UInt32, _ body: (inout [UInt8], Int) -> Void) {
        let place = smallGeometry.place(ofInode: number)
        edit(device, block: place.block) { body(&$0, place.offset) }
    }

    static func inodeNumber(_ fs: FileSystem<HostMemory>, _ text: String) throws -> UInt32 {
        UInt32(try fs.stat(text).inode)
    }

    @Test func fsckNamesABadSuperblockMagic() throws {
        let problems = try Self.damaged { device, _ in Self.edit(device, block: 1) { $0[0] = 0 } }
        expectEqual(problems, ["block 1: no KeOSFFS magic, not a KeOS file system"])
    }

    @Test func fsckNamesABitmapThatDisagreesWithTheTree() throws {
        let problems = try Self.damaged { device, fs in
            let block = try fs.inode(Self.inodeNumber(fs, "/d/f")).direct[1]
            let place = (block / 8, UInt8(1) << (block % 8))
            Self.edit(device, block: smallGeometry.blockBitmapStart) { $0[Int(place.0)] &= ~place.1 }
        }
        #expect(problems.contains { $0.contains("is in use but marked free") })
        #expect(problems.contains { $0.contains("superblock: counts") })
    }

    @Test func fsckNamesWrongSuperblockCounts() throws {
        let problems = try Self.damaged { device, _ in Self.edit(device, block: 1) { $0[32] += 1 } }
        #expect(problems.count == 1 && problems[0].hasPrefix("superblock: counts"))
    }

    @Test func fsckNamesAWrongLinkCount() throws {
        let problems = try Self.damaged { device, fs in
            let number = try Self.inodeNumber(fs, "/d/e")
            Self.editInode(device, number) { bytes, offset in bytes[offset + 24] = 5 }
        }
        #expect(problems.count == 1 && problems[0].contains("link count 5"))
    }

    @Test func fsckNamesABlockUsedTwice() throws {
        let problems = try Self.damaged { device, fs in
            let file = try fs.inode(Self.inodeNumber(fs, "/d/f"))
            Self.editInode(device, file.number) { bytes, offset in
                bytes.replaceSubrange(offset + 40..<offset + 48, with: file.direct[0].littleEndianBytes)
            }
        }
        #expect(problems.contains { $0.contains("is used twice") })
    }

    @Test func fsckNamesADirectoryCycle() throws {
        let problems = try Self.damaged { device, fs in
            let e = try fs.inode(Self.inodeNumber(fs, "/d/e"))
            let d = try Self.inodeNumber(fs, "/d")
            // /d/e/loop names /d again.
            Self.edit(device, block: e.direct[0]) { bytes in
                bytes.replaceSubrange(512..<516, with: d.littleEndianBytes)
                bytes[516] = 4
                bytes.replaceSubrange(517..<521, with: Array("loop".utf8))
            }
        }
        #expect(problems.contains { $0.contains("already named elsewhere") })
    }

    @Test func fsckNamesAWrongDotEntry() throws {
        let problems = try Self.damaged { device, fs in
            let e = try fs.inode(Self.inodeNumber(fs, "/d/e"))
            Self.edit(device, block: e.direct[0]) { $0[0] = 1 }
        }
        #expect(problems.contains { $0.contains("slot 0 should be .") })
    }

    @Test func fsckNamesASizeThatLies() throws {
        let problems = try Self.damaged { device, fs in
            let number = try Self.inodeNumber(fs, "/d/f")
            Self.editInode(device, number) { bytes, offset in bytes.replaceSubrange(offset + 16..<offset + 24, with: UInt64(100).littleEndianBytes) }
        }
        #expect(problems.contains { $0.contains("past its size") })
    }

    @Test func fsckNamesABlockNumberOutsideTheDataArea() throws {
        let problems = try Self.damaged { device, fs in
            let number = try Self.inodeNumber(fs, "/d/f")
            Self.editInode(device, number) { bytes, offset in bytes.replaceSubrange(offset + 32..<offset + 40, with: UInt64(5).littleEndianBytes) }
        }
        #expect(problems.contains { $0.contains("outside the data area") })
    }

    @Test func fsckNamesAnInodeNoDirectoryNames() throws {
        let problems = try Self.damaged { device, fs in
            let d = try fs.inode(Self.inodeNumber(fs, "/d"))
            Self.edit(device, block: d.direct[0]) { bytes in bytes.replaceSubrange(512..<768, with: [UInt8](repeating: 0, count: 256)) }
        }
        #expect(problems.contains { $0.contains("marked used but no directory names it") })
    }
}
