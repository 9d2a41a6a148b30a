import ApusCore
import ApusTool
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Standard input that streams into the program while it runs: typed at a terminal (the
/// test drives `apus run` through a pseudo-terminal, as a user at a keyboard would) and
/// piped from the host at a size no machine could hold.
@Suite("Standard input, typed and streamed")
struct InteractiveInputTests {
    /// The longest any step may take before the test gives up (a hang is a failure, never
    /// a wait forever); no step is expected to come near it.
    static let patience: TimeInterval = 120

    /// `apus run PROGRAM` on the slave side of a new pseudo-terminal whose mode is `mode`.
    final class TerminalSession {
        let master: Int32
        let pid: pid_t
        private(set) var seen = ""

        init(_ arguments: [String], mode: termios) throws {
            var mode = mode
            var master: Int32 = -1
            // Everything the child needs is made before the fork: it only closes descriptors
            // and calls execv.
            let apus = try requireApus().path
            let path = strdup(apus)
            let argv: [UnsafeMutablePointer<CChar>?] = ([apus] + arguments).map { strdup($0) } + [nil]
            defer { for word in argv { free(word) }; free(path) }
            let pid = forkpty(&master, nil, &mode, nil)
            if pid == 0 {
                // No descriptor of the test process goes with it: one another test has open
                // for writing (a program it is copying) would make that program busy to exec.
                closefrom(3)
                argv.withUnsafeBufferPointer { _ = execv(path!, $0.baseAddress!) }
                _exit(127)
            }
            guard pid > 0 else { throw ToolError("forkpty failed: \(String(cString: strerror(errno)))") }
            self.master = master
            self.pid = pid
        }

        deinit {
            close(master)
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, WNOHANG)
        }

        /// Types `text` at the keyboard.
        func type(_ text: String) {
            _ = text.withCString { write(master, $0, strlen($0)) }
        }

        /// Reads what the terminal shows until it holds `text` `times` times; false if it
        /// never does.
        func waitFor(_ text: String, times: Int = 1) -> Bool {
            let deadline = Date().addingTimeInterval(InteractiveInputTests.patience)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while seen.components(separatedBy: text).count - 1 < times {
                guard Date() < deadline else { return false }
                var ready = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
                guard poll(&ready, 1, 100) >= 0 else { return false }
                guard ready.revents != 0 else { continue }
                let count = read(master, &buffer, buffer.count)
                guard count > 0 else { return false }
                seen += String(decoding: buffer[0..<count], as: UTF8.self)
            }
            return true
        }

        /// Waits until `apus` has put the terminal in line mode (canonical, echoing); false if
        /// it never does.
        func waitForLineMode() -> Bool {
            let deadline = Date().addingTimeInterval(InteractiveInputTests.patience)
            while mode.c_lflag & tcflag_t(ICANON | ECHO | ISIG) != tcflag_t(ICANON | ECHO | ISIG) {
                guard Date() < deadline else { return false }
                _ = waitFor("\u{0}", times: 0)
                usleep(10_000)
            }
            return true
        }

        /// Waits for `apus` to end; its exit status (128 + n for signal n).
        func exitStatus() -> Int32 {
            var status: Int32 = 0
            let deadline = Date().addingTimeInterval(InteractiveInputTests.patience)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while waitpid(pid, &status, WNOHANG) == 0 {
                guard Date() < deadline else { return -1 }
                // Keep the terminal drained so that output never blocks the run.
                var ready = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
                if poll(&ready, 1, 50) > 0 {
                    let count = read(master, &buffer, buffer.count)
                    if count > 0 { seen += String(decoding: buffer[0..<count], as: UTF8.self) }
                }
            }
            let signalled = status & 0x7F
            return signalled == 0 ? (status >> 8) & 0xFF : 128 + signalled
        }

        /// The terminal's mode as it is now.
        var mode: termios {
            var mode = termios()
            tcgetattr(master, &mode)
            return mode
        }
    }

    /// A terminal mode `apus run` must change for the run (no echo, no line editing) and
    /// then put back.
    static var rawishMode: termios {
        // A new terminal's own mode (its keys: erase, end of file, interrupt), then raw.
        var master: Int32 = -1, slave: Int32 = -1
        var mode = termios()
        if openpty(&master, &slave, nil, nil, nil) == 0 {
            tcgetattr(slave, &mode)
            close(slave)
            close(master)
        }
        mode.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG)
        return mode
    }

    static func prepare() throws {
        _ = try SystemUnderTest.kernel.get()
        _ = try SystemUnderTest.programs.get()
    }

    /// `apus run cat` at a terminal in ``rawishMode``, once `apus` has set line mode.
    static func catAtATerminal() throws -> TerminalSession {
        try prepare()
        let session = try TerminalSession(["run", "--acceleration", "software", "cat"], mode: rawishMode)
        #expect(session.waitForLineMode())
        return session
    }

    /// `apus run PROGRAM` with pipes for its standard input and output, started.
    static func apusWithPipes(_ program: String) throws -> (process: Foundation.Process, input: Foundation.Pipe, output: Foundation.Pipe) {
        try prepare()
        let process = Process()
        process.executableURL = try requireApus()
        process.arguments = ["run", "--acceleration", "software", program]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        return (process, input, output)
    }

    @Test func linesReachTheProgramAsTheyAreTypedAndCtrlDEndsTheInput() throws {
        let session = try Self.catAtATerminal()
        // Each line comes back from the program before the next is typed: the program reads
        // the terminal while it runs, line by line.
        session.type("first line\n")
        #expect(session.waitFor("first line\r\nfirst line"), "echoed by the terminal, then written by cat: \(session.seen)")
        session.type("second, with a slip\u{7F}\u{7F}\u{7F}\u{7F}typo\n")
        #expect(session.waitFor("second, with a typo", times: 1), "the terminal's editing applies: \(session.seen)")
        session.type("\u{04}")
        expectEqual(session.exitStatus(), 0, "Ctrl-D ends the input; cat ends with 0: \(session.seen)")
        let after = session.mode
        #expect(after.c_lflag & tcflag_t(ICANON | ECHO) == Self.rawishMode.c_lflag & tcflag_t(ICANON | ECHO), "the terminal's mode is back")
    }

    @Test func ctrlCEndsTheRunWithStatus130AndRestoresTheTerminal() throws {
        let session = try Self.catAtATerminal()
        session.type("still here\n")
        #expect(session.waitFor("still here\r\nstill here"), "echoed, then written by cat: \(session.seen)")
        session.type("\u{03}")
        expectEqual(session.exitStatus(), 130, "\(session.seen)")
        #expect(!session.seen.contains("apus: "), "no complaint about the machine: \(session.seen)")
        let after = session.mode
        #expect(after.c_lflag & tcflag_t(ICANON | ECHO | ISIG) == Self.rawishMode.c_lflag & tcflag_t(ICANON | ECHO | ISIG), "the terminal's mode is back")
    }

    /// What `stdinedge` prints with "abc" as its input: every odd read refused with the
    /// documented error, the input itself, and the end.
    static let stdinedgeOutput = """
        NULL: -14
        NULL, 0 bytes: -14
        kernel half: -14
        kernel window: -14
        non-canonical: -14
        read-only data: -14
        code: -14
        off the stack's end: -14
        SIZE_MAX bytes: -14
        2^62 bytes: -14
        0 bytes: 0
        the input: 3 "abc"
        write to stdin: -22
        after the end: 0
        close: 0
        after close: -9

        """

    /// The same odd reads while the input streams: none of them waits (a read of 0 bytes
    /// returns at once although more input may come), the read of the input waits until
    /// the test sends it, and the end of the pipe is the end of the input.
    @Test func oddReadsOfStreamedInputNeverWaitAndTheRealReadWaitsForTheInput() throws {
        let (process, input, output) = try Self.apusWithPipes("stdinedge")
        var seen = Data()
        let deadline = Date().addingTimeInterval(Self.patience)
        while !String(decoding: seen, as: UTF8.self).contains("0 bytes: 0\n"), Date() < deadline, process.isRunning {
            seen.append(output.fileHandleForReading.availableData)
        }
        #expect(!String(decoding: seen, as: UTF8.self).contains("the input"), "the program waits for its input")
        input.fileHandleForWriting.write(Data("abc".utf8))
        try input.fileHandleForWriting.close()
        seen.append(output.fileHandleForReading.readDataToEndOfFile())
        process.waitUntilExit()
        expectEqual(String(decoding: seen, as: UTF8.self), Self.stdinedgeOutput)
        expectEqual(process.terminationStatus, 0)
    }

    /// 100 MiB through a pipe into `stdinsum`, which hashes it: every byte arrives in order,
    /// and `apus` itself never holds more than a small part of it.
    @Test func oneHundredMiBStreamThroughStandardInputInBoundedMemory() throws {
        let size = 100 << 20
        let (process, input, output) = try Self.apusWithPipes("stdinsum")
        let pid = process.processIdentifier
        // The input: a pattern no period of which divides a ring or a chunk, hashed as it goes.
        let expected = LockedText()
        let writer = Thread {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            var sent = 0, state: UInt32 = 1
            while sent < size {
                for index in chunk.indices {
                    state = state &* 1_103_515_245 &+ 12345
                    chunk[index] = UInt8(truncatingIfNeeded: state >> 16)
                    hash = (hash ^ UInt64(chunk[index])) &* 0x100_0000_01b3
                }
                chunk.withUnsafeBytes { bytes in
                    var offset = 0
                    while offset < bytes.count {
                        let count = write(input.fileHandleForWriting.fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
                        if count <= 0 { return }
                        offset += count
                    }
                }
                sent += chunk.count
            }
            try? input.fileHandleForWriting.close()
            expected.set(String(hash, radix: 16))
        }
        writer.start()
        // The tool's own peak memory, read while it runs (QEMU's is the machine's RAM).
        let peak = LockedText()
        let watcher = Thread {
            while let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) {
                if let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) {
                    peak.set(String(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
                }
                usleep(20_000)
            }
        }
        watcher.start()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        while !writer.isFinished || !watcher.isFinished { usleep(1000) }
        let hash = String(repeating: "0", count: 16 - expected.value.count) + expected.value
        expectEqual(process.terminationStatus, 0)
        expectEqual(printed, "\(size) bytes, fnv1a \(hash)\n")
        let peakKiB = Int(peak.value) ?? .max
        #expect(peakKiB < 64 << 10, "apus held \(peakKiB) KiB at its peak while 100 MiB went through it")
    }
}
