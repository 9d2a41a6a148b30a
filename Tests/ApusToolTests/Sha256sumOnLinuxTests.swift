import Foundation
import Testing

/// Apus's `sha256sum` (built for Linux) beside GNU coreutils' `sha256sum`: the same lines,
/// byte for byte, for files whose sizes sit on SHA-256's padding edges, a large file, names
/// that GNU escapes, and standard input.
@Suite("sha256sum on Linux, beside GNU's")
struct Sha256sumOnLinuxTests {
    static let gnu = "/usr/bin/sha256sum"

    func expectSameAsGNU(_ arguments: [String], in folder: URL, input: Data = Data(),
                         sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ours = try LinuxBuiltPrograms.program("sha256sum", arguments, in: folder, input: input)
        let theirs = try LinuxBuiltPrograms.host(Self.gnu, arguments, in: folder, input: input)
        expectEqual(ours.status, 0, "\(ours.stderr)", sourceLocation: sourceLocation)
        #expect(!ours.stdout.isEmpty, sourceLocation: sourceLocation)
        expectEqual(ours.stdout, theirs.stdout, "ours:\n\(ours.text)GNU's:\n\(theirs.text)", sourceLocation: sourceLocation)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: gnu), "needs GNU sha256sum"))
    func filesOnEveryPaddingEdgeHashAsGNUs() throws {
        let folder = try LinuxBuiltPrograms.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // 55 bytes leave room for the padding in the last block, 56 do not, 64 fill one.
        let sizes = [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1 << 20]
        for size in sizes {
            try LinuxBuiltPrograms.bytes(size, seed: UInt64(size) + 1).write(to: folder.appendingPathComponent("f\(size)"))
        }
        try expectSameAsGNU(sizes.map { "f\($0)" }, in: folder)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: gnu), "needs GNU sha256sum"))
    func aFileOf64MiBHashesAsGNUs() throws {
        let folder = try LinuxBuiltPrograms.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try LinuxBuiltPrograms.bytes(64 << 20, seed: 64).write(to: folder.appendingPathComponent("big"))
        try expectSameAsGNU(["big"], in: folder)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: gnu), "needs GNU sha256sum"))
    func standardInputHashesAsGNUsWithTheNameDash() throws {
        let folder = try LinuxBuiltPrograms.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = LinuxBuiltPrograms.bytes(300_001, seed: 7)
        try expectSameAsGNU([], in: folder, input: input)
        try expectSameAsGNU(["-"], in: folder, input: input)
        try expectSameAsGNU([], in: folder, input: Data())
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: gnu), "needs GNU sha256sum"))
    func namesWithABackslashOrANewlineAreEscapedAsGNUDoes() throws {
        let folder = try LinuxBuiltPrograms.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let names = ["back\\slash", "new\nline", "plain name"]
        for name in names { try Data(name.utf8).write(to: folder.appendingPathComponent(name)) }
        try expectSameAsGNU(names, in: folder)
    }

    @Test func aMissingFileOrADirectoryIsReportedByNameAndTheRestIsStillHashed() throws {
        let folder = try LinuxBuiltPrograms.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data().write(to: folder.appendingPathComponent("empty"))
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("dir"), withIntermediateDirectories: true)
        let ours = try LinuxBuiltPrograms.program("sha256sum", ["missing", "dir", "empty"], in: folder)
        expectEqual(ours.status, 1)
        expectEqual(ours.stderr, "sha256sum: missing: NoSuchEntry\nsha256sum: dir: IsDirectory\n")
        expectEqual(ours.text, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  empty\n")
    }
}
