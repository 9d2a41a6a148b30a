import ApusCore
@testable import ApusTool
import Foundation
import Testing

/// How the tool reads a boot's end, with a fake `qemu-system-x86_64`: a shell script that
/// does what a test needs (fails to start, exits with a code, writes status records, hangs).
@Suite("Machine: decoding how QEMU ended")
struct MachineTests {
    /// A status record, as the shell's `printf` writes it.
    static func printfRecord(_ record: RunRecord) -> String {
        "printf '" + record.bytes.map { String(format: "\\%03o", $0) }.joined() + "' >> status"
    }

    static let booted = printfRecord(RunRecord(kind: .booted, first: 511, second: 1000))

    /// A machine whose QEMU is `script` (run by /bin/sh, in a folder of its own).
    static func machine(_ script: String, in folder: TemporaryFolder) throws -> Machine {
        let fake = folder.url.appendingPathComponent("qemu-system-x86_64")
        try ("#!/bin/sh\n" + script + "\n").write(to: fake, atomically: true, encoding: .utf8)
        chmod(fake.path, 0o755)
        var machine = Machine()
        machine.qemu = fake
        machine.acceleration = .software
        machine.timeout = 20
        machine.usesOutputRings = false
        return machine
    }

    static func boot(_ machine: Machine, report: (String) -> Void = { _ in }) throws -> Machine.Outcome {
        try machine.run(kernel: URL(fileURLWithPath: "/dev/null"), commandLine: "checks", report: report)
    }

    @Test func qbootBootsWhenItLiesInTheDataOfTheQEMUThatRuns() throws {
        let folder = try TemporaryFolder(name: "installation")
        let bin = folder.url.appendingPathComponent("bin"), data = folder.url.appendingPathComponent("share/qemu")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let qemu = bin.appendingPathComponent("qemu-system-x86_64")
        try Data().write(to: qemu)
        expectEqual(QEMU.minimalFirmware(beside: qemu), nil, "no qboot: QEMU's default firmware")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try Data().write(to: data.appendingPathComponent("qboot.rom"))
        let firmware = try #require(QEMU.minimalFirmware(beside: qemu))
        expectEqual(firmware, data.appendingPathComponent("qboot.rom").path)
        let arguments = Machine().arguments(commandLine: "checks", modules: [], kvm: false, firmware: firmware)
        expectEqual(Array(arguments.prefix(2)), ["-bios", firmware])
        #expect(!Machine().arguments(commandLine: "checks", modules: [], kvm: false).contains("-bios"))
    }

    @Test(arguments: [(Int32(0), Int32?.none), (1, nil), (3, nil), (31, nil), (33, 0), (35, 1), (37, 2), (39, 3), (63, 15), (65, nil), (137, nil)])
    func exitCodesDecodeToKernelStatusesOnlyWhenTheKernelUsesThem(code: Int32, status: Int32?) {
        expectEqual(Machine.kernelStatus(fromExitCode: code), status)
    }

    @Test func qemuFailingToStartIsAProblemWithQEMUsOwnWordsNeverStatusZero() throws {
        let folder = try TemporaryFolder()
        let outcome = try Self.boot(Self.machine("echo 'qemu-system-x86_64: -initrd: could not load' >&2; exit 1", in: folder))
        expectEqual(outcome.status, nil)
        expectEqual(outcome.problem?.contains("could not load"), true, "\(outcome.problem ?? "")")
        #expect(outcome.qemuMessages.contains("could not load"))
    }

    #if os(Linux)
    /// The terminal's signals (Ctrl-C, Ctrl-\\) go to its foreground process group: QEMU runs
    /// in a group of its own, so only apus hears them (and passes Ctrl-C to a run that takes it).
    @Test func qemuRunsInAProcessGroupOfItsOwn() throws {
        let folder = try TemporaryFolder()
        let outcome = try Self.boot(Self.machine("echo \"group $(cut -d' ' -f5 /proc/$$/stat)\" >&2; exit 1", in: folder))
        let group = outcome.qemuMessages.split(separator: "\n").first { $0.hasPrefix("group ") }.flatMap { Int32($0.dropFirst(6)) }
        #expect(group != nil && group != getpgrp(), "\(outcome.qemuMessages)")
    }
    #endif

    @Test func aStatusIsTrustedOnlyAfterTheKernelSaidItStarted() throws {
        let folder = try TemporaryFolder()
        let noBanner = try Self.boot(Self.machine("exit 33", in: folder))
        expectEqual(noBanner.status, nil)
        expectEqual(noBanner.problem?.contains("could not start the kernel"), true)

        let started = try Self.boot(Self.machine("\(Self.booted); exit 35", in: folder))
        expectEqual(started.status, 1)
        expectEqual(started.problem, nil)
        expectEqual(started.records.first?.kind, .booted)
    }

    @Test func aResetAfterTheBannerIsAProblem() throws {
        let folder = try TemporaryFolder()
        let outcome = try Self.boot(Self.machine("\(Self.booted); exit 0", in: folder))
        expectEqual(outcome.status, nil)
        expectEqual(outcome.problem?.contains("reset"), true)
    }

    @Test func aDamagedStatusChannelIsNoStatus() throws {
        let folder = try TemporaryFolder()
        let outcome = try Self.boot(Self.machine("printf 'exit status 0' >> status; exit 33", in: folder))
        expectEqual(outcome.status, nil)
        #expect(outcome.records.isEmpty)
    }

    @Test func whenKVMFailsToStartTheMachineFallsBackToSoftwareEmulation() throws {
        let folder = try TemporaryFolder()
        var machine = try Self.machine("""
            for word in "$@"; do
                if [ "$word" = -enable-kvm ]; then echo 'qemu-system-x86_64: failed to initialize kvm: Permission denied' >&2; exit 1; fi
            done
            \(Self.booted); exit 33
            """, in: folder)
        machine.acceleration = .kvm
        machine.kvmAvailable = true
        var reports: [String] = []
        let outcome = try Self.boot(machine) { reports.append($0) }
        expectEqual(outcome.status, 0)
        #expect(!outcome.usedKVM)
        #expect(reports.contains { $0.contains("KVM did not work") && $0.contains("failed to initialize kvm") }, "\(reports)")
    }

    @Test func aMachineThatNeverPowersOffIsStoppedAndReported() throws {
        let folder = try TemporaryFolder()
        let pidFile = folder.url.appendingPathComponent("pid")
        // Left alone, the fake would end after 30 s with exit 0 (a reset): only the time-out
        // makes the outcome the one below, and the test cannot hang.
        var machine = try Self.machine("echo $$ > '\(pidFile.path)'; \(Self.booted); exec sleep 30", in: folder)
        machine.timeout = 1
        let outcome = try Self.boot(machine)
        expectEqual(outcome.status, nil)
        expectEqual(outcome.problem?.contains("did not power off within 1 second of"), true)
        let pid = try #require(Int32(String(decoding: Data(contentsOf: pidFile), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(pid, 0) != 0, "the stopped QEMU is gone")
    }

    @Test func everyFileReachesQEMUByAPlainNameWhateverItsPath() throws {
        let folder = try TemporaryFolder(name: "a path, with spaces, and commas")
        let kernel = folder.url.appendingPathComponent("the kernel, built")
        try Data("kernel".utf8).write(to: kernel)
        let module = folder.url.appendingPathComponent("rootfs, image")
        try Data("root".utf8).write(to: module)
        // The fake checks that each -kernel/-initrd name is a plain word naming a file.
        var machine = try Self.machine("""
            while [ $# -gt 0 ]; do
                case "$1" in
                -kernel) [ "$2" = kernel ] && [ "$(cat "$2")" = kernel ] || { echo "bad -kernel $2" >&2; exit 1; } ;;
                -initrd) [ "$2" = "kernel-symbols kernel-symbols,rootfs rootfs" ] && [ "$(cat rootfs)" = root ] || { echo "bad -initrd $2" >&2; exit 1; } ;;
                esac
                shift
            done
            \(Self.booted); exit 33
            """, in: folder)
        machine.scratchParent = folder.url
        let outcome = try machine.run(kernel: kernel, commandLine: "run", modules: [(module, "rootfs")])
        expectEqual(outcome.problem, nil)
        expectEqual(outcome.status, 0)
    }
}

/// A folder for one test, removed at its end.
final class TemporaryFolder {
    let url: URL

    init(name: String = "apus-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)/\(name)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
}
