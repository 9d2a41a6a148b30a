/// What the kernel does with a signal that the program has left to it (its handler is
/// `SIG_DFL`): signal(7)'s "standard signals" table.
///
/// * **terminate**: the process ends, killed by the signal (`SIGHUP`, `SIGINT`, `SIGKILL`,
///   `SIGPIPE`, `SIGTERM`, `SIGUSR1`… and every real-time signal);
/// * **terminate with core**: the same for the signals that report a program error
///   (`SIGSEGV`, `SIGILL`, `SIGFPE`, `SIGABRT`, `SIGQUIT`…). Linux then writes a core file
///   when the core size limit allows; Apus writes none, so a parent sees these as killed
///   without the core bit, as on Linux with `ulimit -c 0` (``WaitStatus/killed(by:coreDumped:)``);
/// * **ignore**: nothing happens (`SIGCHLD`, `SIGURG`, `SIGWINCH`). An ignored signal is
///   discarded as it is posted, unless it is blocked;
/// * **stop**: every thread of the process stops until a `SIGCONT` (`SIGSTOP`, `SIGTSTP`,
///   `SIGTTIN`, `SIGTTOU`);
/// * **continue**: a stopped process runs again (`SIGCONT`). The continuing happens when
///   the signal is *posted*, even if it is blocked or caught (``SignalState/post(_:)``);
///   at delivery the default does nothing more.
public enum DefaultAction: Hashable, Sendable {
    case terminate
    case terminateWithCore
    case ignore
    case stop
    case `continue`
}

extension Signal {
    /// What the kernel does with this signal when the program installed no handler.
    public var defaultAction: DefaultAction {
        switch self {
        case .quit, .illegalInstruction, .trap, .abort, .busError, .floatingPointException,
             .segmentationFault, .cpuTimeLimit, .fileSizeLimit, .badSystemCall:
            return .terminateWithCore
        case .child, .urgent, .windowChange:
            return .ignore
        case .stop, .terminalStop, .terminalInput, .terminalOutput:
            return .stop
        case .continue:
            return .continue
        default:
            return .terminate
        }
    }

    /// True for the signals whose default is to stop the process.
    @inlinable public var isStop: Bool { defaultAction == .stop }
}
