import ApusCore
import ApusTool
import Foundation
import Testing

/// User programs on Apus, one rule of ABI.md §1–3 each: the exact standard output, and the
/// exit status. Every run also checks that the program gave back every frame.
@Suite("User programs on Apus")
struct ProgramTests {
    static func expectRun(_ program: String, _ arguments: [String] = [], input: String = "", argv0: String? = nil,
                          stdout expected: String, status: Int64 = 0, sourceLocation: SourceLocation = #_sourceLocation) throws -> ProgramRun.Result {
        let result = try SystemUnderTest.run(program, arguments, input: input, argv0: argv0)
        #expect(result.problem == nil, "kernel log:\n\(result.log)", sourceLocation: sourceLocation)
        #expect(result.stdout == expected, sourceLocation: sourceLocation)
        #expect(result.exitStatus == status, sourceLocation: sourceLocation)
        if let frames = result.frames {
            #expect(frames.before == frames.after, "frames leaked", sourceLocation: sourceLocation)
        } else {
            Issue.record("the kernel reported no frame counts", sourceLocation: sourceLocation)
        }
        #expect(result.kernelStacks.map { $0.before == $0.after } == true, "kernel stacks leaked", sourceLocation: sourceLocation)
        return result
    }

    @Test func helloWorld() throws {
        _ = try Self.expectRun("hello", stdout: "Hello from Apus!\n")
    }

    @Test func argumentsAreLaidOutOnTheStackExactlyAsKeOSDoes() throws {
        _ = try Self.expectRun("argv", ["-l", "foo", "bar"], argv0: "/bin/ls", stdout: """
            argc=4 argv=0x4747ffc0
            argv[0]=0x4747ffed "/bin/ls"
            argv[1]=0x4747fff5 "-l"
            argv[2]=0x4747fff8 "foo"
            argv[3]=0x4747fffc "bar"
            argv[argc]=0x0

            """, status: 4)
    }

    @Test func aProgramRunWithoutArgumentsGetsItsOwnName() throws {
        _ = try Self.expectRun("argv", stdout: "argc=1 argv=0x4747ffe8\nargv[0]=0x4747fffb \"argv\"\nargv[argc]=0x0\n", status: 1)
    }

    @Test func catCopiesStandardInput() throws {
        _ = try Self.expectRun("cat", input: "KeOS is fun!\n", stdout: "KeOS is fun!\n")
    }

    @Test func catReadsFilesOfTheRootFileSystem() throws {
        _ = try Self.expectRun("cat", ["motd.txt"], stdout: "KeOS is fun!\nApus too.\n")
    }

    @Test func standardStreams() throws {
        let result = try Self.expectRun("stdio", input: "input line one\nand two\n", stdout: """
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
        #expect(result.stderr == "this line goes to standard error\n")
    }

    @Test func regularFiles() throws {
        _ = try Self.expectRun("files", stdout: """
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
            after reopen: 13 "Jello, fileXY"
            read from write-only fd: -22
            seek end of write-only: 13

            """)
    }

    @Test func everyBootStartsFromThePristineFileSystem() throws {
        _ = try Self.expectRun("files", stdout: try SystemUnderTest.run("files").stdout)
        _ = try Self.expectRun("cat", ["hello.txt"], stdout: "Hello, file!\n")
    }

    @Test func pipes() throws {
        _ = try Self.expectRun("pipes", stdout: """
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
        _ = try Self.expectRun("errors", stdout: """
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

    @Test func badPointersAreBadAddressForEverySyscallThatTakesOne() throws {
        _ = try Self.expectRun("badptr", stdout: """
            NULL: open -14 read -14 write -14 pipe -14
            kernel: open -14 read -14 write -14 pipe -14
            kernel window: open -14 read -14 write -14 pipe -14
            non-canonical: open -14 read -14 write -14 pipe -14
            unmapped: open -14 read -14 write -14 pipe -14
            read into read-only memory: -14
            pipe into read-only memory: -14
            read 0 bytes to NULL: -14
            write 0 bytes from NULL: -14
            read past the stack's end: -14
            write wrapping past 2^64: -14
            read a huge length: -14
            position unchanged: 0
            still "constant"

            """)
    }

    @Test func systemCallsPreserveEveryRegisterButRaxRcxR11() throws {
        _ = try Self.expectRun("regs", stdout: """
            tell(1): result -22, 0 registers changed
            read(file): result 13, 0 registers changed
            pipe: result 0, 0 registers changed
            write(pipe): result 13, 0 registers changed
            read(pipe): result 13, 0 registers changed
            read(file) into a fresh page: result 13, 0 registers changed
            0 registers changed in all

            """)
    }

    @Test(arguments: [
        ("read", "page fault at 0x10000000: access to a non-present page"),
        ("null", "page fault at 0x0: access to a non-present page"),
        ("write-read-only", "write to a read-only page"),
        ("execute-stack", "execution of a non-executable page"),
        ("kernel", "page fault at 0xffff800000000000"),
        ("gp", "general protection (#GP)"),
        ("non-canonical", "general protection (#GP)"),
        ("ud", "invalid opcode (#UD)"),
        ("divide", "divide error (#DE)"),
        ("int3", "general protection (#GP)"),
        ("int80", "general protection (#GP)"),
    ])
    func aFaultKillsOnlyTheProcessWithStatusMinusOne(kind: String, logged: String) throws {
        let result = try Self.expectRun("fault", [kind], stdout: "about to fault: \(kind)\n", status: -1)
        #expect(result.shellStatus == 255)
        #expect(result.logLines.contains { $0.contains(logged) && $0.hasSuffix("process killed with status -1") }, "log:\n\(result.log)")
        #expect(!result.logLines.contains { $0.contains("PANIC") })
    }

    @Test func aMissingProgramIsAnErrorThatNamesTheFilesThereAre() throws {
        let error = #expect(throws: ProgramRun.NoSuchProgram.self) { try SystemUnderTest.run("no-such-program") }
        #expect(error?.description.hasPrefix("no program named no-such-program in the root file system.") == true)
        #expect(error?.files.contains(Array("hello".utf8)) == true)
    }

    @Test func aFileThatIsNotAProgramIsRefused() throws {
        let result = try SystemUnderTest.run("hello.txt")
        #expect(result.exitStatus == nil)
        #expect(result.problem == "cannot run hello.txt: not a valid x86-64 ELF executable")
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
                         "-T", script.path, "-o", folder.appendingPathComponent("external").path, source.path]
        try gcc.run()
        gcc.waitUntilExit()
        try #require(gcc.terminationStatus == 0)
        let result = try SystemUnderTest.run("external", ["hello"], rootfs: [folder])
        #expect(result.stdout == "built with gcc, running on Apus\nhello\n")
        #expect(result.exitStatus == 7)
    }

    @Test func theDemoRunsWhenNoProgramIsNamed() throws {
        let result = try SystemUnderTest.run("demo")
        #expect(result.exitStatus == 0)
        #expect(result.stdout.hasPrefix("Hello from Apus, an x86-64 teaching kernel in Embedded Swift.\n"))
    }
}
