import ApusCore
import ApusTool
import Foundation
import Testing

/// Linux programs, unmodified (ABI.md §7): Debian's static busybox runs a shell script on
/// Apus, and prints what the same busybox prints running the same script on this host, in
/// a scratch folder; a Linux shell starts a KeOS program. One boot runs each whole script.
@Suite("Linux programs: busybox")
struct LinuxProgramTests {
    /// The host's static busybox (the `busybox-static` package, which CI installs).
    static let busybox = URL(fileURLWithPath: "/usr/bin/busybox")

    /// A script every line of which must print the same on both systems: it works in a
    /// folder of its own, so no path of the machine shows.
    static let script = """
        busybox mkdir -p w/d/e && cd w
        echo hello; busybox echo from busybox
        busybox printf '%s=%d\\n' x 5
        i=0; while [ $i -lt 3 ]; do i=$((i+1)); done; echo "i=$i $((6 * 7))"
        f() { echo "f got $1"; return 4; }; f arg; echo "f returned $?"
        for n in 1 2 3; do busybox echo "n $n"; done
        echo one > a.txt; echo two >> a.txt; busybox cat a.txt; busybox wc -l < a.txt
        x=$(busybox cat a.txt | busybox head -1); echo "substituted $x"
        busybox seq 1 10 | busybox grep 1 | busybox sort -r | busybox tr '\\n' ' '; echo
        echo "b a c b" | busybox tr ' ' '\\n' | busybox sort | busybox uniq -c | busybox sed 's/^ *//'
        echo "1 2 3" | busybox awk '{ print $2 * 10 }'
        echo abcdef | busybox cut -c2-4
        busybox echo x y | busybox xargs busybox echo z
        busybox touch d/e/f; busybox find d | busybox sort
        busybox cp a.txt b.txt; busybox ls; busybox rm -r d b.txt; busybox ls
        busybox expr 3 + 4; busybox test -f a.txt && echo "a.txt is a file"
        busybox sha256sum a.txt
        cat <<END
        here $i
        END
        busybox sh -c 'exit 3'; echo "child status $?"
        busybox false || echo "false failed"
        echo to-stderr 1>&2; echo "after stderr"
        busybox basename /a/b/c.txt .txt; busybox dirname /a/b/c
        exit 5
        """

    /// Runs `body` with a scratch folder and, inside it, a folder `files` holding a copy of
    /// the host's busybox (for `--rootfs`); both go afterwards. Records an issue instead
    /// when the host has no static busybox.
    static func withBusybox(_ body: (_ folder: URL, _ files: URL) throws -> Void) throws {
        guard FileManager.default.isExecutableFile(atPath: busybox.path) else {
            Issue.record("\(busybox.path) is missing: install busybox-static (CI does)")
            return
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("apus-busybox-\(UUID().uuidString)")
        let files = folder.appendingPathComponent("files")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: busybox, to: files.appendingPathComponent("busybox"))
        try body(folder, files)
    }

    /// What the host's busybox prints running `script` (written to `files/script.sh`) in a
    /// scratch folder of `folder`, and its exit status.
    static func hostRun(_ script: String, folder: URL, files: URL) throws -> (stdout: String, status: Int32) {
        try Data(script.utf8).write(to: files.appendingPathComponent("script.sh"))
        let host = Process()
        host.executableURL = busybox
        host.arguments = ["sh", files.appendingPathComponent("script.sh").path]
        let scratch = folder.appendingPathComponent("host")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        host.currentDirectoryURL = scratch
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = "/usr/bin:/bin"
        host.environment = environment
        let pipe = Pipe()
        host.standardOutput = pipe
        host.standardError = FileHandle.nullDevice
        try host.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        host.waitUntilExit()
        return (output, host.terminationStatus)
    }

    @Test func busyboxRunsAShellScriptAsOnTheHost() throws {
        try Self.withBusybox { folder, files in
            let (expected, hostStatus) = try Self.hostRun(Self.script, folder: folder, files: files)
            let result = try SystemUnderTest.run("busybox", ["sh", "/script.sh"], rootfs: [files])
            expectEqual(result.problem, nil, "kernel log:\n\(result.log)")
            expectEqual(result.stdout, expected)
            expectEqual(result.stderr, "to-stderr\n")
            expectEqual(result.stderr, "to-stderr\n")
            expectEqual(result.exitStatus, Int64(hostStatus))
            expectEqual(hostStatus, 5)
            expectNothingLeakedAndNoPanic(result)
        }
    }

    /// Signals as a shell uses them: background jobs and `wait` (SIGCHLD through
    /// `rt_sigsuspend`), `kill` of a child and of the shell itself, `trap`, SIGPIPE in a
    /// pipeline, a sleep that a signal need not end.
    static let signalScript = """
        busybox sleep 0 & wait; echo "waited $?"
        busybox cat & kill $!; wait $!; echo "killed child $?"
        trap 'echo got USR1' USR1; kill -USR1 $$; echo "after trap"
        busybox yes | busybox head -n 1; echo "pipe status $?"
        busybox sh -c 'kill -TERM $$; echo not here'; echo "self-terminated $?"
        busybox sh -c 'trap "" PIPE; busybox yes | busybox head -n 2'; echo "ignored SIGPIPE $?"
        busybox sleep 0.2; echo slept
        kill -0 $$ && echo "kill -0 finds the shell"
        kill -0 4000 2>/dev/null || echo "no process 4000"
        (busybox sleep 5; echo "not killed") & kill -KILL $!; wait $!; echo "SIGKILL $?"
        """

    /// What the host's busybox prints for ``signalScript`` from a shell (recorded: under the
    /// test runner a child inherits a blocked SIGCHLD, and ash's `wait` would never end).
    static let signalScriptOutput = """
        waited 0
        killed child 143
        got USR1
        after trap
        y
        pipe status 0
        self-terminated 143
        y
        y
        ignored SIGPIPE 0
        slept
        kill -0 finds the shell
        no process 4000
        SIGKILL 137

        """

    @Test func busyboxSignalsBehaveAsOnTheHost() throws {
        try Self.withBusybox { _, files in
            try Data(Self.signalScript.utf8).write(to: files.appendingPathComponent("script.sh"))
            let result = try SystemUnderTest.run("busybox", ["sh", "/script.sh"], rootfs: [files])
            expectEqual(result.problem, nil, "kernel log:\n\(result.log)")
            expectEqual(result.stdout, Self.signalScriptOutput)
            expectEqual(result.exitStatus, 0)
            expectNothingLeakedAndNoPanic(result)
        }
    }

    @Test func aLinuxShellRunsAKeOSProgramAndGoesOn() throws {
        try Self.withBusybox { _, files in
            let result = try SystemUnderTest.run("busybox", ["sh", "-c", "/hello; echo \"hello said $?\"; /hello | busybox wc -c; exec /hello"],
                                                 rootfs: [files])
            expectEqual(result.problem, nil, "kernel log:\n\(result.log)")
            expectEqual(result.stdout, "Hello from Apus!\nhello said 0\n17\nHello from Apus!\n")
            expectEqual(result.exitStatus, 0)
            expectNothingLeakedAndNoPanic(result)
        }
    }

    /// Linux calls with bad pointers, flags and counts, and `execve` of files that are not
    /// programs (Fixtures/linuxhostile.c, built with this host's `cc -static`): each gets
    /// the error Linux gives on this host, and the kernel goes on.
    @Test func hostileLinuxCallsGetLinuxsErrorsAndTheKernelGoesOn() throws {
        let result = try Self.printsWhatTheHostPrints("linuxhostile")
        #expect(result.logLines.contains { $0.contains("Linux system call 1000 is not implemented") })
    }

    /// Signal handlers, masks, and hostile signal frames (Fixtures/linuxsignals.c): a
    /// handler due on an unmapped, kernel or non-canonical stack kills the process with
    /// SIGSEGV, forged `rt_sigreturn` frames end their process or land where a user
    /// program may; the output is the host's, and the kernel goes on.
    @Test func signalFramesOnBadStacksAndForgedReturnsEndOnlyTheirProcess() throws {
        try Self.printsWhatTheHostPrints("linuxsignals")
    }

    /// Faults as signals and the alternate stack (Fixtures/linuxfaults.c): every fault kind
    /// caught with Linux's si_signo, si_code and si_addr, a handler that mprotects and
    /// returns, blocked or ignored fault signals that kill, a stack overflow caught on the
    /// alternate stack, sigaltstack's answers and refusals, handlers due on a bad alternate
    /// stack that kill with SIGSEGV; the output is the host's, and the kernel goes on.
    @Test func faultsBecomeSignalsAHandlerCanCatchAsOnLinux() throws {
        try Self.printsWhatTheHostPrints("linuxfaults")
    }

    /// `poll` and `ppoll` on a pipe from both sides (Fixtures/linuxpoll.c): readiness, hang-up
    /// and error, timeouts, a wait another process's write ends, EINTR, ppoll's mask, and the
    /// refusals; the output is the host's.
    @Test func pollOnAPipeSeesWhatLinuxSees() throws {
        try Self.printsWhatTheHostPrints("linuxpoll")
    }

    /// `select` and `pselect6` on pipes, `fchdir` and `alarm` (Fixtures/linuxselect.c): the
    /// sets rewritten with the ready bits, timeouts and the time left, a wait another
    /// process's write ends, EINTR, pselect6's mask, every refusal; alarm's handler, return
    /// value, cancelling and default action, fork and execve; then bad pointers, huge nfds
    /// and racing writers. The output is the host's.
    @Test func selectFchdirAndAlarmSeeWhatLinuxSees() throws {
        let result = try Self.printsWhatTheHostPrints("linuxselect")
        #expect(result.stdout.hasSuffix("racing writers: 256 bytes\nsurvived\n"))
    }

    /// Signals for processes that make no system call (Fixtures/linuxspin.c): spinning
    /// children end at SIGKILL and SIGTERM, stop and go on (wait4 with WUNTRACED and
    /// WCONTINUED, SIGCHLD's codes, SA_NOCLDSTOP), and one runs a handler in its loop and
    /// finds rcx and r11 as they were; the output is the host's.
    @Test func signalsReachProcessesThatMakeNoSystemCall() throws {
        try Self.printsWhatTheHostPrints("linuxspin")
    }

    /// Runs Fixtures/`name`.c (``withHostProgram(_:_:)``) on this host and on Apus: it ends
    /// with "survived" on both, prints the same bytes, exits with 0, and the kernel leaks
    /// nothing and goes on. The run on Apus is given back for further checks.
    @discardableResult
    static func printsWhatTheHostPrints(_ name: String) throws -> ProgramRun.Result {
        var run: ProgramRun.Result?
        try withHostProgram(name) { folder, hostRun in
            let result = try SystemUnderTest.run(name, rootfs: [folder])
            let expected = try hostRun.output()
            #expect(expected.hasSuffix("survived\n"))
            expectEqual(result.problem, nil, "kernel log:\n\(result.log)")
            expectEqual(result.stdout, expected)
            expectEqual(result.exitStatus, 0)
            expectNothingLeakedAndNoPanic(result)
            run = result
        }
        return try #require(run)
    }

    /// Builds Fixtures/`name`.c with this host's `cc -static` into a scratch folder (beside
    /// its source as `src.c`), starts it on this host in a copy of that folder, and gives
    /// `body` the folder and that run, which goes on while `body` runs the program on Apus
    /// (the fixtures that wait for alarms and time-outs wait on both at once).
    static func withHostProgram(_ name: String, _ body: (_ folder: URL, _ hostRun: HostRun) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("apus-\(name)-\(UUID().uuidString)")
        let hostFolder = folder.appendingPathExtension("host")
        defer {
            try? FileManager.default.removeItem(at: folder)
            try? FileManager.default.removeItem(at: hostFolder)
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try buildWithHostCompiler(name, into: folder)
        // Its source, executable but no program, is there too (for `execve` to refuse).
        try FileManager.default.copyItem(at: source(of: name), to: folder.appendingPathComponent("src.c"))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.appendingPathComponent("src.c").path)
        try copyForExecution(folder, to: hostFolder)
        let hostRun = HostRun(hostFolder.appendingPathComponent(name), in: hostFolder)
        defer { _ = try? hostRun.output() } // the folders go only once the host's run has ended
        try body(folder, hostRun)
    }

    /// Copies `folder` to `copy` with `cp`, so that no descriptor of this process ever
    /// writes the copy's programs. A program file is busy (ETXTBSY: it cannot be run) while
    /// any process holds it open for writing, and a child that another thread of this
    /// process is starting holds a copy of every descriptor of this process until its own
    /// program starts, milliseconds later on a loaded machine.
    static func copyForExecution(_ folder: URL, to copy: URL) throws {
        let status = try runReadingOutput(URL(fileURLWithPath: "/bin/cp"), ["-R", folder.path, copy.path], onData: { _ in })
        try #require(status == 0, "cp -R \(folder.path) \(copy.path) exited with \(status)")
    }

    /// A program's run on this host (``HostSpawn``), on a thread of its own.
    final class HostRun: @unchecked Sendable {
        private let ended = DispatchSemaphore(value: 0)
        /// Set once, by the run's thread, before `ended` is signalled.
        private var outcome: Result<String, any Error>?

        init(_ program: URL, in folder: URL) {
            Thread { [self] in
                outcome = Result { String(decoding: try HostSpawn.run(program.path, [], in: folder.path).output, as: UTF8.self) }
                ended.signal()
            }.start()
        }

        /// What the program printed on standard output, once it has ended.
        func output() throws -> String {
            ended.wait()
            ended.signal()
            return try outcome!.get()
        }
    }

    static func source(of name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name).c")
    }

    /// Builds Fixtures/`name`.c with this host's `cc -static` into `folder`, as `name`.
    @discardableResult
    static func buildWithHostCompiler(_ name: String, into folder: URL) throws -> URL {
        let program = folder.appendingPathComponent(name)
        let compile = Process()
        compile.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        compile.arguments = ["cc", "-static", "-O1", "-o", program.path, source(of: name).path]
        try compile.run()
        compile.waitUntilExit()
        try #require(compile.terminationStatus == 0, "cc -static could not build \(source(of: name).path)")
        return program
    }
}
