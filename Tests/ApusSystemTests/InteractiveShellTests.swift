import ApusCore
import ApusTool
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Debian's busybox shell at a terminal, as a user types at it (`apus run --rootfs DIR
/// busybox sh` on a pseudo-terminal): a prompt, its own line editing, a command and its
/// output, Ctrl-C to the command in front (SIGINT to the console's foreground process
/// group), Ctrl-Z to stop it and `fg` to continue it, a job stopped for reading the terminal
/// from the background, Ctrl-D to its input, the shell surviving them all, and `exit`. One
/// boot checks all of it.
@Suite("An interactive Linux shell")
struct InteractiveShellTests {
    typealias Session = InteractiveInputTests.TerminalSession

    /// The longest Ctrl-C may take to bring the prompt back: it takes a tick or two in the
    /// machine; the rest is the slowest CI's margin.
    static let backAtThePrompt: TimeInterval = 10

    @Test func busyboxShAtATerminalRunsCommandsAndCtrlCEndsOnlyTheCommandInFront() throws {
        try InteractiveInputTests.prepare()
        try LinuxProgramTests.withBusybox { _, files in
            let session = try Session(["run", "--acceleration", "software", "--rootfs", files.path, "busybox", "sh"],
                                      mode: InteractiveInputTests.rawishMode)
            // Keys go to the shell only once it shows its prompt: before, between commands,
            // the terminal is in line mode and Ctrl-C is a signal for the shell itself.
            let prompt = "/ # "
            var prompts = 1
            // A step that fails ends the test: each later one would wait its whole patience.
            func atTheNextPrompt(_ what: String) throws {
                try #require(session.waitFor(prompt, times: prompts), "\(what): \(session.seen)")
                prompts += 1
            }
            try atTheNextPrompt("a prompt")
            // The shell reads the line key by key and echoes it itself: the terminal follows
            // the modes it set, so the line shows once.
            session.type("echo hello $((6 * 7))\n")
            #expect(session.waitFor("hello 42"), "\(session.seen)")
            expectEqual(session.seen.components(separatedBy: "echo hello").count, 2, "the line shows once: \(session.seen)")
            try atTheNextPrompt("after echo")

            // Ctrl-C at the prompt is the line editor's: a fresh prompt.
            session.type("\u{03}")
            try atTheNextPrompt("Ctrl-C at the prompt")

            // A command in front: the shell gives the terminal its signal keys back, forks, and
            // the child makes its process group the terminal's foreground one. Ctrl-C typed
            // before that would be the shell's, as on Linux, so each command says when it runs
            // (a line the typed one does not contain).
            let commands = [("busybox sh -c 'echo in front $((0 + 100)); exec busybox sleep 100'", "a sleep"),
                            ("busybox sh -c 'echo in front $((1 + 100)); while :; do :; done'", "a loop without system calls")]
            for (index, (command, what)) in commands.enumerated() {
                session.type(command + "\n")
                try #require(session.waitForSignalKeys(), "\(what) runs in front: \(session.seen)")
                try #require(session.waitFor("in front \(index + 100)"), "\(what) runs: \(session.seen)")
                let pressed = Date()
                session.type("\u{03}")
                try atTheNextPrompt("\(what) ended by Ctrl-C")
                #expect(Date().timeIntervalSince(pressed) < Self.backAtThePrompt, "\(what): back at the prompt in time")
                session.type("echo status $?\n")
                #expect(session.waitFor("status 130", times: index + 1), "\(what) died of SIGINT, the shell did not: \(session.seen)")
                try atTheNextPrompt("after echo")
            }

            // Ctrl-Z stops the job in front and the shell takes the terminal back; `fg` gives
            // it the terminal again before continuing it, so a beat printed after `fg` means
            // it is in front, and Ctrl-C ends it.
            session.type("busybox sh -c 'echo in front $((2 + 100)); while :; do echo beat; busybox sleep 0.2; done'\n")
            try #require(session.waitForSignalKeys(), "a job runs in front: \(session.seen)")
            try #require(session.waitFor("in front 102"), "a job runs: \(session.seen)")
            session.type("\u{1A}")
            try atTheNextPrompt("a job stopped by Ctrl-Z")
            #expect(session.seen.contains("Stopped"), "the shell says so: \(session.seen)")
            let beats = session.seen.components(separatedBy: "beat\r\n").count - 1
            session.type("fg\n")
            try #require(session.waitFor("beat\r\n", times: beats + 1), "the job goes on: \(session.seen)")
            session.type("\u{03}")
            try atTheNextPrompt("the continued job ended by Ctrl-C")
            session.type("echo status $?\n")
            #expect(session.waitFor("status 130", times: 3), "the continued job died of SIGINT: \(session.seen)")
            try atTheNextPrompt("after echo")

            // A job that reads the terminal from the background stops (SIGTTIN) instead of
            // taking the keys typed at the prompt; `fg` brings it in front, where it reads.
            session.type("busybox cat &\n")
            try atTheNextPrompt("cat started in the background")
            session.type("busybox sleep 1; jobs\n")
            try atTheNextPrompt("jobs")
            #expect(session.seen.contains("Stopped (tty input)"), "the shell says why: \(session.seen)")
            session.type("fg\n")
            try #require(session.waitFor("fg\r\nbusybox cat\r\n"), "the shell names the job it continues: \(session.seen)")

            // Ctrl-D ends the input of the command in front, not the shell's.
            #expect(session.waitForSignalKeys(), "\(session.seen)")
            session.type("typed\n")
            #expect(session.waitFor("typed\r\ntyped"), "echoed by the terminal, then written by cat: \(session.seen)")
            session.type("\u{04}")
            try atTheNextPrompt("cat ended at Ctrl-D, the shell did not")

            session.type("exit\n")
            expectEqual(session.exitStatus(), 0, "\(session.seen)")
            #expect(!session.seen.contains("not implemented") && !session.seen.contains("apus: "), "\(session.seen)")
            let after = session.mode
            #expect(after.c_lflag & tcflag_t(ICANON | ECHO | ISIG) == InteractiveInputTests.rawishMode.c_lflag & tcflag_t(ICANON | ECHO | ISIG),
                    "the terminal's mode is back")
        }
    }
}

extension InteractiveInputTests.TerminalSession {
    /// Waits until the terminal turns typed signal keys into signals again (a shell gives the
    /// terminal back to the command it runs); false if it never does.
    func waitForSignalKeys() -> Bool {
        let deadline = Date().addingTimeInterval(InteractiveInputTests.patience)
        while mode.c_lflag & tcflag_t(ISIG) == 0 {
            guard Date() < deadline else { return false }
            _ = waitFor("\u{0}", times: 0)
            usleep(10_000)
        }
        return true
    }
}
