import ApusCore
import Testing

/// What a thread does with its pending signals on its way back to user space, and the signal
/// state across `fork` and `execve`.
@Suite("Signals: delivery, fork, execve")
struct SignalDeliveryTests {
    static let handler = SignalAction(handler: .function(0x40_1000), flags: [.restorer], mask: SignalSet([.user2]), restorer: 0x40_2000)

    @Test func aHandlerRunsWithItsMaskAndTheSignalBlocked() throws {
        var state = SignalState(mainThread: 1)
        _ = try state.changeAction(2, to: Self.handler)
        _ = try state.changeMask(of: 1, how: 0, set: SignalSet([.quit]))
        _ = state.post(.fromKernel(.interrupt))
        guard case let .handler(run) = state.nextDelivery(for: 1) else { Issue.record("no handler"); return }
        #expect(run.signal == .interrupt && run.handler == 0x40_1000 && run.action == Self.handler)
        expectEqual(run.savedMask, SignalSet([.quit]))
        expectEqual(run.maskDuringHandler, SignalSet([.quit, .user2, .interrupt]))
        expectEqual(state.signals(of: 1)!.blocked, run.maskDuringHandler)
        expectEqual(state.action(for: .interrupt), Self.handler)
        #expect(!run.restartsInterruptedCall)
    }

    struct NoHandlerDelivered: Error {}

    /// A fresh state whose action for `signal` is ``handler`` with `flags` added, after
    /// `signal` was posted and taken: the state and the handler run.
    static func deliver(_ signal: Signal, adding flags: SignalActionFlags) throws -> (SignalState, HandlerRun) {
        var state = SignalState(mainThread: 1)
        var action = handler
        action.flags.formUnion(flags)
        _ = try state.changeAction(Int64(signal.number), to: action)
        _ = state.post(.fromKernel(signal))
        guard case let .handler(run) = state.nextDelivery(for: 1) else { throw NoHandlerDelivered() }
        return (state, run)
    }

    @Test func noDeferLeavesTheSignalUnblockedDuringItsHandler() throws {
        let (_, run) = try Self.deliver(.interrupt, adding: .noDefer)
        expectEqual(run.maskDuringHandler, SignalSet([.user2]))
    }

    @Test func resetHandRunsTheHandlerOnceThenTheDefault() throws {
        var (state, _) = try Self.deliver(.interrupt, adding: .resetHand)
        expectEqual(state.action(for: .interrupt), .default)
        state.restoreMask(of: 1, to: .empty)
        _ = state.post(.fromKernel(.interrupt))
        expectEqual(state.nextDelivery(for: 1), .terminate(.interrupt, withCore: false))
    }

    @Test func saRestartIsReportedForTheInterruptedCall() throws {
        #expect(try Self.deliver(.child, adding: .restart).1.restartsInterruptedCall)
        #expect(try !Self.deliver(.child, adding: []).1.restartsInterruptedCall)
    }

    @Test func theLowestNumberGoesFirstButKillBeforeAll() throws {
        var state = SignalState(mainThread: 1)
        for number: Int64 in [2, 10, 15] { _ = try state.changeAction(number, to: Self.handler) }
        _ = try state.changeMask(of: 1, how: 0, set: .all)
        for signal in [Signal.terminate, .user1, .interrupt] { _ = state.post(.fromKernel(signal)) }
        _ = try state.changeMask(of: 1, how: 2, set: .empty)
        guard case let .handler(first) = state.nextDelivery(for: 1) else { Issue.record("no handler"); return }
        expectEqual(first.signal, .interrupt)
        state.restoreMask(of: 1, to: .empty)
        _ = state.post(.fromKernel(.kill))
        expectEqual(state.nextDelivery(for: 1), .terminate(.kill, withCore: false))
    }

    @Test func ignoredAndContinueDefaultsAreConsumedSilently() throws {
        var state = SignalState(mainThread: 1)
        _ = try state.changeMask(of: 1, how: 0, set: SignalSet([.child, .continue, .windowChange]))
        for signal in [Signal.child, .continue, .windowChange] { _ = state.post(.fromKernel(signal)) }
        _ = try state.changeMask(of: 1, how: 2, set: .empty)
        #expect(!state.hasDeliverableSignal(1))
        expectEqual(state.nextDelivery(for: 1), .none)
        #expect(state.sharedPending.set.isEmpty)
    }

    @Test func stopSignalsStopAndErrorSignalsTerminateWithCore() {
        var state = SignalState(mainThread: 1)
        _ = state.post(.fromKernel(.terminalStop))
        expectEqual(state.nextDelivery(for: 1), .stop(.terminalStop))
        _ = state.post(.fromKernel(.abort))
        expectEqual(state.nextDelivery(for: 1), .terminate(.abort, withCore: true))
    }

    @Test func aThreadTakesItsOwnPendingSignalsAndTheProcesssButNotAnothersThread() throws {
        var state = SignalState(mainThread: 1)
        state.addThread(2, createdBy: 1)
        _ = try state.changeAction(10, to: Self.handler)
        _ = try state.changeAction(12, to: Self.handler)
        _ = state.post(.fromKernel(.user1), toThread: 2)
        _ = state.post(.fromKernel(.user2))
        expectEqual(state.deliverable(for: 1), SignalSet([.user2]))
        expectEqual(state.deliverable(for: 2), SignalSet([.user1, .user2]))
        guard case let .handler(run) = state.nextDelivery(for: 1) else { Issue.record("no handler"); return }
        expectEqual(run.signal, .user2)
        expectEqual(state.deliverable(for: 2), SignalSet([.user1]))
    }

    @Test func forkCopiesActionsAndTheCallersMaskWithNothingPending() throws {
        var state = SignalState(mainThread: 1)
        state.addThread(2, createdBy: 1)
        _ = try state.changeAction(2, to: Self.handler)
        _ = try state.changeAction(3, to: .ignore)
        _ = try state.changeMask(of: 2, how: 0, set: SignalSet([.user1, .terminate]))
        _ = state.post(.fromKernel(.terminate))
        _ = state.post(.fromKernel(.user1), toThread: 2)
        let child = state.forked(from: 2, child: 7)
        expectEqual(child.threads.map(\.thread), [7])
        expectEqual(child.signals(of: 7)!.blocked, SignalSet([.user1, .terminate]))
        #expect(child.signals(of: 7)!.pending.set.isEmpty && child.sharedPending.set.isEmpty)
        #expect(child.action(for: .interrupt) == Self.handler && child.action(for: .quit) == .ignore)
    }

    @Test func execveResetsHandlersKeepsIgnoredTheMaskAndPending() throws {
        var state = SignalState(mainThread: 1)
        state.addThread(2, createdBy: 1)
        _ = try state.changeAction(2, to: Self.handler)
        var ignoreWithFlags = SignalAction.ignore
        ignoreWithFlags.flags = [.restart]
        _ = try state.changeAction(1, to: ignoreWithFlags)
        _ = try state.changeMask(of: 2, how: 0, set: SignalSet([.user1]))
        _ = state.post(.fromKernel(.user1))
        state.resetForExecve(keeping: 2)
        expectEqual(state.threads.map(\.thread), [2])
        expectEqual(state.action(for: .interrupt), .default)
        expectEqual(state.action(for: .hangUp), .ignore)
        expectEqual(state.signals(of: 2)!.blocked, SignalSet([.user1]))
        expectEqual(state.sharedPending.set, SignalSet([.user1]))
    }

    @Test func aFailedFrameRestoresTheMaskAndRaisesSegv() throws {
        var state = SignalState(mainThread: 1)
        _ = try state.changeAction(2, to: Self.handler)
        _ = try state.changeAction(11, to: Self.handler)
        _ = state.post(.fromKernel(.interrupt))
        guard case let .handler(run) = state.nextDelivery(for: 1) else { Issue.record("no handler"); return }
        state.frameFailed(run, thread: 1)
        expectEqual(state.signals(of: 1)!.blocked, .empty)
        guard case let .handler(segv) = state.nextDelivery(for: 1) else { Issue.record("no SIGSEGV handler"); return }
        expectEqual(segv.signal, .segmentationFault)
        state.frameFailed(segv, thread: 1)
        expectEqual(state.action(for: .segmentationFault), .default)
        expectEqual(state.nextDelivery(for: 1), .terminate(.segmentationFault, withCore: true))
    }

    @Test func removedThreadsLoseTheirOwnPendingSignals() {
        var state = SignalState(mainThread: 1)
        state.addThread(2, createdBy: 1)
        _ = state.post(.fromKernel(.user1), toThread: 2)
        state.removeThread(2)
        expectEqual(state.signals(of: 2), nil)
        expectEqual(state.nextDelivery(for: 2), .none)
        #expect(state.deliverable(for: 1).isEmpty)
    }
}
