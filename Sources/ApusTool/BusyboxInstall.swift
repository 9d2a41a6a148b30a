import ApusCore
import Foundation

/// Busybox on a run's disk: when a `--rootfs` folder holds a file named `busybox`, the disk
/// gets it as `/bin/busybox`, a hard link to it in `/bin` for every applet it offers
/// (`/bin/sh`, `/bin/ls`, …: one file, one inode, its link count one per name, as a Linux
/// system installs it), `/busybox` as one more name of it (so `apus run --rootfs DIR busybox
/// sh` finds it where every root file is), and the folders a shell expects to exist: `/tmp`,
/// `/dev` and `/proc` (the kernel serves what lies in the last two).
///
/// The applets are busybox's own answer to `busybox --list`, run on the host: a static
/// x86-64 Linux busybox runs on the x86-64 Linux host the tool runs on, and its list is
/// exactly the applets it was built with. A busybox that does not run here is an error that
/// says so, rather than a disk without the applets.
extension ProgramRun {
    /// The name of the file that is installed as busybox.
    public static let busyboxName: [UInt8] = Array("busybox".utf8)
    /// Where busybox and its applets go.
    static let busyboxDirectory: [UInt8] = Array("bin".utf8)
    /// The folders a Linux shell expects, besides `/bin`.
    static let linuxDirectories: [[UInt8]] = ["tmp", "dev", "proc"].map { Array($0.utf8) }

    /// The host path of the busybox of `folders`: the file named `busybox` at the top of the
    /// last folder that has one (a later folder wins, as for every root file).
    static func busybox(among folders: [URL]) throws -> [UInt8]? {
        for folder in folders.reversed() {
            if let file = try listFolder(folder).first(where: { $0.name == busyboxName }) { return file.path }
        }
        return nil
    }

    /// What installing the busybox at host path `busybox` adds to a disk whose files are at
    /// `taken` (a file of a `--rootfs` folder at `bin/NAME` wins over the applet's link):
    /// its directories, the file `/bin/busybox`, and the links, `/busybox` first.
    public static func busyboxInstallation(of busybox: [UInt8], besides taken: Set<[UInt8]>) throws
        -> (directories: [[UInt8]], file: RunDisk.Entry, links: [RunDisk.Entry]) {
        let installed = busyboxDirectory + [UInt8(ascii: "/")] + busyboxName
        var links = [RunDisk.Entry(path: busyboxName, source: nil, linkTarget: installed)]
        for applet in try busyboxApplets(at: busybox) {
            let path = busyboxDirectory + [UInt8(ascii: "/")] + applet
            if path != installed, !taken.contains(path) { links.append(RunDisk.Entry(path: path, source: nil, linkTarget: installed)) }
        }
        return ([busyboxDirectory] + linuxDirectories, RunDisk.Entry(path: installed, source: busybox), links)
    }

    /// The applets of the busybox at host path `path`, as `busybox --list` prints them (one
    /// name a line), each checked as a name the disk can hold.
    public static func busyboxApplets(at path: [UInt8]) throws -> [[UInt8]] {
        let text = String(decoding: path, as: UTF8.self)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: text)
        process.arguments = ["--list"]
        let output = Foundation.Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.runWaitingWhileBusy() } catch {
            throw ToolError("\(text): cannot run it to list its applets (busybox --list): \(Process.reason(error)); a busybox in --rootfs must be one that runs on this host (a static x86-64 Linux build)")
        }
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let applets = bytes.split(separator: UInt8(ascii: "\n")).map(Array.init)
        guard process.terminationStatus == 0, !applets.isEmpty else {
            throw ToolError("\(text): busybox --list exited with status \(process.terminationStatus) and listed \(applets.count) applets; is it a busybox?")
        }
        for applet in applets where applet.contains(UInt8(ascii: "/")) || applet.count > DirectoryBlock.maximumNameLength || !isValidUTF8(applet) {
            throw ToolError("\(text): busybox --list named an applet the disk cannot hold: \(LogText.escaped(applet))")
        }
        return applets
    }
}
