import Foundation
import Testing

/// Apus's `tar` (built for Linux) beside GNU tar and busybox: what it archives, they
/// extract to the same tree and bytes; what GNU tar archives, it extracts.
@Suite("tar on Linux, beside GNU tar and busybox")
struct TarOnLinuxTests {
    static let gnuTar = "/usr/bin/tar"
    static let busybox = ["/usr/bin/busybox", "/bin/busybox"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// A tree with what an archive must carry: nested and empty directories, an empty file,
    /// sizes on and around the 512-byte block, a large file, and paths longer than the
    /// 100-byte name field (which need the ustar prefix).
    static var sampleTree: [String: Data?] {
        let outer = String(repeating: "d", count: 90), deep = outer + "/" + String(repeating: "e", count: 60)
        var tree: [String: Data?] = [
            "top": nil, "top/empty": nil, "top/a": nil, "top/a/b": nil, "top/\(outer)": nil, "top/\(deep)": nil,
            "top/zero": Data(), "top/one": Data("1".utf8),
            "top/\(deep)/\(String(repeating: "f", count: 99))": LinuxBuiltPrograms.bytes(700, seed: 3),
            "top/a/b/big": LinuxBuiltPrograms.bytes(3 << 20, seed: 4),
            "top/a/sp ace": Data("spaces survive\n".utf8),
        ]
        for size in [511, 512, 513, 4095, 4096, 4097] { tree["top/a/s\(size)"] = LinuxBuiltPrograms.bytes(size, seed: UInt64(size)) }
        return tree
    }

    func withSampleTree(_ body: (URL) throws -> Void) throws {
        let folder = try LinuxBuiltPrograms.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("source"), withIntermediateDirectories: true)
        try LinuxBuiltPrograms.make(Self.sampleTree, at: folder.appendingPathComponent("source"))
        try body(folder)
    }

    func expectSameTree(_ folder: URL, _ expected: [String: Data?], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let found = try LinuxBuiltPrograms.tree(at: folder)
        expectEqual(found.keys.sorted(), expected.keys.sorted(), sourceLocation: sourceLocation)
        for (path, contents) in expected where found[path] != contents {
            Issue.record("\(path) differs: \(found[path].map { $0.map { "\($0.count) bytes" } ?? "a directory" } ?? "missing")", sourceLocation: sourceLocation)
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: gnuTar), "needs GNU tar"))
    func anArchiveItMakesExtractsWithGNUTarToTheSameTree() throws {
        try withSampleTree { folder in
            let source = folder.appendingPathComponent("source")
            let made = try LinuxBuiltPrograms.program("tar", ["-cf", "../sample.tar", "top"], in: source)
            #expect(made.status == 0 && made.stderr.isEmpty, "\(made.stderr)")
            let size = try Data(contentsOf: folder.appendingPathComponent("sample.tar")).count
            #expect(size % 10240 == 0, "padded to a record of 20 blocks")
            let listing = try LinuxBuiltPrograms.host(Self.gnuTar, ["-tvf", "sample.tar"], in: folder)
            #expect(listing.status == 0 && listing.stderr.isEmpty, "GNU tar complains: \(listing.stderr)")
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("gnu"), withIntermediateDirectories: true)
            let extracted = try LinuxBuiltPrograms.host(Self.gnuTar, ["-xf", "../sample.tar"], in: folder.appendingPathComponent("gnu"))
            #expect(extracted.status == 0 && extracted.stderr.isEmpty, "GNU tar complains: \(extracted.stderr)")
            try expectSameTree(folder.appendingPathComponent("gnu"), Self.sampleTree)
        }
    }

    @Test(.enabled(if: busybox != nil, "needs busybox (apt-get install -y busybox-static)"))
    func anArchiveItWritesToStandardOutputExtractsWithBusybox() throws {
        try withSampleTree { folder in
            let made = try LinuxBuiltPrograms.program("tar", ["-c", "top"], in: folder.appendingPathComponent("source"))
            #expect(made.status == 0 && made.stderr.isEmpty, "\(made.stderr)")
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("busybox"), withIntermediateDirectories: true)
            let extracted = try LinuxBuiltPrograms.host(try #require(Self.busybox), ["tar", "-x"], in: folder.appendingPathComponent("busybox"), input: made.stdout)
            #expect(extracted.status == 0 && extracted.stderr.isEmpty, "busybox complains: \(extracted.stderr)")
            try expectSameTree(folder.appendingPathComponent("busybox"), Self.sampleTree)
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: gnuTar), "needs GNU tar"),
          arguments: ["ustar", "gnu"])
    func anArchiveGNUTarMakesExtractsToTheSameTree(format: String) throws {
        try withSampleTree { folder in
            let made = try LinuxBuiltPrograms.host(Self.gnuTar, ["--format=\(format)", "-cf", "../gnu.tar", "top"], in: folder.appendingPathComponent("source"))
            expectEqual(made.status, 0, "\(made.stderr)")
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("ours"), withIntermediateDirectories: true)
            let extracted = try LinuxBuiltPrograms.program("tar", ["-xf", "gnu.tar", "-C", "ours"], in: folder)
            // GNU's own format names long paths in records of its own (type L): tar skips them.
            if format == "ustar" {
                #expect(extracted.status == 0 && extracted.stderr.isEmpty, "\(extracted.stderr)")
                try expectSameTree(folder.appendingPathComponent("ours"), Self.sampleTree)
            } else {
                #expect(extracted.stderr.contains("entry of type 'L' not supported, skipped"), "\(extracted.stderr)")
                let found = try LinuxBuiltPrograms.tree(at: folder.appendingPathComponent("ours"))
                expectEqual(found["top/a/b/big"], Self.sampleTree["top/a/b/big"])
            }
        }
    }

    @Test func itsOwnArchiveRoundTripsThroughAPipe() throws {
        try withSampleTree { folder in
            let made = try LinuxBuiltPrograms.program("tar", ["c", "top"], in: folder.appendingPathComponent("source"))
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("back"), withIntermediateDirectories: true)
            let extracted = try LinuxBuiltPrograms.program("tar", ["xf", "-"], in: folder.appendingPathComponent("back"), input: made.stdout)
            #expect(extracted.status == 0 && extracted.stderr.isEmpty, "\(extracted.stderr)")
            try expectSameTree(folder.appendingPathComponent("back"), Self.sampleTree)
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: gnuTar), "needs GNU tar"))
    func aNameTooLongForUstarIsRefusedWithAMessageAndTheRestIsArchived() throws {
        let folder = try LinuxBuiltPrograms.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let long = String(repeating: "l", count: 101)
        try LinuxBuiltPrograms.make(["t": nil, "t/\(long)": Data("x".utf8), "t/ok": Data("y".utf8)], at: folder)
        let made = try LinuxBuiltPrograms.program("tar", ["-cf", "t.tar", "t"], in: folder)
        expectEqual(made.status, 1)
        expectEqual(made.stderr, "tar: t/\(long): name too long for a ustar header, not archived\n")
        let listing = try LinuxBuiltPrograms.host(Self.gnuTar, ["-tf", "t.tar"], in: folder)
        expectEqual(listing.text, "t/\nt/ok\n")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: gnuTar), "needs GNU tar"))
    func aMemberThatClimbsOutOfTheFolderIsRefused() throws {
        let folder = try LinuxBuiltPrograms.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try LinuxBuiltPrograms.make(["in": nil, "in/x": Data("x".utf8), "in/y": Data("y".utf8)], at: folder)
        _ = try LinuxBuiltPrograms.host(Self.gnuTar, ["--format=ustar", "-cf", "evil.tar", "--transform", "s,^in/x,../x,", "in/x", "in/y"], in: folder)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("out/inside"), withIntermediateDirectories: true)
        let extracted = try LinuxBuiltPrograms.program("tar", ["-xf", "../../evil.tar"], in: folder.appendingPathComponent("out/inside"))
        expectEqual(extracted.status, 1)
        expectEqual(extracted.stderr, "tar: ../x: a name outside the current directory, skipped\n")
        expectEqual(try LinuxBuiltPrograms.tree(at: folder.appendingPathComponent("out")), ["inside": nil, "inside/in": nil, "inside/in/y": Data("y".utf8)])
    }

    @Test func errorsAreNamedAndTheStatusSaysSo() throws {
        let folder = try LinuxBuiltPrograms.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try LinuxBuiltPrograms.make(["d": nil, "d/f": Data("f".utf8), "junk": LinuxBuiltPrograms.bytes(1000, seed: 9)], at: folder)
        let missing = try LinuxBuiltPrograms.program("tar", ["-xf", "missing.tar"], in: folder)
        #expect(missing.status == 1 && missing.stderr == "tar: missing.tar: NoSuchEntry\n")
        let junk = try LinuxBuiltPrograms.program("tar", ["-xf", "junk"], in: folder)
        #expect(junk.status == 1 && junk.stderr == "tar: junk: not a tar header (checksum)\n")
        let partly = try LinuxBuiltPrograms.program("tar", ["-cf", "p.tar", "d", "nothing"], in: folder)
        #expect(partly.status == 1 && partly.stderr == "tar: nothing: NoSuchEntry\n")
        let itself = try LinuxBuiltPrograms.program("tar", ["-cf", "d/self.tar", "d"], in: folder)
        #expect(itself.status == 1 && itself.stderr == "tar: d/self.tar: is the archive, skipped\n")
        let noFolder = try LinuxBuiltPrograms.program("tar", ["-xf", "p.tar", "-C", "d/f"], in: folder)
        #expect(noFolder.status == 1 && noFolder.stderr == "tar: d/f: NotDirectory\n")
        for usage in [[], ["-c"], ["-x", "extra"], ["-cx", "d"], ["-q"], ["-cf"]] {
            let refused = try LinuxBuiltPrograms.program("tar", usage, in: folder)
            #expect(refused.status == 2 && refused.stderr.hasPrefix("usage: tar"), "\(usage)")
        }
        // A file in the way of a directory (and so of the file in it).
        try LinuxBuiltPrograms.make(["x": nil, "x/d": Data("file where a directory goes".utf8)], at: folder)
        let blocked = try LinuxBuiltPrograms.program("tar", ["-xf", "../p.tar"], in: folder.appendingPathComponent("x"))
        expectEqual(blocked.status, 1)
        expectEqual(blocked.stderr, "tar: d/: FileExist\ntar: d/f: NotDirectory\n")
    }
}
