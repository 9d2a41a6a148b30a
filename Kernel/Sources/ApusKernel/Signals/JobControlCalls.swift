import X86_64Support

/// Linux's calls about process groups, sessions and the console's foreground group
/// (`getpgid`, `getsid`, `setpgid`, `setsid`, `TIOCGPGRP`, `TIOCSPGRP`): ApusCore decides
/// (``LinuxJobControlRequest/decide(by:among:terminal:ignoresTerminalOutputStop:)``) from the
/// relations of every live process and the run's ``ControllingTerminal``, and the kernel
/// carries out what it decided.
extension ProcessRun {
    /// What the rules of process groups need to know of `process`.
    func relations(of process: ProcessControlBlock) -> ProcessRelations {
        let parent = table.entry(process.id)?.parent.map { Int64($0.value) } ?? 0
        return process.core.linux.relations(of: Int64(process.id.value), parent: parent)
    }

    /// Whether the running process may read the console now (a call holding the kernel lock
    /// asks, through ``LinuxMachine/terminalReadAccess``).
    func terminalReadAccess(ignoresStopSignal: Bool) throws(LinuxErrno) -> ControllingTerminal.ReadAccess {
        try terminal.readAccess(by: relations(of: running.process), among: table.entries.map { relations(of: $0.process) },
                                ignoresStopSignal: ignoresStopSignal)
    }

    /// `request` by `thread` of `process`: the call's result, and whether the call is to be
    /// made again should its process stop and go on (a `TIOCSPGRP` from the background).
    func jobControl(_ request: LinuxJobControlRequest, by thread: ThreadControlBlock, of process: ProcessControlBlock) -> (Int64, restartable: Bool) {
        let processes = table.entries.map { relations(of: $0.process) }
        let signals = process.core.linux.signals
        let ignoresStop = signals.signals(of: thread.id)?.blocked.contains(.terminalOutput) == true
            || signals.action(for: .terminalOutput).handler == .ignore
        switch request.decide(by: relations(of: process), among: processes, terminal: &terminal, ignoresTerminalOutputStop: ignoresStop) {
        case .returns(let value):
            return (value, false)
        case .joins(let id, let group):
            table.entry(ProcessID(Int(id)))?.process.core.linux.processGroup = group
            return (0, false)
        case .leadsNewSession(let id):
            process.core.linux.processGroup = id
            process.core.linux.session = id
            return (id, false)
        case .stores(let value, let address):
            guard (try? process.core.mm.copyOut(value: value, to: address)) != nil else { return (LinuxErrno.fault.syscallReturnValue, false) }
            return (0, false)
        case .stopsCallersGroup(let signal):
            let group = process.core.linux.group(of: Int64(process.id.value))
            _ = send(.fromKernel(signal), to: .group(group), sender: process)
            return (LinuxErrno.interrupted.syscallReturnValue, true)
        }
    }
}
