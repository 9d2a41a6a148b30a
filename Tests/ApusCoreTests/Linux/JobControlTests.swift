import ApusCore
import Testing

/// Process groups, sessions and the console's foreground group (``ProcessGroups``,
/// ``ControllingTerminal``, ``LinuxJobControlRequest``): Linux's rules and errors, each
/// refusal changing nothing, and how the calls decode.
@Suite("Linux job control: process groups, sessions, the foreground group")
struct JobControlTests {
    /// A login as a job-control shell leaves it: the shell (1) leads session 1 and group 1;
    /// its job 2 leads group 2 with 3 beside it; 4 ran `execve` after its fork; 5 called
    /// `setsid`; 6 is a child of 2.
    static let shell = ProcessRelations(id: 1, parent: 0, group: 1, session: 1)
    static let job = ProcessRelations(id: 2, parent: 1, group: 2, session: 1)
    static let jobPeer = ProcessRelations(id: 3, parent: 1, group: 2, session: 1)
    static let executed = ProcessRelations(id: 4, parent: 1, group: 1, session: 1, hasExecuted: true)
    static let detached = ProcessRelations(id: 5, parent: 1, group: 5, session: 5)
    static let grandchild = ProcessRelations(id: 6, parent: 2, group: 2, session: 1)
    static let login = [shell, job, jobPeer, executed, detached, grandchild]

    @Test func setpgidMovesTheCallerOrAChildIntoANewOrExistingGroupOfItsSession() throws {
        #expect(try ProcessGroups.joining(pid: 0, group: 0, caller: Self.job, among: Self.login) == (2, 2))
        #expect(try ProcessGroups.joining(pid: 3, group: 0, caller: Self.shell, among: Self.login) == (3, 3), "a new group of its own")
        #expect(try ProcessGroups.joining(pid: 3, group: 1, caller: Self.shell, among: Self.login) == (3, 1))
        #expect(try ProcessGroups.joining(pid: 0, group: 1, caller: Self.grandchild, among: Self.login) == (6, 1))
        #expect(try ProcessGroups.joining(pid: 6, group: 6, caller: Self.job, among: Self.login) == (6, 6))
    }

    @Test func setpgidRefusesAsLinuxDoes() {
        func refusal(_ pid: Int64, _ group: Int64, by caller: ProcessRelations) -> LinuxErrno? {
            do throws(LinuxErrno) {
                _ = try ProcessGroups.joining(pid: pid, group: group, caller: caller, among: Self.login)
                return nil
            } catch { return error }
        }
        expectEqual(refusal(3, -1, by: Self.shell), .invalid, "a negative group")
        expectEqual(refusal(99, 0, by: Self.shell), .noSuchProcess, "no such process")
        expectEqual(refusal(-3, 0, by: Self.shell), .invalid, "the group is the pid, negative")
        expectEqual(refusal(-3, 1, by: Self.shell), .noSuchProcess)
        expectEqual(refusal(6, 0, by: Self.shell), .noSuchProcess, "a grandchild is not the caller's child")
        expectEqual(refusal(1, 0, by: Self.job), .noSuchProcess, "nor is a parent")
        expectEqual(refusal(4, 0, by: Self.shell), .accessDenied, "a child that ran execve")
        expectEqual(refusal(5, 5, by: Self.shell), .notPermitted, "a child in another session")
        expectEqual(refusal(0, 0, by: Self.shell), .notPermitted, "a session leader stays where it is")
        expectEqual(refusal(0, 1, by: Self.detached), .notPermitted, "a session leader, whatever the group")
        expectEqual(refusal(3, 7, by: Self.shell), .notPermitted, "a group that does not exist")
        expectEqual(refusal(3, 5, by: Self.shell), .notPermitted, "a group of another session")
    }

    @Test func setsidNeedsACallerThatLeadsNoGroup() throws {
        expectEqual(try ProcessGroups.newSession(by: Self.jobPeer, among: Self.login), 3)
        #expect(throws: LinuxErrno.notPermitted) { try ProcessGroups.newSession(by: Self.job, among: Self.login) }
        #expect(throws: LinuxErrno.notPermitted) { try ProcessGroups.newSession(by: Self.shell, among: Self.login) }
        let stray = ProcessRelations(id: 7, parent: 1, group: 1, session: 1)
        #expect(throws: LinuxErrno.notPermitted, "another process leads group 7") {
            try ProcessGroups.newSession(by: stray, among: Self.login + [ProcessRelations(id: 8, parent: 1, group: 7, session: 1)])
        }
    }

    @Test func getpgidAndGetsidAnswerForAnyProcess() throws {
        expectEqual(try ProcessGroups.relations(of: 0, caller: Self.jobPeer, among: Self.login), Self.jobPeer)
        expectEqual(try ProcessGroups.relations(of: 5, caller: Self.jobPeer, among: Self.login).session, 5)
        #expect(throws: LinuxErrno.noSuchProcess) { try ProcessGroups.relations(of: 42, caller: Self.shell, among: Self.login) }
    }

    @Test func aGroupIsOrphanedWhenNoMemberHasAParentInAnotherGroupOfItsSession() {
        #expect(!ProcessGroups.isOrphaned(2, among: Self.login), "the shell, in group 1, is the job's parent")
        #expect(ProcessGroups.isOrphaned(1, among: Self.login), "the shell's own parent is outside the run")
        #expect(ProcessGroups.isOrphaned(5, among: Self.login), "its parent is in another session")
        #expect(ProcessGroups.isOrphaned(2, among: [Self.job, Self.jobPeer, Self.grandchild]), "once the shell has gone")
    }

    @Test func theTerminalsStopSignalsPassOverAnOrphanedGroupButSIGSTOPDoesNot() {
        for signal in [Signal.terminalStop, .terminalInput, .terminalOutput] {
            #expect(!ProcessGroups.ignoresDefaultStop(by: signal, group: 2, among: Self.login), "a shell can continue its job")
            #expect(ProcessGroups.ignoresDefaultStop(by: signal, group: 1, among: Self.login), "nothing would continue the shell")
        }
        #expect(!ProcessGroups.ignoresDefaultStop(by: .stop, group: 1, among: Self.login))
        #expect(!ProcessGroups.ignoresDefaultStop(by: .stop, group: 2, among: Self.login))
    }

    @Test func theForegroundGroupIsAnsweredToTheTerminalsSessionOnly() throws {
        let terminal = ControllingTerminal(session: 1, foregroundGroup: 2)
        expectEqual(try terminal.foregroundGroup(askedBy: Self.shell), 2)
        expectEqual(try terminal.foregroundGroup(askedBy: Self.grandchild), 2)
        #expect(throws: LinuxErrno.notATerminal) { try terminal.foregroundGroup(askedBy: Self.detached) }
    }

    @Test func tcsetpgrpMovesTheForegroundWithinTheSession() throws {
        var terminal = ControllingTerminal(session: 1, foregroundGroup: 1)
        expectEqual(try terminal.setForegroundGroup(2, by: Self.shell, among: Self.login, ignoresStopSignal: false), .changed)
        expectEqual(terminal.foregroundGroup, 2)
        expectEqual(try terminal.setForegroundGroup(1, by: Self.jobPeer, among: Self.login, ignoresStopSignal: false), .changed,
                    "a foreground process may give the terminal away")
        let starting = ProcessRelations(id: 7, parent: 1, group: 1, session: 1)
        expectEqual(try terminal.setForegroundGroup(7, by: Self.shell, among: Self.login + [starting], ignoresStopSignal: false), .changed,
                    "a process of that id will do while its group has no member yet")
        expectEqual(terminal.foregroundGroup, 7)
    }

    @Test func tcsetpgrpRefusalsChangeNothing() {
        var terminal = ControllingTerminal(session: 1, foregroundGroup: 1)
        let before = terminal
        func refusal(_ group: Int64, by caller: ProcessRelations) -> LinuxErrno? {
            do throws(LinuxErrno) {
                _ = try terminal.setForegroundGroup(group, by: caller, among: Self.login, ignoresStopSignal: true)
                return nil
            } catch { return error }
        }
        expectEqual(refusal(-2, by: Self.shell), .invalid)
        expectEqual(refusal(2, by: Self.detached), .notATerminal, "not its controlling terminal")
        expectEqual(refusal(42, by: Self.shell), .noSuchProcess)
        expectEqual(refusal(5, by: Self.shell), .notPermitted, "a group of another session")
        expectEqual(terminal, before)
    }

    @Test func aBackgroundCallerIsStoppedUnlessItIgnoresSIGTTOUOrItsGroupIsOrphaned() throws {
        var terminal = ControllingTerminal(session: 1, foregroundGroup: 1)
        expectEqual(try terminal.setForegroundGroup(2, by: Self.job, among: Self.login, ignoresStopSignal: false), .stopsCallersGroup)
        expectEqual(terminal.foregroundGroup, 1)
        expectEqual(try terminal.setForegroundGroup(2, by: Self.job, among: Self.login, ignoresStopSignal: true), .changed,
                    "a job-control shell ignores SIGTTOU")
        terminal = ControllingTerminal(session: 1, foregroundGroup: 2)
        #expect(throws: LinuxErrno.notATerminal, "no shell is left to continue an orphaned group") {
            try terminal.setForegroundGroup(1, by: Self.shell, among: Self.login, ignoresStopSignal: false)
        }
    }

    @Test func requestsComeToWhatTheKernelDoes() {
        var terminal = ControllingTerminal(session: 1, foregroundGroup: 1)
        func decide(_ request: LinuxJobControlRequest, by caller: ProcessRelations, ignoring: Bool = true) -> LinuxJobControlDecision {
            request.decide(by: caller, among: Self.login, terminal: &terminal, ignoresTerminalOutputStop: ignoring)
        }
        expectEqual(decide(.processGroup(of: 3), by: Self.shell), .returns(2))
        expectEqual(decide(.session(of: 0), by: Self.detached), .returns(5))
        expectEqual(decide(.session(of: 77), by: Self.shell), .returns(-3))
        expectEqual(decide(.setProcessGroup(3, to: 0), by: Self.shell), .joins(process: 3, group: 3))
        expectEqual(decide(.setProcessGroup(4, to: 0), by: Self.shell), .returns(-13))
        expectEqual(decide(.newSession, by: Self.jobPeer), .leadsNewSession(3))
        expectEqual(decide(.newSession, by: Self.shell), .returns(-1))
        expectEqual(decide(.foregroundGroup(storeAt: VirtualAddress(0x1000)), by: Self.job), .stores(1, at: VirtualAddress(0x1000)))
        expectEqual(decide(.foregroundGroup(storeAt: VirtualAddress(0x1000)), by: Self.detached), .returns(-25))
        expectEqual(decide(.setForegroundGroup(2), by: Self.job, ignoring: false), .stopsCallersGroup(.terminalOutput))
        expectEqual(decide(.setForegroundGroup(2), by: Self.shell), .returns(0))
        expectEqual(terminal.foregroundGroup, 2)
    }

    @Test func theCallsDecodeIntoRequests() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            let buffer = ProcessHarnessLayout.buffer
            expectEqual(harness.linuxOutcome(LinuxSyscallNumber.getpgid.rawValue, 7), .jobControl(.processGroup(of: 7)))
            expectEqual(harness.linuxOutcome(LinuxSyscallNumber.getsid.rawValue, 0), .jobControl(.session(of: 0)))
            expectEqual(harness.linuxOutcome(LinuxSyscallNumber.setpgid.rawValue, 0x1_0000_0003, 0xFFFF_FFFF), .jobControl(.setProcessGroup(3, to: -1)), "pid_t arguments are C ints")
            expectEqual(harness.linuxOutcome(LinuxSyscallNumber.setsid.rawValue), .jobControl(.newSession))
            expectEqual(harness.linuxOutcome(LinuxSyscallNumber.ioctl.rawValue, 0, 0x540F, buffer), .jobControl(.foregroundGroup(storeAt: VirtualAddress(buffer))))
            try harness.process.mm.copyOut(Int32(-5).littleEndianBytes, to: VirtualAddress(buffer))
            expectEqual(harness.linuxOutcome(LinuxSyscallNumber.ioctl.rawValue, 2, 0x5410, buffer), .jobControl(.setForegroundGroup(-5)))
            expectEqual(harness.linux(LinuxSyscallNumber.ioctl.rawValue, 0, 0x540F, ProcessHarnessLayout.readOnly), -14)
            expectEqual(harness.linux(LinuxSyscallNumber.ioctl.rawValue, 0, 0x5410, 0x10), -14)
            let null = try harness.linuxOpen("/dev/null", flags: 2)
            expectEqual(harness.linux(LinuxSyscallNumber.ioctl.rawValue, UInt64(null), 0x540F, buffer), -25)
        }
    }

    @Test func aReadOfTheTerminalFromTheBackgroundStopsTheReadersGroupOrIsEIO() throws {
        let terminal = ControllingTerminal(session: 1, foregroundGroup: 1)
        expectEqual(try terminal.readAccess(by: Self.shell, among: Self.login, ignoresStopSignal: false), .reads)
        expectEqual(try terminal.readAccess(by: Self.detached, among: Self.login, ignoresStopSignal: false), .reads,
                    "not its controlling terminal")
        expectEqual(try terminal.readAccess(by: Self.job, among: Self.login, ignoresStopSignal: false), .stopsCallersGroup)
        #expect(throws: LinuxErrno.io, "SIGTTIN blocked or ignored") {
            try terminal.readAccess(by: Self.job, among: Self.login, ignoresStopSignal: true)
        }
        #expect(throws: LinuxErrno.io, "no shell is left to continue an orphaned group") {
            try terminal.readAccess(by: Self.job, among: [Self.job, Self.jobPeer, Self.grandchild], ignoresStopSignal: false)
        }
        var unchanged = terminal
        expectEqual(LinuxJobControlRequest.readsInBackground.decide(by: Self.job, among: Self.login, terminal: &unchanged,
                                                                    ignoresTerminalOutputStop: false), .stopsCallersGroup(.terminalInput))
        expectEqual(unchanged, terminal)
    }

    /// What the kernel was asked: whether the reader ignores `SIGTTIN`, for each read.
    final class ReadAccessLog: @unchecked Sendable {
        var asked: [Bool] = []
    }

    @Test func aBackgroundReadOfTheTerminalIsDecidedBeforeAByteIsTaken() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine, input: "abc")
            let buffer = ProcessHarnessLayout.buffer
            let log = ReadAccessLog()
            var background = LinuxSyscallTests.machine
            background.terminalReadAccess = { ignores throws(LinuxErrno) in
                log.asked.append(ignores)
                if ignores { throw .io }
                return .stopsCallersGroup
            }
            expectEqual(harness.linuxOutcome(LinuxSyscallNumber.read.rawValue, 0, buffer, 3, machine: background), .jobControl(.readsInBackground))
            try harness.process.mm.copyOut((buffer + 0x100).littleEndianBytes + UInt64(3).littleEndianBytes, to: VirtualAddress(buffer + 0x200))
            expectEqual(harness.linuxOutcome(LinuxSyscallNumber.readv.rawValue, 0, buffer + 0x200, 1, machine: background), .jobControl(.readsInBackground))
            expectEqual(harness.console.pendingInputCount, 3, "nothing was taken")

            // SIGTTIN blocked, then ignored: −EIO.
            try harness.process.mm.copyOut(Signal.terminalInput.bit.littleEndianBytes, to: VirtualAddress(buffer + 0x300))
            expectEqual(harness.linux(LinuxSyscallNumber.rtSigprocmask.rawValue, 0, buffer + 0x300, 0, 8), 0)
            expectEqual(harness.linux(LinuxSyscallNumber.read.rawValue, 0, buffer, 3, machine: background), -5)
            expectEqual(harness.linux(LinuxSyscallNumber.rtSigprocmask.rawValue, 1, buffer + 0x300, 0, 8), 0)
            try harness.process.mm.copyOut(UInt64(1).littleEndianBytes + [UInt8](repeating: 0, count: 24), to: VirtualAddress(buffer + 0x400))
            expectEqual(harness.linux(LinuxSyscallNumber.rtSigaction.rawValue, UInt64(Signal.terminalInput.number), buffer + 0x400, 0, 8), 0)
            expectEqual(harness.linux(LinuxSyscallNumber.read.rawValue, 0, buffer, 3, machine: background), -5)
            expectEqual(log.asked, [false, false, true, true])
            expectEqual(harness.console.pendingInputCount, 3)

            // Input that is no terminal on the host has no job control; another file neither.
            var redirected = background
            redirected.terminalStreams = 0
            expectEqual(harness.linux(LinuxSyscallNumber.read.rawValue, 0, buffer, 3, machine: redirected), 3)
            let null = try harness.linuxOpen("/dev/null", flags: 0)
            expectEqual(harness.linux(LinuxSyscallNumber.read.rawValue, UInt64(null), buffer, 3, machine: background), 0)
            expectEqual(log.asked.count, 4)
        }
    }
}
