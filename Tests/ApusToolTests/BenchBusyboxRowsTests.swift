@testable import ApusTool
import Foundation
import Testing

/// The benchmark's busybox rows on the host: the program's rows through the Linux shim, the
/// folder Apus's run takes them from, and busybox in Linux's initramfs (hard links in cpio).
@Suite("apus bench: busybox's rows")
struct BenchBusyboxRowsTests {
    /// Busybox's rows, in the order the program prints them.
    static let busyboxRows = ["exec-true", "shell-loop", "shell-loop-per-iteration", "shell-exec-loop", "shell-exec-loop-per-iteration"]

    @Test func theProgramsBusyboxRowsRunOnThisHostThroughTheShim() throws {
        let folder = try LinuxBuiltPrograms.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // The host's /bin/true and /bin/sh stand in for busybox's: the format is what counts.
        let (finished, output) = try LinuxBuiltPrograms.bench(["busybox", "short"], in: folder)
        expectEqual(finished.status, 0, "\(finished.text)")
        #expect(output.isComplete, "\(finished.text)")
        expectEqual(output.rows.map(\.name), Self.busyboxRows)
        expectEqual(output.rows.map(\.label), [
            "fork + execve + wait of busybox true",
            "busybox sh: while loop of 10 iterations, whole run",
            "busybox sh: one iteration (whole run / 10)",
            "busybox sh: while loop of 3 iterations running /bin/true, whole run",
            "busybox sh: one iteration running /bin/true (whole run / 3)",
        ])
        let loop = try #require(output.rows.first { $0.name == "shell-loop" })
        #expect(output.rows.first { $0.name == "shell-loop-per-iteration" }?.median == loop.median / 10)
    }

    @Test func aHardLinkIsOneMoreNameOfItsFilesInodeAndTheDataTravelsOnce() throws {
        let archive = try CPIOArchive(entries: [
            .init(name: "bin", kind: .directory, permissions: 0o755),
            .init(name: "bin/busybox", kind: .file(Data("busybox".utf8)), permissions: 0o755),
            .init(name: "bin/sh", kind: .hardLink(to: "bin/busybox"), permissions: 0o600),
            .init(name: "bin/true", kind: .hardLink(to: "bin/busybox"), permissions: 0o755),
            .init(name: "init", kind: .file(Data("init".utf8)), permissions: 0o700),
        ]).bytes()
        let entries = BenchTests.entries(of: archive)
        expectEqual(entries.map(\.name), ["bin", "bin/busybox", "bin/sh", "bin/true", "init", CPIOArchive.trailerName])
        #expect(entries[1...3].allSatisfy { $0.inode == 2 && $0.links == 3 && $0.mode == 0o100755 }, "one inode, one mode, three names")
        #expect(entries[1].data == Data("busybox".utf8) && entries[2].data.isEmpty && entries[3].data.isEmpty)
        #expect(entries[4].inode == 5 && entries[4].links == 1 && entries[4].mode == 0o100700)
    }

    @Test func aHardLinkToNoEarlierFileIsRefused() {
        #expect(throws: ToolError.self) {
            try CPIOArchive(entries: [.init(name: "sh", kind: .hardLink(to: "busybox"), permissions: 0o755),
                                      .init(name: "busybox", kind: .file(Data()), permissions: 0o755)]).bytes()
        }
        #expect(throws: ToolError.self) {
            try CPIOArchive(entries: [.init(name: "bin", kind: .directory, permissions: 0o755),
                                      .init(name: "sh", kind: .hardLink(to: "bin"), permissions: 0o755)]).bytes()
        }
    }

    @Test func linuxsInitramfsHasBusyboxInBinWithALinkPerApplet() throws {
        let archive = try LinuxMachine.initramfs(program: Data("init".utf8), busybox: (Data("busybox".utf8), ["busybox", "sh", "true"]))
        let entries = BenchTests.entries(of: archive)
        expectEqual(entries.map(\.name).suffix(5), ["bin", "bin/busybox", "bin/sh", "bin/true", CPIOArchive.trailerName])
        let busybox = try #require(entries.first { $0.name == "bin/busybox" })
        #expect(busybox.data == Data("busybox".utf8) && busybox.links == 3)
        expectEqual(entries.filter { $0.inode == busybox.inode }.map(\.name), ["bin/busybox", "bin/sh", "bin/true"])
        #expect(!BenchTests.entries(of: try LinuxMachine.initramfs(program: Data())).contains { $0.name.hasPrefix("bin") }, "no busybox, no /bin")
    }

    @Test func apusRunsTheLinuxBuildFromAFolderWithBusyboxWhichWinsOverTheKeOSProgram() throws {
        guard let busybox = BenchRun.hostBusybox else {
            print("skipped: no /usr/bin/busybox on this host (apt-get install busybox-static)")
            return
        }
        let root = try BenchRun.busyboxRoot(busybox: busybox, program: Data("linux build".utf8))
        defer { root.remove() }
        let program = root.url.appendingPathComponent(BenchRun.program)
        expectEqual(try Data(contentsOf: program), Data("linux build".utf8))
        #expect(FileManager.default.isExecutableFile(atPath: program.path))
        let scratch = try LinuxBuiltPrograms.scratchFolder()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let programs = scratch.appendingPathComponent("programs"), data = scratch.appendingPathComponent("data")
        for folder in [programs, data] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        try Data("keos build".utf8).write(to: programs.appendingPathComponent(BenchRun.program))
        let entries = try ProgramRun.diskEntries(programs: programs, data: data, extra: [root.url])
        let bench = try #require(entries.first { $0.path == Array(BenchRun.program.utf8) })
        expectEqual(bench.source, Array(program.path.utf8), "the Linux build, not the KeOS one")
        #expect(entries.contains { $0.path == Array("bin/busybox".utf8) && $0.isFile })
        #expect(entries.contains { $0.path == Array("bin/true".utf8) } && entries.contains { $0.path == Array("bin/sh".utf8) })
        let applets = try BenchRun.initramfsBusybox(busybox).applets
        #expect(applets.contains("sh") && applets.contains("true"))
    }

    @Test func apussRowsPutBusyboxsAfterTheOthersAndTakeTheBootFromTheLazyRuns() {
        var result = BenchRun.Result()
        result.apusLazy = [BenchTests.run(start: 100, end: 0, rows: ["bench row null-syscall 3 5 5 5 null system call"])]
        result.apusBusybox = [BenchTests.run(start: 900, end: 0, rows: ["bench row exec-true 3 7 7 7 fork + execve + wait of busybox true"])]
        expectEqual(result.apus.rows.map(\.name), [BenchSummary.bootRowName, "null-syscall", "exec-true"])
        expectEqual(result.apus[BenchSummary.bootRowName]?.median, 100)
    }
}
