import Foundation

/// Every machine this process runs, stopped or held at once: for the signals that end or
/// suspend the tool (the `apus` command's SignalHandling.swift).
extension Machine {
    /// Stops every QEMU this process started and removes their folders: for a signal that
    /// ends the tool (the watcher would stop QEMU anyway once the tool is gone).
    public static func stopEverything() {
        stopping.update { $0 = true }
        // The run's files go before the machines: each QEMU's watcher removes the same files
        // once its pipe closes (WatchedProcess), and two removals of one folder at once can
        // each give up half way, on a file the other has just removed.
        ScratchFolder.removeAll()
        SharedRAM.removeAll()
        WatchedProcess.stopAll()
    }

    /// Set once ``stopEverything()`` has begun.
    private static let stopping = LockedValue(false)

    /// Returns at once, unless ``stopEverything()`` has begun: then the tool is about to
    /// exit as the signal that stopped it says, and a run that ended meanwhile (its QEMU
    /// stopped for the signal) must not be reported or give the command its status. The
    /// caller waits for that exit.
    public static func waitIfStopping() {
        while stopping.value { sleep(60) }
    }

    /// Stops every QEMU this process started until ``resumeEverything()`` (for Ctrl-Z: the
    /// machine waits with the tool instead of running on alone).
    public static func suspendEverything() {
        WatchedProcess.signalAll(SIGSTOP)
    }

    /// Lets every QEMU stopped by ``suspendEverything()`` go on; the time spent stopped does
    /// not count towards a run's time-out.
    public static func resumeEverything() {
        resumptions.update { $0 += 1 }
        WatchedProcess.signalAll(SIGCONT)
    }

    /// How many times the machines were resumed: a resumption restarts a run's time-out.
    static let resumptions = LockedValue(0)
}
