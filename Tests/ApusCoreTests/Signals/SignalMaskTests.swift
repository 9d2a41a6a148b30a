import ApusCore
import Testing

/// `rt_sigprocmask` and `rt_sigsuspend`: a thread's blocked mask.
@Suite("Signals: rt_sigprocmask, rt_sigsuspend")
struct SignalMaskTests {
    let interruptAndQuit = SignalSet([.interrupt, .quit])

    @Test func blockAddsUnblockRemovesSetMaskReplaces() throws {
        var state = SignalState(mainThread: 1)
        #expect(try state.changeMask(of: 1, how: 0, set: interruptAndQuit) == .empty)
        #expect(try state.changeMask(of: 1, how: 0, set: SignalSet([.child])) == interruptAndQuit)
        #expect(try state.changeMask(of: 1, how: 1, set: SignalSet([.quit])) == SignalSet([.interrupt, .quit, .child]))
        #expect(try state.changeMask(of: 1, how: 2, set: SignalSet([.alarm])) == SignalSet([.interrupt, .child]))
        #expect(state.signals(of: 1)!.blocked == SignalSet([.alarm]))
    }

    @Test func killAndStopAreSilentlyNeverBlocked() throws {
        var state = SignalState(mainThread: 1)
        for how: Int64 in [0, 2] {
            _ = try state.changeMask(of: 1, how: how, set: .all)
            #expect(state.signals(of: 1)!.blocked == SignalSet.all.blockable)
        }
    }

    @Test func aBadHowIsInvalidAndChangesNothing() throws {
        var state = SignalState(mainThread: 1)
        _ = try state.changeMask(of: 1, how: 0, set: interruptAndQuit)
        for how: Int64 in [3, -1, 100] {
            #expect(throws: KernelError.invalidArgument) { try state.changeMask(of: 1, how: how, set: .empty) }
        }
        #expect(state.signals(of: 1)!.blocked == interruptAndQuit)
    }

    @Test func withoutASetTheCallOnlyReadsTheMaskWhateverHowSays() throws {
        var state = SignalState(mainThread: 1)
        _ = try state.changeMask(of: 1, how: 0, set: interruptAndQuit)
        #expect(try state.changeMask(of: 1, how: 99, set: nil) == interruptAndQuit)
        #expect(state.signals(of: 1)!.blocked == interruptAndQuit)
    }

    @Test func masksArePerThreadAndANewThreadStartsWithItsCreatorsMask() throws {
        var state = SignalState(mainThread: 1)
        _ = try state.changeMask(of: 1, how: 0, set: interruptAndQuit)
        state.addThread(2, createdBy: 1)
        _ = try state.changeMask(of: 2, how: 1, set: .all)
        #expect(state.signals(of: 1)!.blocked == interruptAndQuit)
        #expect(state.signals(of: 2)!.blocked == .empty)
    }

    @Test func sigsuspendRunsTheHandlerWithTheTemporaryMaskAndSavesTheOldOne() throws {
        var state = SignalState(mainThread: 1)
        _ = try state.changeAction(17, to: SignalAction(handler: .function(0x40_1000), mask: SignalSet([.user2])))
        _ = try state.changeMask(of: 1, how: 0, set: SignalSet([.child, .interrupt]))
        _ = state.post(.childChanged(pid: 3, status: .exited(0)))
        #expect(!state.hasDeliverableSignal(1))
        state.beginSuspend(1, mask: SignalSet([.kill, .user1]))
        #expect(state.signals(of: 1)!.blocked == SignalSet([.user1]))
        #expect(state.hasDeliverableSignal(1))
        guard case let .handler(run) = state.nextDelivery(for: 1) else { Issue.record("no handler"); return }
        #expect(run.savedMask == SignalSet([.child, .interrupt]))
        #expect(run.maskDuringHandler == SignalSet([.user1, .user2, .child]))
        #expect(state.signals(of: 1)!.maskBeforeSuspend == nil)
        state.restoreMask(of: 1, to: run.savedMask)
        #expect(state.signals(of: 1)!.blocked == SignalSet([.child, .interrupt]))
    }

    @Test func sigsuspendWithoutAHandlerPutsTheOldMaskBackAtOnce() throws {
        var state = SignalState(mainThread: 1)
        _ = try state.changeMask(of: 1, how: 0, set: SignalSet([.child]))
        state.beginSuspend(1, mask: .empty)
        _ = state.post(.sent(.continue, byProcess: 4))
        #expect(state.nextDelivery(for: 1) == .none)
        #expect(state.signals(of: 1)!.blocked == SignalSet([.child]))
        #expect(state.signals(of: 1)!.maskBeforeSuspend == nil)
    }

    @Test func unblockingMakesAPendingSignalDeliverable() throws {
        var state = SignalState(mainThread: 1)
        _ = try state.changeMask(of: 1, how: 0, set: SignalSet([.terminate]))
        _ = state.post(.sent(.terminate, byProcess: 2))
        #expect(state.nextDelivery(for: 1) == .none)
        _ = try state.changeMask(of: 1, how: 1, set: SignalSet([.terminate]))
        #expect(state.nextDelivery(for: 1) == .terminate(.terminate, withCore: false))
    }
}
