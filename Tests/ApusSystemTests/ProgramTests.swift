import ApusCore
import ApusTool
import Foundation
import Testing

/// User programs on Apus, one rule of ABI.md §1–3 each: the exact standard output, and the
/// exit status. Every run also checks that the kernel got back every frame and kernel stack
/// and did not panic (``expectRun(_:_:input:argv0:setUp:stdout:status:sourceLocation:)``).
@Suite("User programs on Apus")
struct ProgramTests {
    @Test func helloWorld() throws {
        _ = try expectRun("hello", stdout: "Hello from Apus!\n")
    }

    @Test func argumentsAreLaidOutOnTheStackExactlyAsKeOSDoes() throws {
        _ = try expectRun("argv", ["-l", "foo", "bar"], argv0: "/bin/ls", stdout: """
            argc=4 argv=0x4747ffc0
            argv[0]=0x4747ffed "/bin/ls"
            argv[1]=0x4747fff5 "-l"
            argv[2]=0x4747fff8 "foo"
            argv[3]=0x4747fffc "bar"
            argv[argc]=0x0

            """, status: 4)
    }

    @Test func aProgramRunWithoutArgumentsGetsItsOwnName() throws {
        _ = try expectRun("argv", stdout: "argc=1 argv=0x4747ffe8\nargv[0]=0x4747fffb \"argv\"\nargv[argc]=0x0\n", status: 1)
    }

    @Test func catCopiesStandardInput() throws {
        _ = try expectRun("cat", input: "KeOS is fun!\n", stdout: "KeOS is fun!\n")
    }

    @Test func catReadsFilesOfTheRootFileSystem() throws {
        _ = try expectRun("cat", ["motd.txt"], stdout: "KeOS is fun!\nApus too.\n")
    }

    @Test func standardStreams() throws {
        let result = try expectRun("stdio", input: "input line one\nand two\n", stdout: """
            read 0 bytes: 0
            last read: 0
            stdin (23 bytes): input line one
            and two
            read at end: 0, buffer untouched: yes
            write 0 bytes: 0
            read from stdout: -22
            write to stdin: -22
            seek stdin: -22, tell stdout: -22
            close stdin: 0, then read: -9
            stdin's fd is reused: 0

            """)
        expectEqual(result.stderr, "this line goes to standard error\n")
    }

    @Test func regularFiles() throws {
        _ = try expectRun("files", stdout: """
            open: 3
            read 5: 5 "Hello"
            tell: 5
            read rest: 8 ", file!
            "
            read at end: 0 ""
            seek past end: 100
            read past end: 0 ""
            tell: 100
            seek negative: -22
            seek end-3: 10
            seek cur+1: 11
            seek whence 3: -22
            write to read-only fd: -22
            second open: 4
            write J: 1
            seen through first fd: 5 "Jello"
            seek 11: 11
            write past end: 3
            tell after: 14
            close: 0 0
            reopen takes lowest fd: 3
            after reopen: 14 "Jello, fileXYZ"
            read from write-only fd: -22
            seek end of write-only: 14

            """)
    }

    @Test func everyBootStartsFromThePristineFileSystem() throws {
        _ = try expectRun("files", stdout: try SystemUnderTest.run("files").stdout)
        _ = try expectRun("cat", ["hello.txt"], stdout: "Hello, file!\n")
    }

    @Test func pipes() throws {
        _ = try expectRun("pipes", stdout: """
            pipe: 0 fds 3 4
            write: 10
            read 4: 4 "hell"
            read rest: 6 "o pipe"
            write: 3
            close write end: 0
            read after close: 3 "abc"
            read empty, no writers: -32
            read 0 bytes, no writers: -32
            pipe: 0 fds 4 5
            read from write end: -22
            write to read end: -22
            seek: -22 tell: -22
            close read end: 0
            write, no readers: -32
            pipe(NULL): -14
            next fd is still 4

            """)
    }

    @Test func errorCodes() throws {
        _ = try expectRun("errors", stdout: """
            open missing: -2
            open mode 3: -22
            open mode -1: -22
            open non-UTF-8: -22
            read fd 99: -9
            read fd -1: -9
            write fd 1000: -9
            close fd 77: -9
            seek fd 50: -9
            tell fd 50: -9
            fd in the low 32 bits: -22
            syscall 99: -38
            syscall 0x80: -38
            getphys unmapped: -22
            opened 1021 files, then: -24
            close 500: 0, open again: 500

            """)
    }

    @Test func aMissingProgramIsAnErrorThatNamesTheFilesThereAre() throws {
        let error = #expect(throws: ProgramRun.NoSuchProgram.self) { try SystemUnderTest.run("no-such-program") }
        expectEqual(error?.description.hasPrefix("no program named no-such-program in the root file system."), true)
        expectEqual(error?.files.contains(Array("hello".utf8)), true)
    }

    @Test func aFileThatIsNotAProgramIsRefused() throws {
        let result = try SystemUnderTest.run("hello.txt")
        expectEqual(result.exitStatus, nil)
        expectEqual(result.problem, "cannot run hello.txt: not a valid x86-64 ELF executable")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/gcc"), "needs gcc at /usr/bin/gcc"))
    func aProgramBuiltElsewhereWithGCCRuns() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("apus-external-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/external.c")
        let script = Workspace.current.root.appendingPathComponent("Userland/user.ld")
        let gcc = Process()
        gcc.executableURL = URL(fileURLWithPath: "/usr/bin/gcc")
        gcc.arguments = ["-nostdlib", "-static", "-fno-pie", "-no-pie", "-O2", "-fno-stack-protector", "-fcf-protection=none",
                         "-T", script.path, "-Wl,--build-id=none", "-o", folder.appendingPathComponent("external").path, source.path]
        try gcc.run()
        gcc.waitUntilExit()
        try #require(gcc.terminationStatus == 0)
        let result = try SystemUnderTest.run("external", ["hello"], rootfs: [folder])
        expectEqual(result.stdout, "built with gcc, running on Apus\nhello\n")
        expectEqual(result.exitStatus, 7)
    }

    @Test func theDemoRunsWhenNoProgramIsNamed() throws {
        let result = try SystemUnderTest.run("demo")
        expectEqual(result.exitStatus, 0)
        #expect(result.stdout.hasPrefix("Hello from Apus, an x86-64 teaching kernel in Embedded Swift.\n"))
    }
}
