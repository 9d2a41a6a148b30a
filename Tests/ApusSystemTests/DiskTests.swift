import ApusCore
import ApusTool
import Foundation
import Testing

/// The kernel's disk in QEMU: the virtio block driver on the scratch disk of `apus boot`, and
/// on disks it must do without (none, too small, an interface it does not drive) or survive
/// (read-only, failing reads) with no panic.
@Suite("The disk in QEMU")
struct DiskTests {
    static let diskChecks = [
        "virtqueue-distrusts-the-used-ring", "disk-found", "disk-reads-every-block", "disk-writes-read-back-and-flush", "disk-refuses-bad-requests",
        "disk-threads-sleep-until-interrupt", "disk-speed",
    ]
    /// The argument `Machine` gives QEMU's `-drive` for its disk.
    static let driveArgument = "file=disk,if=none,id=disk,format=raw"

    /// Boots `commandLine` with `disk` as the machine's disk. With `drive`, QEMU is run
    /// through a wrapper that gives it `drive` instead of the machine's `-drive` argument
    /// and `extra` arguments after the rest: how a test makes the device read-only, failing
    /// or modern-only. No qboot lies beside the wrapper, so such a machine boots with QEMU's
    /// default firmware (SeaBIOS), which gives the disk its ports; the others boot with qboot
    /// where it is installed, and the kernel gives them itself.
    static func boot(_ commandLine: String, disk: URL?, drive: String = driveArgument, extra: String = "") throws -> Machine.Outcome {
        var machine = SystemUnderTest.machine
        machine.disk = disk
        let folder = try TemporaryFolder(name: "qemu")
        if drive != driveArgument || !extra.isEmpty {
            let wrapper = folder.url.appendingPathComponent("qemu-system-x86_64")
            try """
                #!/bin/sh
                for argument; do
                    shift
                    [ "$argument" = '\(driveArgument)' ] && argument='\(drive)'
                    set -- "$@" "$argument"
                done
                exec '\(try QEMU.locate().path)' "$@" \(extra)

                """.write(to: wrapper, atomically: true, encoding: .utf8)
            chmod(wrapper.path, 0o755)
            machine.qemu = wrapper
        }
        return try machine.run(kernel: SystemUnderTest.kernel.get(), commandLine: commandLine)
    }

    static func imageFile(bytes: Int, in folder: TemporaryFolder) throws -> URL {
        let url = folder.url.appendingPathComponent("disk.img")
        try Data(count: bytes).write(to: url)
        return url
    }

    @Test func apusBootChecksTheDiskAndFindsWhatTheKernelWroteOnTheScratchDisk() throws {
        _ = try SystemUnderTest.kernel.get()
        let finished = try CommandTests.apus(["boot", "--acceleration", "software"])
        let output = String(decoding: finished.stdout, as: UTF8.self)
        expectEqual(finished.status, 0, "\(output)\n\(finished.stderr)")
        #expect(output.contains("disk: virtio block device at "), "\(output)")
        #expect(output.contains(": 256 blocks (1024 KiB)"), "\(output)")
        for check in Self.diskChecks {
            #expect(output.contains("check \(check): ok\n"), "check \(check) in:\n\(output)")
        }
        #expect(output.contains("disk speed: 4 KiB read "), "\(output)")
        #expect(output.hasSuffix("disk image: the blocks the kernel wrote are on the scratch disk\n"), "\(output)")
    }

    @Test func aMachineWithoutADiskBootsWithNone() throws {
        let outcome = try Self.boot("", disk: nil)
        expectEqual(outcome.status, 0, "\(outcome.log)")
        #expect(outcome.logLines.contains("disk: none (no virtio block device on the PCI bus)"), "\(outcome.log)")
    }

    @Test func theDiskChecksWithoutADiskFailWithTheReason() throws {
        let outcome = try Self.boot("checks scratch-disk=256", disk: nil)
        expectEqual(outcome.status, Machine.statusChecksFailed, "\(outcome.log)")
        #expect(outcome.logLines.contains("check disk-found: FAILED (the machine has no disk the driver can use (see the disk line above))"), "\(outcome.log)")
    }

    @Test func sectorsAfterTheLastWholeBlockAreLeftUnused() throws {
        let folder = try TemporaryFolder()
        let outcome = try Self.boot("", disk: Self.imageFile(bytes: 5 * 4096 + 3 * 512, in: folder))
        expectEqual(outcome.status, 0, "\(outcome.log)")
        #expect(outcome.log.contains(": 5 blocks (20 KiB) and 3 sectors too few for a block, unused, a queue of "), "\(outcome.log)")
    }

    @Test func aDiskSmallerThanABlockIsNoDisk() throws {
        let folder = try TemporaryFolder()
        let outcome = try Self.boot("", disk: Self.imageFile(bytes: 7 * 512, in: folder))
        expectEqual(outcome.status, 0, "\(outcome.log)")
        #expect(outcome.log.contains("disk: none usable: the virtio block device at "), "\(outcome.log)")
        #expect(outcome.log.contains(" holds 7 sectors, less than one block"), "\(outcome.log)")
    }

    @Test func aDeviceWithOnlyTheModernInterfaceIsNoDisk() throws {
        let folder = try TemporaryFolder()
        let outcome = try Self.boot("", disk: Self.imageFile(bytes: 4096, in: folder), extra: "-global virtio-blk-pci.disable-legacy=on")
        expectEqual(outcome.status, 0, "\(outcome.log)")
        #expect(outcome.log.contains(" offers only the modern interface, and Apus drives the legacy one"), "\(outcome.log)")
    }

    @Test func aReadOnlyDiskIsReadAndRefusesWritesWithIOError() throws {
        let disk = try ScratchDisk.make()
        defer { disk.remove() }
        let outcome = try Self.boot("checks \(disk.commandLineOption)", disk: disk.url, drive: Self.driveArgument + ",readonly=on")
        expectEqual(outcome.status, Machine.statusChecksFailed, "\(outcome.log)")
        #expect(outcome.log.contains("a write cache (flushed by FLUSH), read-only"), "\(outcome.log)")
        #expect(outcome.logLines.contains("check disk-reads-every-block: ok"), "\(outcome.log)")
        #expect(outcome.logLines.contains("check disk-writes-read-back-and-flush: FAILED (writing block 1: IOError)"), "\(outcome.log)")
    }

    @Test func aReadTheDeviceFailsIsAnIOErrorNotAPanic() throws {
        let disk = try ScratchDisk.make()
        defer { disk.remove() }
        // QEMU's blkdebug driver fails every read of sector 800 (block 101) with EIO.
        let failing = "driver=raw,file.driver=blkdebug,file.image.filename=disk,file.inject-error.0.event=read_aio,"
            + "file.inject-error.0.errno=5,file.inject-error.0.sector=800,if=none,id=disk"
        let outcome = try Self.boot("checks \(disk.commandLineOption)", disk: disk.url, drive: failing)
        expectEqual(outcome.status, Machine.statusChecksFailed, "\(outcome.log)")
        #expect(outcome.logLines.contains("disk: the device answered IOERR to a read at sector 800"), "\(outcome.log)")
        #expect(outcome.logLines.contains("check disk-reads-every-block: FAILED (reading block 101: IOError)"), "\(outcome.log)")
    }
}
