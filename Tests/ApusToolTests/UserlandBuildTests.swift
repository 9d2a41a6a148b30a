@testable import ApusTool
import Foundation
import Testing

/// Building the shipped programs: a run compiles only what it needs, and the folder of
/// programs never holds one that is out of date.
@Suite("Building the programs")
struct UserlandBuildTests {
    /// A checkout with the real C library and three of the shipped programs.
    static func checkout() throws -> (folder: TemporaryFolder, build: UserlandBuild) {
        let folder = try TemporaryFolder()
        let userland = folder.url.appendingPathComponent("Userland")
        let real = Workspace.current.root.appendingPathComponent("Userland")
        try FileManager.default.createDirectory(at: userland.appendingPathComponent("programs"), withIntermediateDirectories: true)
        for part in ["include", "lib", "data", "user.ld"] {
            try FileManager.default.copyItem(at: real.appendingPathComponent(part), to: userland.appendingPathComponent(part))
        }
        for program in ["demo", "hello", "cat"] {
            try FileManager.default.copyItem(at: real.appendingPathComponent("programs/\(program).c"),
                                             to: userland.appendingPathComponent("programs/\(program).c"))
        }
        return (folder, UserlandBuild(workspace: Workspace(root: folder.url)))
    }

    /// Builds `selection`, returning the programs compiled (from the progress lines) and the
    /// programs the folder then holds.
    static func build(_ build: UserlandBuild, _ selection: UserlandBuild.ProgramSelection) throws -> (compiled: [String], held: [String]) {
        var compiled: [String] = []
        let folder = try build.build(selection) { line in
            if line.hasPrefix("compiling "), !line.hasPrefix("compiling lib/") { compiled.append(String(line.dropFirst(10))) }
        }
        let held = try ProgramRun.listFolder(folder).map(\.displayName).sorted()
        return (compiled.sorted(), held)
    }

    @Test func aRunNeedsItsProgramAndTheShippedProgramsItsArgumentsName() throws {
        let build = UserlandBuild()
        expectEqual(try build.programsNeeded(program: Array("demo".utf8), arguments: []), ["demo"])
        expectEqual(try build.programsNeeded(program: Array("cat".utf8), arguments: [Array("hello".utf8), Array("hello.txt".utf8)]), ["cat", "hello"])
        #expect(try build.programsNeeded(program: Array("mine".utf8), arguments: [Array("-x".utf8)]).isEmpty, "not a shipped program")
        #expect(try build.programNames().contains("threadtest"))
    }

    @Test func theDemoCompilesAloneAndTheRestWhenAskedFor() throws {
        let (folder, build) = try Self.checkout()
        defer { withExtendedLifetime(folder) {} }
        #expect(try Self.build(build, .only(["demo"])) == (["demo.c"], ["demo"]))
        #expect(try Self.build(build, .only(["demo"])) == ([], ["demo"]), "nothing is stale")
        #expect(try Self.build(build, .only(["cat", "hello"])) == (["cat.c", "hello.c"], ["cat", "demo", "hello"]))
        #expect(try Self.build(build, .all) == ([], ["cat", "demo", "hello"]))
    }

    @Test func aProgramChangedSinceItsBuildLeavesTheFolderUntilARunNeedsIt() throws {
        let (folder, build) = try Self.checkout()
        defer { withExtendedLifetime(folder) {} }
        _ = try Self.build(build, .all)
        let source = build.userland.appendingPathComponent("programs/hello.c")
        try (String(contentsOf: source, encoding: .utf8) + "\n/* changed */\n").write(to: source, atomically: false, encoding: .utf8)
        #expect(try Self.build(build, .only(["demo"])) == ([], ["cat", "demo"]), "the out-of-date hello is not offered")
        #expect(try Self.build(build, .only(["hello"])) == (["hello.c"], ["cat", "demo", "hello"]))
    }

    @Test func aProgramThatDoesNotCompileIsAnErrorWithTheCompilersWords() throws {
        let (folder, build) = try Self.checkout()
        defer { withExtendedLifetime(folder) {} }
        try "int main(void) { return undeclared; }\n".write(to: build.userland.appendingPathComponent("programs/broken.c"), atomically: false, encoding: .utf8)
        #expect { try build.build(.all) } throws: { "\($0)".hasPrefix("broken.c did not compile:") && "\($0)".contains("undeclared") }
        expectEqual(try ProgramRun.listFolder(build.binaries).map(\.displayName).sorted(), ["cat", "demo", "hello"], "the others built")
    }

    @Test func theLibraryAndTheProgramsCompileWithoutAWarning() throws {
        let build = UserlandBuild()
        let output = LockedData()
        let library = try FileManager.default.contentsOfDirectory(at: build.userland.appendingPathComponent("lib"), includingPropertiesForKeys: nil)
        let programs = try build.programNames().map { build.userland.appendingPathComponent("programs/\($0).c") }
        let include = ["-I", build.userland.appendingPathComponent("include").path]
        // The C sources in one compiler run that stops after the checks that warn (the real
        // build, which also generates code, prints its warnings too: CI fails on them); the
        // assembly, which only the assembler checks, one file at a time.
        let c = (library + programs).filter { $0.pathExtension == "c" }
        var runs = [["-fsyntax-only"] + c.map(\.path)]
        runs += library.filter { $0.pathExtension != "c" }.map { ["-c", "-o", "/dev/null", $0.path] }
        for arguments in runs {
            let status = try runReadingOutput(URL(fileURLWithPath: "/usr/bin/env"), ["clang"] + UserlandBuild.compileFlags + include + arguments,
                                              onData: output.append)
            expectEqual(status, 0, "\(arguments.last ?? "")")
        }
        #expect(c.count > 50)
        expectEqual(String(decoding: output.data, as: UTF8.self), "")
    }

    @Test func aMissingProgramNamesEveryShippedProgramBuiltOrNot() throws {
        let (folder, build) = try Self.checkout()
        defer { withExtendedLifetime(folder) {} }
        _ = try Self.build(build, .only(["demo"]))
        let run = ProgramRun(program: "helo")
        #expect { try run.requireProgram(among: build.programNames(), data: build.dataFiles) } throws: { error in
            guard let missing = error as? ProgramRun.NoSuchProgram else { return false }
            return missing.similarNames == [Array("hello".utf8)]
                && missing.files.map { String(decoding: $0, as: UTF8.self) } == ["cat", "demo", "empty", "hello", "hello.txt", "motd.txt"]
        }
        try ProgramRun(program: "hello").requireProgram(among: build.programNames(), data: build.dataFiles)
        try ProgramRun(program: "motd.txt").requireProgram(among: build.programNames(), data: build.dataFiles)
    }
}
