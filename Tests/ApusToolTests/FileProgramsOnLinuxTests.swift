@testable import ApusTool
import Foundation
import Testing

/// Apus's `ls`, `mkdir`, `rm`, `touch` and `cp` (built for Linux) on scratch trees: what
/// each prints and leaves behind, and each error as `PROGRAM: NAME: ErrorName`.
@Suite("ls, mkdir, rm, touch and cp on Linux")
struct FileProgramsOnLinuxTests {
    func withTree(_ entries: [String: Data?], _ body: (URL) throws -> Void) throws {
        let folder = try LinuxBuiltPrograms.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try LinuxBuiltPrograms.make(entries, at: folder)
        try body(folder)
    }

    static let listed: [String: Data?] = [
        "d": nil, "d/b": Data("13 bytes here".utf8), "d/B": Data(), "d/a1": Data("x".utf8), "d/a": nil, "d/.hidden": Data(),
    ]

    /// The line `ls -l` prints for `path` (shown as `name`), from what Linux says of it.
    func longLine(_ folder: URL, _ path: String, _ name: String) throws -> String {
        let attributes = try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(path).path)
        let isDirectory = attributes[.type] as? FileAttributeType == .typeDirectory
        let inode = try #require(attributes[.systemFileNumber] as? UInt64)
        let size = try #require((attributes[.size] as? NSNumber)?.uint64Value)
        let inodeText = String(inode), sizeText = String(size)
        return "\(isDirectory ? "d" : "-") \(String(repeating: " ", count: max(0, 8 - inodeText.count)))\(inodeText) "
            + "\(String(repeating: " ", count: max(0, 12 - sizeText.count)))\(sizeText) \(name)"
    }

    @Test func lsListsNamesByTheirBytesAndHidesDotNamesWithoutA() throws {
        try withTree(Self.listed) { folder in
            let plain = try LinuxBuiltPrograms.program("ls", ["d"], in: folder)
            #expect(plain.status == 0 && plain.text == "B\na\na1\nb\n")
            let all = try LinuxBuiltPrograms.program("ls", ["-a", "d"], in: folder)
            expectEqual(all.text, ".\n..\n.hidden\nB\na\na1\nb\n")
            let here = try LinuxBuiltPrograms.program("ls", [], in: folder.appendingPathComponent("d"))
            expectEqual(here.text, plain.text)
        }
    }

    @Test func lsDashLShowsTypeInodeSizeAndNameInFixedColumns() throws {
        try withTree(Self.listed) { folder in
            let long = try LinuxBuiltPrograms.program("ls", ["-la", "d"], in: folder)
            expectEqual(long.status, 0, "\(long.stderr)")
            let expected = try [(".", "d"), ("..", "."), (".hidden", "d/.hidden"), ("B", "d/B"), ("a", "d/a"), ("a1", "d/a1"), ("b", "d/b")]
                .map { try longLine(folder, $0.1, $0.0) }.joined(separator: "\n") + "\n"
            expectEqual(long.text, expected)
            let file = try LinuxBuiltPrograms.program("ls", ["-l", "d/b"], in: folder)
            expectEqual(file.text, "\(try longLine(folder, "d/b", "d/b"))\n")
            #expect(file.text.hasPrefix("- ") && file.text.contains("           13 d/b"))
        }
    }

    @Test func lsDashUKeepsTheDirectorysOrderAndSeveralPathsGetHeadings() throws {
        try withTree(Self.listed) { folder in
            let unsorted = try LinuxBuiltPrograms.program("ls", ["-U", "-a", "d"], in: folder)
            let lines = unsorted.text.split(separator: "\n").map(String.init)
            expectEqual(Array(lines.prefix(2)), [".", ".."], ". and .. come first")
            expectEqual(lines.sorted(), [".", "..", ".hidden", "B", "a", "a1", "b"])
            let several = try LinuxBuiltPrograms.program("ls", ["d/a", "d/b", "missing", "d"], in: folder)
            expectEqual(several.status, 1)
            expectEqual(several.text, "d/a:\n\nd/b\n\nd:\nB\na\na1\nb\n")
            expectEqual(several.stderr, "ls: missing: NoSuchEntry\n")
        }
    }

    @Test func lsReportsErrorsByNameAndUsage() throws {
        try withTree(Self.listed) { folder in
            let missing = try LinuxBuiltPrograms.program("ls", ["nothing"], in: folder)
            #expect(missing.status == 1 && missing.text.isEmpty && missing.stderr == "ls: nothing: NoSuchEntry\n")
            let through = try LinuxBuiltPrograms.program("ls", ["d/b/x"], in: folder)
            #expect(through.status == 1 && through.stderr == "ls: d/b/x: NotDirectory\n")
            let usage = try LinuxBuiltPrograms.program("ls", ["-z"], in: folder)
            #expect(usage.status == 2 && usage.stderr.hasPrefix("usage: ls"))
        }
    }

    @Test func lsListsTenThousandEntries() throws {
        let folder = try LinuxBuiltPrograms.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let names = (0..<10_000).map { "entry\($0)" }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("many"), withIntermediateDirectories: true)
        for name in names { _ = FileManager.default.createFile(atPath: folder.appendingPathComponent("many/\(name)").path, contents: nil) }
        let listing = try LinuxBuiltPrograms.program("ls", ["many"], in: folder)
        expectEqual(listing.status, 0)
        #expect(listing.text == names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }.joined(separator: "\n") + "\n")
        let unsorted = try LinuxBuiltPrograms.program("ls", ["-U", "many"], in: folder)
        expectEqual(unsorted.text.split(separator: "\n").count, 10_000)
        let removed = try LinuxBuiltPrograms.program("rm", ["-r", "many"], in: folder)
        #expect(removed.status == 0 && removed.stderr.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("many").path))
    }

    @Test func mkdirMakesDirectoriesAndWithPTheirParents() throws {
        try withTree(["file": Data("f".utf8), "old": nil], { folder in
            let made = try LinuxBuiltPrograms.program("mkdir", ["one", "two"], in: folder)
            #expect(made.status == 0 && made.stderr.isEmpty)
            let parents = try LinuxBuiltPrograms.program("mkdir", ["-p", "a/b//c/", "old", "one/x"], in: folder)
            #expect(parents.status == 0 && parents.stderr.isEmpty, "\(parents.stderr)")
            expectEqual(try LinuxBuiltPrograms.tree(at: folder), [
                "file": Data("f".utf8), "old": nil, "one": nil, "one/x": nil, "two": nil, "a": nil, "a/b": nil, "a/b/c": nil,
            ])
            let errors = try LinuxBuiltPrograms.program("mkdir", ["old", "none/x", "file/x", "file", "three"], in: folder)
            expectEqual(errors.status, 1)
            expectEqual(errors.stderr, "mkdir: old: FileExist\nmkdir: none/x: NoSuchEntry\nmkdir: file/x: NotDirectory\nmkdir: file: FileExist\n")
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("three").path), "the others are still made")
            let pErrors = try LinuxBuiltPrograms.program("mkdir", ["-p", "file/y/z", "file"], in: folder)
            #expect(pErrors.status == 1 && pErrors.stderr == "mkdir: file/y/z: NotDirectory\nmkdir: file: FileExist\n")
            let usage = try LinuxBuiltPrograms.program("mkdir", [], in: folder)
            #expect(usage.status == 2 && usage.stderr.hasPrefix("usage: mkdir"))
        })
    }

    @Test func rmRemovesFilesAndWithRWholeTrees() throws {
        var tree: [String: Data?] = ["keep": Data("k".utf8), "f": Data("f".utf8), "empty": nil, "t": nil]
        for i in 0..<30 { tree["t/d\(i % 3)/sub\(i % 2)/file\(i)"] = LinuxBuiltPrograms.bytes(i * 100, seed: UInt64(i + 1)) }
        try withTree(tree) { folder in
            let refused = try LinuxBuiltPrograms.program("rm", ["t", "empty", "missing", ".", "t/..", "/"], in: folder)
            expectEqual(refused.status, 1)
            expectEqual(refused.stderr, "rm: t: IsDirectory\nrm: empty: IsDirectory\nrm: missing: NoSuchEntry\nrm: .: Busy\nrm: t/..: Busy\nrm: /: Busy\n")
            let recursive = try LinuxBuiltPrograms.program("rm", ["-r", "f", "t", "empty"], in: folder)
            #expect(recursive.status == 0 && recursive.stderr.isEmpty, "\(recursive.stderr)")
            expectEqual(try LinuxBuiltPrograms.tree(at: folder), ["keep": Data("k".utf8)])
            let forced = try LinuxBuiltPrograms.program("rm", ["-rf", "missing", "gone/too"], in: folder)
            #expect(forced.status == 0 && forced.stderr.isEmpty)
            let usage = try LinuxBuiltPrograms.program("rm", [], in: folder)
            #expect(usage.status == 2 && usage.stderr.hasPrefix("usage: rm"))
        }
    }

    @Test func rmDashRRemovesAChainOfThreeHundredDirectories() throws {
        let folder = try LinuxBuiltPrograms.scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let chain = (0..<300).map { _ in "c" }.joined(separator: "/")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent(chain), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: folder.appendingPathComponent(chain + "/bottom").path, contents: Data("b".utf8))
        let removed = try LinuxBuiltPrograms.program("rm", ["-r", "c"], in: folder)
        #expect(removed.status == 0 && removed.stderr.isEmpty, "\(removed.stderr)")
        #expect(try LinuxBuiltPrograms.tree(at: folder).isEmpty)
    }

    @Test func touchMakesMissingFilesEmptyAndLeavesOthersAlone() throws {
        try withTree(["full": Data("keep me".utf8), "dir": nil], { folder in
            let touched = try LinuxBuiltPrograms.program("touch", ["new", "full", "dir", "dir/inner"], in: folder)
            #expect(touched.status == 0 && touched.stderr.isEmpty)
            expectEqual(try LinuxBuiltPrograms.tree(at: folder), ["full": Data("keep me".utf8), "dir": nil, "dir/inner": Data(), "new": Data()])
            let errors = try LinuxBuiltPrograms.program("touch", ["none/x", "full/x", "ok"], in: folder)
            #expect(errors.status == 1 && errors.stderr == "touch: none/x: NoSuchEntry\ntouch: full/x: NotDirectory\n")
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("ok").path))
            let usage = try LinuxBuiltPrograms.program("touch", [], in: folder)
            expectEqual(usage.status, 2)
        })
    }

    @Test func cpCopiesAFileToAFileOrIntoADirectory() throws {
        let big = LinuxBuiltPrograms.bytes(200_000, seed: 5)
        try withTree(["src": Data(big), "other": Data("o".utf8), "old": Data(String(repeating: "longer old bytes ", count: 20_000).utf8), "dir": nil], { folder in
            let toFile = try LinuxBuiltPrograms.program("cp", ["src", "copy"], in: folder)
            #expect(toFile.status == 0 && toFile.stderr.isEmpty)
            let overOld = try LinuxBuiltPrograms.program("cp", ["other", "old"], in: folder)
            expectEqual(overOld.status, 0, "an existing file is replaced, and shorter")
            let intoDirectory = try LinuxBuiltPrograms.program("cp", ["src", "other", "dir/"], in: folder)
            #expect(intoDirectory.status == 0 && intoDirectory.stderr.isEmpty)
            expectEqual(try LinuxBuiltPrograms.tree(at: folder), [
                "src": big, "copy": big, "other": Data("o".utf8), "old": Data("o".utf8), "dir": nil,
                "dir/src": big, "dir/other": Data("o".utf8),
            ])
        })
    }

    @Test func cpReportsEachErrorAndChangesNothingForIt() throws {
        try withTree(["a": Data("a".utf8), "b": Data("b".utf8), "dir": nil], { folder in
            let cases: [([String], String, Int32)] = [
                (["missing", "x"], "cp: missing: NoSuchEntry\n", 1),
                (["dir", "x"], "cp: dir: IsDirectory\n", 1),
                (["a", "a"], "cp: a: same file as a\n", 1),
                (["a", "dir/../a"], "cp: dir/../a: same file as a\n", 1),
                (["a", "b", "c"], "cp: c: NoSuchEntry\n", 1),
                (["a", "b", "a"], "cp: a: NotDirectory\n", 1),
                (["a", "none/x"], "cp: none/x: NoSuchEntry\n", 1),
                (["a", "b/x"], "cp: b/x: NotDirectory\n", 1),
                (["a"], "usage: cp SOURCE TARGET | cp SOURCE... DIRECTORY\n", 2),
            ]
            for (arguments, message, status) in cases {
                let finished = try LinuxBuiltPrograms.program("cp", arguments, in: folder)
                #expect(finished.status == status && finished.stderr == message, "\(arguments): \(finished.stderr)")
            }
            expectEqual(try LinuxBuiltPrograms.tree(at: folder), ["a": Data("a".utf8), "b": Data("b".utf8), "dir": nil])
        })
    }
}
