import ApusCore
import Testing

/// `rt_sigprocmask` and `rt_sigsuspend`: a thread's blocked mask.
@Suite("Signals: rt_sigprocmask, rt_sigsuspend")
struct SignalMaskTests {
    let interruptAndQuit = SignalSet([.interrupt, .quit])

    @Test func blockAddsUnblockRemovesSetMaskReplaces() throws {
        var state = SignalState(mainThread: 1)
        expectEqual(try state.changeMask(of: 1, how: 0, set: interruptAndQuit), .empty)
        expectEqual(try state.changeMask(of: 1, how: 0, set: SignalSet([.child])), interruptAndQuit)
        expectEqual(try state.changeMask(of: 1, how: 1, set: SignalSet([.quit])), SignalSet([.interrupt, .quit, .child]))
        expectEqual(try state.changeMask(of: 1, how: 2, set: SignalSet([.alarm])), SignalSet([.interrupt, .child]))
        expectEqual(state.signals(of: 1)!.blocked, SignalSet([.alarm]))
    }

    @Test func killAndStopAreSilentlyNeverBlocked() throws {
        var state = SignalState(mainThread: 1)
        for how: Int64 in [0, 2] {
            _ = try state.changeMask(of: 1, how: how, set: .all)
            expectEqual(state.signals(of: 1)!.blocked, SignalSet.all.blockable)
        }
    }

    @Test func aBadHowIsInvalidAndChangesNothing() throws {
        var state = SignalState(mainThread: 1)
        _ = try state.changeMask(of: 1, how: 0, set: interruptAndQuit)
        for how: Int64 in [3, -1, 100] {
            #expect(throws: KernelError.invalidArgument) { try state.changeMask(of: 1, how: how, set: .empty) }
        }
        expectEqual(state.signals(of: 1)!.blocked, interruptAndQuit)
    }

    @Test func withoutASetTheCallOnlyReadsTheMaskWhateverHowSays() throws {
        var state = SignalState(mainThread: 1)
        _ = try state.changeMask(of: 1, how: 0, set: interruptAndQuit)
        expectEqual(try state.changeMask(of: 1, how: 99, set: nil), interruptAndQuit)
        expectEqual(state.signals(of: 1)!.blocked, interruptAndQuit)
    }

    @Test func masksArePerThreadAndANewThreadStartsWithItsCreatorsMask() throws {
        var state = SignalState(mainThread: 1)
        _ = try state.changeMask(of: 1, how: 0, set: interruptAndQuit)
        state.addThread(2, createdBy: 1)
        _ = try state.changeMask(of: 2, how: 1, set: .all)
        expectEqual(state.signals(of: 1)!.blocked, interruptAndQuit)
        expectEqual(state.signals(of: 2)!.blocked, .empty)
    }

    @Test func sigsuspendRunsTheHandlerWithTheTemporaryMaskAndSavesTheOldOne() throws {
        var state = SignalState(mainThread: 1)
        _ = try state.changeAction(17, to: SignalAction(handler: .function(0x40_1000), mask: SignalSet([.user2])))
        _ = try state.changeMask(of: 1, how: 0, set: SignalSet([.child, .interrupt]))
        _ = state.post(.childChanged(pid: 3, status: .exited(0)))
        #expect(!state.hasDeliverableSignal(1))
        state.beginSuspend(1, mask: SignalSet([.kill, .user1]))
        expectEqual(state.signals(of: 1)!.blocked, SignalSet([.user1]))
        #expect(state.hasDeliverableSignal(1))
        guard case let .handler(run) = state.nextDelivery(for: 1) else { Issue.record("no handler"); return }
        expectEqual(run.savedMask, SignalSet([.child, .interrupt]))
        expectEqual(run.maskDuringHandler, SignalSet([.user1, .user2, .child]))
        expectEqual(state.signals(of: 1)!.maskBeforeSuspend, nil)
        state.restoreMask(of: 1, to: run.savedMask)
        expectEqual(state.signals(of: 1)!.blocked, SignalSet([.child, .interrupt]))
    }

    @Test func sigsuspendWithoutAHandlerPutsTheOldMaskBackAtOnce() throws {
        var state = SignalState(mainThread: 1)
        _ = try state.changeMask(of: 1, how: 0, set: SignalSet([.child]))
        state.beginSuspend(1, mask: .empty)
        _ = state.post(.sent(.continue, byProcess: 4))
        expectEqual(state.nextDelivery(for: 1), .none)
        expectEqual(state.signals(of: 1)!.blocked, SignalSet([.child]))
        expectEqual(state.signals(of: 1)!.maskBeforeSuspend, nil)
    }

    @Test func unblockingMakesAPendingSignalDeliverable() throws {
        var state = SignalState(mainThread: 1)
        _ = try state.changeMask(of: 1, how: 0, set: SignalSet([.terminate]))
        _ = state.post(.sent(.terminate, byProcess: 2))
        expectEqual(state.nextDelivery(for: 1), .none)
        _ = try state.changeMask(of: 1, how: 1, set: SignalSet([.terminate]))
        expectEqual(state.nextDelivery(for: 1), .terminate(.terminate, withCore: false))
    }
}
