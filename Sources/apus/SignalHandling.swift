import ApusTool
import Foundation

/// A signal that ends the tool ends its QEMU too (the watcher would, once the tool is gone;
/// this also removes the run's files and puts the terminal's mode back), then the tool exits
/// as the signal would: with 128 + the signal's number.
///
/// Ctrl-C (SIGINT) is the run's own while a Linux program leads it and reads this terminal:
/// the machine passes it on as SIGINT to the program's foreground process group, so a shell
/// goes on and the command it runs ends (``Machine/passInterrupt()``). Otherwise (a KeOS
/// program, input that is not a terminal) it ends the run. Ctrl-\ (SIGQUIT) always ends the
/// run, as Ctrl-C does, without a crash report: the way out of a program that ignores SIGINT.
///
/// Ctrl-Z (SIGTSTP) is the run's too while it takes Ctrl-C: SIGTSTP to the foreground group,
/// so a Linux shell's job stops and `fg` there continues it (``Machine/passSuspension()``).
/// Otherwise it stops the machine with the tool and gives the terminal its mode back; `fg`
/// (SIGCONT) sets the run's mode again and lets the machine go on, and the time spent
/// stopped does not count towards the run's time-out.
func stopQEMUOnSignals() {
    for signalNumber in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT] {
        watch(signalNumber) {
            if signalNumber == SIGINT, Machine.passInterrupt() { return }
            Terminal.restore()
            Machine.stopEverything()
            exit(128 + signalNumber)
        }
    }
    watch(SIGTSTP) {
        if Machine.passSuspension() { return }
        Machine.suspendEverything()
        Terminal.restore()
        kill(getpid(), SIGSTOP)
    }
    watch(SIGCONT) {
        if Terminal.wasInLineMode { Terminal.useLineMode(STDIN_FILENO) }
        Machine.resumeEverything()
    }
}

/// Handles `signalNumber` with `handler` (on a queue, not in the signal's own context).
private func watch(_ signalNumber: Int32, _ handler: @escaping () -> Void) {
    signal(signalNumber, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
    source.setEventHandler(handler: handler)
    source.resume()
    signalSources.append(source)
}

/// Opens every standard descriptor (0, 1, 2) that is closed on `/dev/null`, before anything
/// else opens a file: otherwise the tool's own files (a pipe of its event loop) would take
/// their numbers and be read as the program's input or written as its output.
func openClosedStandardDescriptors() {
    for descriptor in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] where fcntl(descriptor, F_GETFD) == -1 && errno == EBADF {
        let opened = open("/dev/null", descriptor == STDIN_FILENO ? O_RDONLY : O_WRONLY)
        if opened != descriptor, opened >= 0 {
            _ = dup2(opened, descriptor)
            close(opened)
        }
    }
}

/// The sources that watch the signals: kept for the tool's whole life.
nonisolated(unsafe) private var signalSources: [DispatchSourceSignal] = []
