import ApusCore
import Testing

/// The rules applied as a signal is posted.
@Suite("Signals: posting")
struct SignalPostingTests {
    @Test func anIgnoredSignalIsDiscardedAtPosting() throws {
        var state = SignalState(mainThread: 1)
        _ = try state.changeAction(10, to: .ignore)
        expectEqual(state.post(.sent(.user1, byProcess: 2)).isPending, false)
        expectEqual(state.post(.childChanged(pid: 2, status: .exited(1))).isPending, false)
        expectEqual(state.post(.sent(.user1, byProcess: 2), toThread: 1).isPending, false)
        #expect(state.sharedPending.set.isEmpty && state.signals(of: 1)!.pending.set.isEmpty)
    }

    @Test func anIgnoredSignalThatIsBlockedStaysPendingForALaterHandler() throws {
        var state = SignalState(mainThread: 1)
        _ = try state.changeMask(of: 1, how: 0, set: SignalSet([.child]))
        #expect(state.post(.childChanged(pid: 2, status: .exited(3))).isPending)
        _ = try state.changeAction(17, to: SignalAction(handler: .function(0x40_1000)))
        _ = try state.changeMask(of: 1, how: 1, set: SignalSet([.child]))
        guard case let .handler(run) = state.nextDelivery(for: 1) else { Issue.record("no handler"); return }
        expectEqual(run.info, .childChanged(pid: 2, status: .exited(3)))
    }

    @Test func continueDiscardsPendingStopsAndResumes() throws {
        var state = SignalState(mainThread: 1)
        state.addThread(2, createdBy: 1)
        _ = try state.changeMask(of: 1, how: 0, set: .all)
        _ = try state.changeMask(of: 2, how: 0, set: .all)
        _ = state.post(.sent(.terminalStop, byProcess: 9))
        _ = state.post(.sent(.terminalInput, byProcess: 9), toThread: 2)
        let outcome = state.post(.sent(.continue, byProcess: 9))
        #expect(outcome.resumesProcess)
        expectEqual(state.sharedPending.set, SignalSet([.continue]))
        #expect(state.signals(of: 2)!.pending.set.isEmpty)
    }

    @Test func continueResumesEvenWhenIgnored() throws {
        var state = SignalState(mainThread: 1)
        _ = try state.changeAction(18, to: .ignore)
        let outcome = state.post(.sent(.continue, byProcess: 9))
        #expect(outcome.resumesProcess && !outcome.isPending)
    }

    @Test func aStopDiscardsAPendingContinue() throws {
        var state = SignalState(mainThread: 1)
        _ = try state.changeMask(of: 1, how: 0, set: SignalSet([.continue]))
        _ = state.post(.sent(.continue, byProcess: 9))
        let outcome = state.post(.sent(.stop, byProcess: 9))
        #expect(!outcome.resumesProcess)
        expectEqual(state.sharedPending.set, SignalSet([.stop]))
        expectEqual(state.nextDelivery(for: 1), .stop(.stop))
    }

    @Test func killResumesAStoppedProcessAndWakesAThread() {
        var state = SignalState(mainThread: 1)
        let outcome = state.post(.sent(.kill, byProcess: 9))
        expectEqual(outcome, PostOutcome(isPending: true, resumesProcess: true, wake: 1))
    }

    @Test func onlyContinueAndKillResumeAStoppedProcess() throws {
        var state = SignalState(mainThread: 1)
        #expect(!state.post(.sent(.terminate, byProcess: 9)).resumesProcess, "SIGTERM waits for the SIGCONT")
        expectEqual(state.nextDelivery(for: 1), .terminate(.terminate, withCore: false), "and then ends it")
        #expect(!state.post(.sent(.segmentationFault, byProcess: 9), toThread: 1).resumesProcess)
        #expect(!state.post(.sent(.child, byProcess: 9)).resumesProcess, "ignored by default")
        #expect(!state.post(.sent(.terminalStop, byProcess: 9)).resumesProcess)
        _ = try state.changeAction(10, to: SignalAction(handler: .function(0x40_1000)))
        #expect(!state.post(.sent(.user1, byProcess: 9)).resumesProcess, "a handler waits for SIGCONT")
        _ = try state.changeMask(of: 1, how: 0, set: SignalSet([.user2]))
        #expect(!state.post(.sent(.user2, byProcess: 9)).resumesProcess, "blocked")
        #expect(!state.post(.sent(.user2, byProcess: 9), toThread: 1).resumesProcess)
    }

    @Test func theThreadWokenIsOneThatDoesNotBlockTheSignal() throws {
        var state = SignalState(mainThread: 1)
        state.addThread(2, createdBy: 1)
        state.addThread(3, createdBy: 1)
        _ = try state.changeMask(of: 1, how: 0, set: SignalSet([.user1]))
        _ = try state.changeMask(of: 2, how: 0, set: SignalSet([.user1]))
        expectEqual(state.post(.sent(.user1, byProcess: 9)).wake, 3)
        _ = try state.changeMask(of: 3, how: 0, set: SignalSet([.user1]))
        expectEqual(state.post(.sent(.user2, byProcess: 9)).wake, 1)
        expectEqual(state.post(.sent(.user1, byProcess: 9), toThread: 2).wake, nil)
    }

    @Test func aSignalAlreadyPendingKeepsItsFirstSiginfo() throws {
        var state = SignalState(mainThread: 1)
        _ = try state.changeAction(10, to: SignalAction(handler: .function(0x40_1000)))
        _ = try state.changeMask(of: 1, how: 0, set: SignalSet([.user1]))
        _ = state.post(.sent(.user1, byProcess: 5))
        _ = state.post(.sent(.user1, byProcess: 6))
        _ = try state.changeMask(of: 1, how: 2, set: .empty)
        guard case let .handler(run) = state.nextDelivery(for: 1) else { Issue.record("no handler"); return }
        expectEqual(run.info, .sent(.user1, byProcess: 5))
        expectEqual(state.nextDelivery(for: 1), .none)
    }

    @Test func aBlockedOrIgnoredFaultIsForcedThroughWithTheDefaultAction() throws {
        var state = SignalState(mainThread: 1)
        _ = try state.changeAction(11, to: .ignore)
        _ = state.postFault(.fault(.segmentationFault, code: SignalInfo.codeSegvMapping, address: 0), toThread: 1)
        expectEqual(state.action(for: .segmentationFault), .default)
        expectEqual(state.nextDelivery(for: 1), .terminate(.segmentationFault, withCore: true))

        let handler = SignalAction(handler: .function(0x40_1000), flags: [.restorer], restorer: 0x40_2000)
        _ = try state.changeAction(8, to: handler)
        _ = try state.changeMask(of: 1, how: 0, set: SignalSet([.floatingPointException]))
        _ = state.postFault(.fault(.floatingPointException, code: 1, address: 0x40_1234), toThread: 1)
        #expect(!state.signals(of: 1)!.blocked.contains(.floatingPointException))
        expectEqual(state.nextDelivery(for: 1), .terminate(.floatingPointException, withCore: true))
    }

    @Test func anUnblockedFaultGoesToTheProgramsHandler() throws {
        var state = SignalState(mainThread: 1)
        let handler = SignalAction(handler: .function(0x40_1000), flags: [.restorer], restorer: 0x40_2000)
        _ = try state.changeAction(11, to: handler)
        _ = state.postFault(.fault(.segmentationFault, code: SignalInfo.codeSegvAccess, address: 0x1000), toThread: 1)
        guard case let .handler(run) = state.nextDelivery(for: 1) else { Issue.record("no handler"); return }
        expectEqual(run.info.details, .fault(address: 0x1000))
    }

    @Test func postingToAnUnknownThreadDoesNothing() {
        var state = SignalState(mainThread: 1)
        expectEqual(state.post(.sent(.user1, byProcess: 2), toThread: 42), PostOutcome(isPending: false, resumesProcess: false, wake: nil))
        expectEqual(state, SignalState(mainThread: 1))
    }
}
