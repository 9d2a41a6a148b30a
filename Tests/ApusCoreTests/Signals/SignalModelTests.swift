import ApusCore
import Testing

/// A model-based test of ``SignalState``: random posts, mask changes, action changes,
/// deliveries, `sigsuspend`s and `sigreturn`s, run on the real state and on a plain model
/// of sets of numbers written from signal(7) and sigaction(2), compared after every step. A
/// divergence is shrunk to a shortest failing list of steps.
@Suite("Signals: model-based")
struct SignalModelTests {
    /// A few signals that meet every rule: hang-up, interrupt, kill, user, segv, child,
    /// continue, stop, terminal stop, window change, real-time.
    static let pool = [1, 2, 9, 10, 11, 12, 17, 18, 19, 20, 28, 34, 64]
    static let threads = [1, 2]

    enum Disposition: Hashable {
        case standard, ignore
        case handler(noDefer: Bool, resetHand: Bool, mask: Set<Int>)
    }

    enum Step: Hashable {
        case post(Int)
        case postToThread(Int, Int)
        case changeMask(Int, how: Int64, Set<Int>)
        case setAction(Int, Disposition)
        case deliver(Int)
        case suspend(Int, Set<Int>)
        case sigreturn(Int)
    }

    /// The model: sets of signal numbers, and the rules restated.
    struct Model {
        var actions: [Int: Disposition] = [:]
        var shared: Set<Int> = []
        var pending: [Int: Set<Int>] = [1: [], 2: []]
        var blocked: [Int: Set<Int>] = [1: [], 2: []]
        var beforeSuspend: [Int: Set<Int>] = [:]
        var savedByHandlers: [Int: [Set<Int>]] = [1: [], 2: []]

        static let ignoredByDefault: Set<Int> = [17, 23, 28]
        static let stops: Set<Int> = [19, 20, 21, 22]
        static let withCore: Set<Int> = [3, 4, 5, 6, 7, 8, 11, 24, 25, 31]
        static let synchronous: Set<Int> = [4, 5, 7, 8, 11, 31]

        func disposition(_ signal: Int) -> Disposition { actions[signal] ?? .standard }

        func ignores(_ signal: Int) -> Bool {
            switch disposition(signal) {
            case .ignore: true
            case .standard: Model.ignoredByDefault.contains(signal)
            case .handler: false
            }
        }

        mutating func post(_ signal: Int, to thread: Int?) {
            if signal == 18 {
                shared.subtract(Model.stops)
                for t in SignalModelTests.threads { pending[t]!.subtract(Model.stops) }
            }
            if Model.stops.contains(signal) {
                shared.remove(18)
                for t in SignalModelTests.threads { pending[t]!.remove(18) }
            }
            let receiver = thread ?? 1
            if ignores(signal) && !blocked[receiver]!.contains(signal) { return }
            if let thread { pending[thread]!.insert(signal) } else { shared.insert(signal) }
        }

        func available(_ thread: Int) -> Set<Int> { pending[thread]!.union(shared).subtracting(blocked[thread]!) }

        func hasDeliverable(_ thread: Int) -> Bool {
            available(thread).contains { !ignores($0) && !(disposition($0) == .standard && $0 == 18) }
        }

        mutating func deliver(_ thread: Int) -> String {
            while true {
                let ready = available(thread)
                // Every post here is the kernel's: a synchronous signal pending for the thread
                // is a fault it caused, taken before the others.
                let fault = pending[thread]!.intersection(ready).intersection(Model.synchronous).min()
                guard let signal = ready.contains(9) ? 9 : fault ?? ready.min() else { break }
                if pending[thread]!.contains(signal) { pending[thread]!.remove(signal) } else { shared.remove(signal) }
                switch disposition(signal) {
                case .ignore: continue
                case .standard:
                    if Model.ignoredByDefault.contains(signal) || signal == 18 { continue }
                    if Model.stops.contains(signal) { return "stop \(signal)" }
                    return "terminate \(signal) core \(Model.withCore.contains(signal))"
                case let .handler(noDefer, resetHand, mask):
                    let saved = beforeSuspend.removeValue(forKey: thread) ?? blocked[thread]!
                    var during = blocked[thread]!.union(mask)
                    if !noDefer { during.insert(signal) }
                    during.subtract([9, 19])
                    blocked[thread] = during
                    if resetHand { actions[signal] = .standard }
                    savedByHandlers[thread]!.append(saved)
                    return "handler \(signal) saved \(saved.sorted()) during \(during.sorted())"
                }
            }
            if let saved = beforeSuspend.removeValue(forKey: thread) { blocked[thread] = saved }
            return "none"
        }
    }

    static func set(_ numbers: Set<Int>) -> SignalSet { SignalSet(numbers.map { Signal(number: $0)! }) }
    static func numbers(_ set: SignalSet) -> Set<Int> { Set(set.signals.map(\.number)) }

    static func describe(_ delivery: SignalDelivery) -> String {
        switch delivery {
        case .none: "none"
        case let .stop(signal): "stop \(signal.number)"
        case let .terminate(signal, core): "terminate \(signal.number) core \(core)"
        case let .handler(run):
            "handler \(run.signal.number) saved \(numbers(run.savedMask).sorted()) during \(numbers(run.maskDuringHandler).sorted())"
        }
    }

    /// Runs `steps` on both sides; the first divergence, or `nil`.
    static func replay(_ steps: [Step]) -> String? {
        var state = SignalState(mainThread: 1)
        state.addThread(2, createdBy: 1)
        var model = Model()
        for (index, step) in steps.enumerated() {
            switch step {
            case let .post(number):
                _ = state.post(.fromKernel(Signal(number: number)!))
                model.post(number, to: nil)
            case let .postToThread(thread, number):
                _ = state.post(.fromKernel(Signal(number: number)!), toThread: ThreadID(thread))
                model.post(number, to: thread)
            case let .changeMask(thread, how, numbers):
                let old = try? state.changeMask(of: ThreadID(thread), how: how, set: set(numbers))
                guard old.map(Self.numbers) == ((0...2).contains(how) ? model.blocked[thread]! : nil) else {
                    return "step \(index) \(step): old mask \(String(describing: old))"
                }
                switch how {
                case 0: model.blocked[thread]!.formUnion(numbers)
                case 1: model.blocked[thread]!.subtract(numbers)
                case 2: model.blocked[thread] = numbers
                default: break
                }
                model.blocked[thread]!.subtract([9, 19])
            case let .setAction(number, disposition):
                let action: SignalAction = switch disposition {
                case .standard: .default
                case .ignore: .ignore
                case let .handler(noDefer, resetHand, mask):
                    SignalAction(handler: .function(0x40_1000 + UInt64(number)),
                                 flags: SignalActionFlags([.restorer]).union(noDefer ? .noDefer : []).union(resetHand ? .resetHand : []),
                                 mask: set(mask), restorer: 0x40_2000)
                }
                let accepted = (try? state.changeAction(Int64(number), to: action)) != nil
                guard accepted == (number != 9 && number != 19) else { return "step \(index) \(step): accepted \(accepted)" }
                if accepted {
                    model.actions[number] = disposition
                    if case let .handler(noDefer, resetHand, mask) = disposition {
                        model.actions[number] = .handler(noDefer: noDefer, resetHand: resetHand, mask: mask.subtracting([9, 19]))
                    }
                    if model.ignores(number) {
                        model.shared.remove(number)
                        for t in threads { model.pending[t]!.remove(number) }
                    }
                }
            case let .deliver(thread):
                let deliverable = state.hasDeliverableSignal(ThreadID(thread))
                guard deliverable == model.hasDeliverable(thread) else { return "step \(index) \(step): deliverable \(deliverable)" }
                let got = describe(state.nextDelivery(for: ThreadID(thread)))
                let expected = model.deliver(thread)
                guard got == expected else { return "step \(index) \(step): delivered \(got), model \(expected)" }
            case let .suspend(thread, numbers):
                state.beginSuspend(ThreadID(thread), mask: set(numbers))
                if model.beforeSuspend[thread] == nil { model.beforeSuspend[thread] = model.blocked[thread]! }
                model.blocked[thread] = numbers.subtracting([9, 19])
            case let .sigreturn(thread):
                guard let saved = model.savedByHandlers[thread]!.popLast() else { continue }
                state.restoreMask(of: ThreadID(thread), to: set(saved))
                model.blocked[thread] = saved.subtracting([9, 19])
            }
            guard numbers(state.sharedPending.set) == model.shared else { return "step \(index) \(step): shared pending" }
            for thread in threads {
                let real = state.signals(of: ThreadID(thread))!
                guard numbers(real.pending.set) == model.pending[thread]!, numbers(real.blocked) == model.blocked[thread]! else {
                    return "step \(index) \(step): thread \(thread) pending \(real.pending.set) blocked \(real.blocked)"
                }
            }
        }
        return nil
    }

    static func randomSet(_ random: inout SeededRandom) -> Set<Int> {
        Set(pool.filter { _ in random.chance(25) })
    }

    static func randomStep(_ random: inout SeededRandom) -> Step {
        let signal = pool.randomElement(using: &random)!
        let thread = threads.randomElement(using: &random)!
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<22: return .post(signal)
        case 22..<32: return .postToThread(thread, signal)
        case 32..<50: return .changeMask(thread, how: Int64.random(in: 0...3, using: &random), randomSet(&random))
        case 50..<62:
            let disposition: Disposition = switch Int.random(in: 0..<3, using: &random) {
            case 0: .standard
            case 1: .ignore
            default: .handler(noDefer: random.chance(30), resetHand: random.chance(30), mask: randomSet(&random))
            }
            return .setAction(signal, disposition)
        case 62..<85: return .deliver(thread)
        case 85..<92: return .suspend(thread, randomSet(&random))
        default: return .sigreturn(thread)
        }
    }

    /// The shortest list found by removing steps one at a time while it still fails.
    static func shrink(_ steps: [Step]) -> [Step] {
        var current = steps
        var index = 0
        while index < current.count {
            var shorter = current
            shorter.remove(at: index)
            if replay(shorter) != nil { current = shorter } else { index += 1 }
        }
        return current
    }

    @Test func signalStateAgreesWithThePlainModel() {
        let runs = TestTier.count(short: 200, long: 2_000)
        for seed in 0..<UInt64(runs) {
            var random = SeededRandom(seed: seed)
            let steps = (0..<100).map { _ in Self.randomStep(&random) }
            if let divergence = Self.replay(steps) {
                let minimal = Self.shrink(steps)
                Issue.record("seed \(seed): \(divergence)\nshrunk to \(minimal.count) steps: \(minimal)\n\(Self.replay(minimal) ?? "")")
                return
            }
        }
    }
}
