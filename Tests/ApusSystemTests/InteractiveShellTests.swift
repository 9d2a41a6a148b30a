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
/// group), the shell surviving it, and `exit`. One boot checks all of it.
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
            let prompt = "/ # "
            #expect(session.waitFor(prompt), "a prompt: \(session.seen)")
            // The shell reads the line key by key and echoes it itself: the terminal follows
            // the modes it set, so the line shows once.
            session.type("echo hello $((6 * 7))\n")
            #expect(session.waitFor("hello 42"), "\(session.seen)")
            #expect(session.seen.components(separatedBy: "echo hello").count == 2, "the line shows once: \(session.seen)")

            // Ctrl-C at the prompt is the line editor's: a fresh prompt.
            session.type("\u{03}")
            #expect(session.waitFor(prompt, times: 3), "\(session.seen)")

            // A command in front: the shell gives the terminal its signal keys back first.
            let commands = [("busybox sleep 100", "a sleep"), ("busybox sh -c 'while :; do :; done'", "a loop without system calls")]
            for (index, (command, what)) in commands.enumerated() {
                let prompts = session.seen.components(separatedBy: prompt).count - 1
                session.type(command + "\n")
                #expect(session.waitForSignalKeys(), "\(what) runs in front: \(session.seen)")
                let pressed = Date()
                session.type("\u{03}")
                #expect(session.waitFor(prompt, times: prompts + 1), "\(what) ended by Ctrl-C: \(session.seen)")
                #expect(Date().timeIntervalSince(pressed) < Self.backAtThePrompt, "\(what): back at the prompt in time")
                session.type("echo status $?\n")
                #expect(session.waitFor("status 130", times: index + 1), "\(what) died of SIGINT, the shell did not: \(session.seen)")
            }

            session.type("exit\n")
            #expect(session.exitStatus() == 0, "\(session.seen)")
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
