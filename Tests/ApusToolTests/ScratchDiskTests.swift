import ApusCore
@testable import ApusTool
import Foundation
import Testing

/// The scratch disk of `apus boot`, and how a machine gets a disk, on the host.
@Suite("Scratch disk and the machine's disk")
struct ScratchDiskTests {
    static func image(_ disk: ScratchDisk) throws -> [UInt8] { [UInt8](try Data(contentsOf: disk.url)) }

    /// Word `word` of block `block` as the image holds it.
    static func word(_ image: [UInt8], block: Int, word: Int) -> UInt64 {
        let start = (block - 1) * BlockGeometry.blockSize + 8 * word
        return image[start..<start + 8].reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    @Test func everyWordOfAFreshImageNamesItsBlockAndItsPlaceInGenerationZero() throws {
        let folder = try TemporaryFolder()
        let disk = try ScratchDisk.make(blocks: 3, in: folder.url)
        let image = try Self.image(disk)
        #expect(image.count == 3 * 4096)
        expectEqual(Self.word(image, block: 1, word: 0), 0x1_0000)
        expectEqual(Self.word(image, block: 3, word: 511), 0x3_01FF)
        expectEqual(disk.commandLineOption, "scratch-disk=3")
    }

    @Test func anImageTheKernelNeverWroteShowsEveryOddBlockAsUnwritten() throws {
        let folder = try TemporaryFolder()
        let disk = try ScratchDisk.make(blocks: 4, in: folder.url)
        expectEqual(try disk.problemsAfterChecks(), [
            "block 1 of the scratch disk holds generation 0, not 1",
            "block 3 of the scratch disk holds generation 0, not 1",
        ])
    }

    @Test func oddBlocksInGenerationOneAreWhatTheChecksLeaveAndDamageIsNamed() throws {
        let folder = try TemporaryFolder()
        let disk = try ScratchDisk.make(blocks: 4, in: folder.url)
        var image = try Self.image(disk)
        for block in [1, 3] {
            image.replaceSubrange((block - 1) * 4096..<block * 4096, with: ScratchDisk.block(UInt64(block), generation: 1))
        }
        try Data(image).write(to: disk.url)
        #expect(try disk.problemsAfterChecks().isEmpty)

        image[2 * 4096 + 100] ^= 1 // block 3
        image[3 * 4096 + 8] = 0xFF // block 4
        try Data(image).write(to: disk.url)
        expectEqual(try disk.problemsAfterChecks(), [
            "block 3 of the scratch disk holds neither generation of its pattern",
            "block 4 of the scratch disk holds neither generation of its pattern",
        ])
        try Data(image.prefix(4096)).write(to: disk.url)
        expectEqual(try disk.problemsAfterChecks(), ["the scratch disk holds 4096 bytes, not 16384"])
    }

    @Test func removingTheImageDeletesItAndItsPrivateFolder() throws {
        let folder = try TemporaryFolder()
        let disk = try ScratchDisk.make(blocks: 1, in: folder.url)
        expectEqual(disk.url.deletingLastPathComponent().deletingLastPathComponent().path, folder.url.path)
        disk.remove()
        #expect(!FileManager.default.fileExists(atPath: disk.url.deletingLastPathComponent().path))
    }

    @Test func aMachineWithADiskHasAVirtioBlockDeviceOnItByAPlainName() throws {
        let folder = try TemporaryFolder(name: "a path, with spaces, and commas")
        let image = folder.url.appendingPathComponent("my disk, raw.img")
        try Data("disk".utf8).write(to: image)
        // The fake checks that the drive names the disk by a plain word and that the device uses it.
        var machine = try MachineTests.machine("""
            drive=no device=no
            while [ $# -gt 0 ]; do
                case "$1" in
                -drive) [ "$2" = "file=disk,if=none,id=disk,format=raw" ] && [ "$(cat disk)" = disk ] && drive=yes ;;
                -device) [ "$2" = "virtio-blk-pci,drive=disk,addr=3" ] && device=yes ;;
                esac
                shift
            done
            [ $drive = yes ] && [ $device = yes ] || { echo "no disk: drive $drive, device $device" >&2; exit 1; }
            \(MachineTests.booted); exit 33
            """, in: folder)
        machine.disk = image
        let outcome = try MachineTests.boot(machine)
        expectEqual(outcome.problem, nil)
        expectEqual(outcome.status, 0)
    }

    @Test func aMachineWithoutADiskHasNoDrive() {
        let arguments = Machine().arguments(commandLine: "checks", modules: [], kvm: false)
        #expect(!arguments.contains("-drive"))
        #expect(!arguments.contains { $0.hasPrefix("virtio-blk") })
    }
}
