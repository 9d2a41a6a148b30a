import ApusCore
@testable import ApusTool
import Foundation
import Testing

/// A busybox in a `--rootfs` folder on a run's disk: `/bin/busybox` with a hard link per
/// applet (the list its `--list` prints), `/busybox` one more name, `/tmp`, `/dev` and
/// `/proc`; the image passes the checker, and `apus ls -l` shows one inode with one link
/// per name.
@Suite("Busybox on a run's disk")
struct BusyboxDiskTests {
    /// A stand-in busybox: a script that answers `--list` as busybox does.
    static func fakeBusybox(in folder: URL, applets: [String]) throws {
        let script = "#!/bin/sh\n[ \"$1\" = --list ] || exit 1\nprintf '%s\\n' \(applets.map { "'\($0)'" }.joined(separator: " "))\n"
        let file = folder.appendingPathComponent("busybox")
        try Data(script.utf8).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
    }

    /// The disk of a run with `rootfs` as its one `--rootfs` folder (no programs, no data).
    static func disk(with rootfs: URL, in folder: TemporaryFolder) throws -> URL {
        let empty = folder.url.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let entries = try ProgramRun.diskEntries(programs: empty, data: empty, extra: [rootfs])
        let image = folder.url.appendingPathComponent("disk.img")
        try RunDisk.make(at: image, entries: entries, geometry: FileSystemGeometry(blockCount: 8_000, inodeCount: 1_024, hasJournal: true), durable: false)
        return image
    }

    static func longListing(_ image: URL, _ path: String) throws -> [String] {
        try ImageFilesTests.listing(image.path, [path], long: true).text.split(separator: "\n").map(String.init)
    }

    /// The columns of a long listing's line: type, inode, links, size, name.
    static func columns(_ line: String) -> [String] { line.split(separator: " ").map(String.init) }

    @Test func busyboxIsInstalledInBinWithALinkPerAppletAndTheDirectoriesAShellNeeds() throws {
        let folder = try TemporaryFolder()
        let rootfs = folder.url.appendingPathComponent("rootfs")
        try FileManager.default.createDirectory(at: rootfs, withIntermediateDirectories: true)
        let applets = ["[", "[[", "cat", "ls", "sh"]
        try Self.fakeBusybox(in: rootfs, applets: applets)
        let image = try Self.disk(with: rootfs, in: folder)
        expectEqual(RunDisk.problems(of: image), [])
        let root = try Self.longListing(image, "/").map { Self.columns($0)[4] }
        expectEqual(root, ["bin", "busybox", "dev", "proc", "tmp"])
        let bin = try Self.longListing(image, "/bin").map(Self.columns)
        expectEqual(bin.map { $0[4] }, ["[", "[[", "busybox", "cat", "ls", "sh"])
        // One file: every name has its inode, and its link count is the names it has.
        let busybox = try #require(bin.first { $0[4] == "busybox" })
        expectEqual(Set(bin.map { $0[1] }), [busybox[1]])
        #expect(bin.allSatisfy { $0[2] == String(applets.count + 2) && $0[0] == "-" })
        let rootName = try Self.columns(#require(Self.longListing(image, "/busybox").first))
        expectEqual(rootName[1], busybox[1])
        let installed = try Data(contentsOf: rootfs.appendingPathComponent("busybox"))
        let copied = folder.url.appendingPathComponent("copied")
        _ = try ImageCopy.copy(ImageCopy.operand("\(image.path):/bin/sh"), to: .host(copied.path))
        expectEqual(try Data(contentsOf: copied), installed)
    }

    @Test func aFileOfTheFolderInBinWinsOverTheAppletsLink() throws {
        let folder = try TemporaryFolder()
        let rootfs = folder.url.appendingPathComponent("rootfs")
        try FileManager.default.createDirectory(at: rootfs.appendingPathComponent("bin"), withIntermediateDirectories: true)
        try Data("mine\n".utf8).write(to: rootfs.appendingPathComponent("bin/ls"))
        try Self.fakeBusybox(in: rootfs, applets: ["ls", "sh"])
        let image = try Self.disk(with: rootfs, in: folder)
        expectEqual(RunDisk.problems(of: image), [])
        let bin = try Self.longListing(image, "/bin").map(Self.columns)
        let ls = try #require(bin.first { $0[4] == "ls" })
        #expect(ls[2] == "1" && ls[3] == "5", "the folder's own bin/ls")
        expectEqual(try #require(bin.first { $0[4] == "sh" })[2], "3", "bin/busybox, /busybox and bin/sh")
    }

    @Test func aBusyboxThatDoesNotRunHereIsAnErrorThatSaysSo() throws {
        let folder = try TemporaryFolder()
        let rootfs = folder.url.appendingPathComponent("rootfs")
        try FileManager.default.createDirectory(at: rootfs, withIntermediateDirectories: true)
        try Data("not a program".utf8).write(to: rootfs.appendingPathComponent("busybox"))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: rootfs.appendingPathComponent("busybox").path)
        let error = #expect(throws: ToolError.self) { _ = try Self.disk(with: rootfs, in: folder) }
        let message = "\(error.map { "\($0)" } ?? "")"
        #expect(message.contains("busybox --list") && message.contains("Exec format error"), "\(message)")
    }

    /// A program file written a moment ago is busy (ETXTBSY) while a child that another
    /// thread is starting still holds a copy of the writer's descriptor: held open here.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/busybox"), "the host has no /usr/bin/busybox"))
    func aBusyboxBusyForAMomentIsListedOnceItIsFree() throws {
        let folder = try TemporaryFolder()
        let copy = folder.url.appendingPathComponent("busybox")
        try FileManager.default.copyItem(atPath: "/usr/bin/busybox", toPath: copy.path)
        let writer = open(copy.path, O_WRONLY)
        try #require(writer >= 0)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { close(writer) }
        #expect(try ProgramRun.busyboxApplets(at: Array(copy.path.utf8)).count > 100)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/busybox"), "the host has no /usr/bin/busybox"))
    func theHostsBusyboxIsInstalledWithEveryAppletItLists() throws {
        let applets = try ProgramRun.busyboxApplets(at: Array("/usr/bin/busybox".utf8)).map { String(decoding: $0, as: UTF8.self) }
        #expect(applets.count > 100)
        for applet in ["sh", "ls", "cat", "sed", "awk", "tar", "sha256sum"] { #expect(applets.contains(applet)) }
        let folder = try TemporaryFolder()
        let rootfs = folder.url.appendingPathComponent("rootfs")
        try FileManager.default.createDirectory(at: rootfs, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/usr/bin/busybox", toPath: rootfs.appendingPathComponent("busybox").path)
        let image = try Self.disk(with: rootfs, in: folder)
        expectEqual(RunDisk.problems(of: image), [])
        let bin = try Self.longListing(image, "/bin").map(Self.columns)
        expectEqual(bin.count, Set(applets + ["busybox"]).count)
        #expect(bin.allSatisfy { $0[2] == String(bin.count + 1) })
    }
}
