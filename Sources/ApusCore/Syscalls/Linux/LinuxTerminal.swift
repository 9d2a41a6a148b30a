/// The terminal `ioctl`s on the console (ABI.md §7): standard input, output and error and
/// `/dev/tty` are a terminal of 24 × 80, canonical at first (its line editing the host
/// terminal's); `TCGETS` reports its settings and `TCSETS*` change them, and where a user
/// types at `apus run` the host's terminal follows the modes a program sets (``Console``,
/// ``TerminalModes``: a shell's own line editor then reads key by key); its foreground process group
/// is asked and set with `TIOCGPGRP`/`TIOCSPGRP`, which the kernel serves with the run's
/// ``ControllingTerminal`` (``LinuxJobControlRequest``). Every other file is not a terminal
/// (−ENOTTY), and other requests on the console are −EINVAL.
public enum LinuxTerminal {
    public static let getAttributes: UInt64 = 0x5401 // TCGETS
    public static let setAttributes: ClosedRange<UInt64> = 0x5402...0x5404 // TCSETS, TCSETSW, TCSETSF
    public static let getForegroundGroup: UInt64 = 0x540F // TIOCGPGRP
    public static let setForegroundGroup: UInt64 = 0x5410 // TIOCSPGRP
    public static let getWindowSize: UInt64 = 0x5413 // TIOCGWINSZ
    public static let setWindowSize: UInt64 = 0x5414 // TIOCSWINSZ

    /// `ioctl(fd, request, argp)` for `process`: 0, −errno, or the foreground group's request.
    public static func control<RAM, P: Pager>(_ a: SyscallArguments, in process: inout UserProcess<RAM, P>, terminals: UInt8) throws(KernelError) -> SyscallOutcome<RAM> {
        guard isTerminal(try process.files.file(a.fileDescriptor(0)), terminals: terminals) else {
            return .returns(LinuxErrno.notATerminal.syscallReturnValue)
        }
        let request = a[1] & 0xFFFF_FFFF
        switch request {
        case getAttributes:
            try process.mm.copyOut(process.console.terminalSettings, to: a.address(2))
        case setAttributes:
            process.console.setTerminalSettings(try process.mm.copyIn(count: LinuxStructures.termiosSize, from: a.address(2)))
        case getWindowSize:
            try process.mm.copyOut(LinuxStructures.windowSize, to: a.address(2))
        case setWindowSize:
            _ = try process.mm.checkedUserRange(a.address(2), count: UInt64(LinuxStructures.windowSize.count), for: .read)
        case getForegroundGroup:
            _ = try process.mm.checkedUserRange(a.address(2), count: 4, for: .write)
            return .jobControl(.foregroundGroup(storeAt: a.address(2)))
        case setForegroundGroup:
            let group = try process.mm.copyIn(count: 4, from: a.address(2))
            return .jobControl(.setForegroundGroup(Int64(Int32(littleEndianBytes: group, at: 0))))
        default:
            throw .invalidArgument
        }
        return .returns(0)
    }

    /// Whether `file` is the terminal, where `terminals` says which standard streams are one
    /// on the host (bits 0, 1, 2).
    static func isTerminal<RAM>(_ file: OpenFile<RAM>, terminals: UInt8) -> Bool {
        switch file.kind {
        case .standardInput: terminals & 1 != 0
        case .standardOutput: terminals & 2 != 0
        case .standardError: terminals & 4 != 0
        case .device(.terminal): true
        default: false
        }
    }

    /// The job-control rule before `thread` of `process` reads `file`: `nil` when the read
    /// goes ahead (not the terminal, or read from the foreground), else what the call does
    /// instead: −EIO, or `SIGTTIN` to the caller's group (``ControllingTerminal/readAccess(by:among:ignoresStopSignal:)``).
    static func backgroundRead<RAM, P: Pager>(of file: OpenFile<RAM>, by thread: ThreadID, in process: borrowing UserProcess<RAM, P>,
                                              machine: LinuxMachine) -> SyscallOutcome<RAM>? {
        guard file.isReadable, isTerminal(file, terminals: machine.terminalStreams) else { return nil }
        let signals = process.linux.signals
        let ignores = signals.signals(of: thread)?.blocked.contains(.terminalInput) == true
            || signals.action(for: .terminalInput).handler == .ignore
        do throws(LinuxErrno) {
            switch try machine.terminalReadAccess(ignores) {
            case .reads: return nil
            case .stopsCallersGroup: return .jobControl(.readsInBackground)
            }
        } catch {
            return .returns(error.syscallReturnValue)
        }
    }
}
