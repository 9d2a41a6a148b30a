/// Signals posted and not yet delivered, each with the ``SignalInfo`` it was posted with.
///
/// A signal is pending at most once: posting it again while it is pending changes nothing
/// and the first `siginfo` is the one delivered. Linux does this for the standard signals
/// and queues the real-time ones; Apus treats both alike, which a program may notice only
/// by sending itself the same real-time signal twice while it is blocked.
public struct PendingSignals: Hashable, Sendable {
    /// Which signals are pending.
    public private(set) var set = SignalSet.empty
    /// The `siginfo` of each pending signal, in the order they were posted.
    private var infos: [SignalInfo] = []

    /// A set with room for every signal's `siginfo` from the start (the kernel heap's budget
    /// counts it so), so that posting one allocates nothing: a child's end posts SIGCHLD
    /// where the kernel frees and must not allocate.
    public init() {
        infos.reserveCapacity(Signal.numbers.count)
    }

    /// Makes `info`'s signal pending; false when it already was (and `info` is dropped).
    @discardableResult
    public mutating func add(_ info: SignalInfo) -> Bool {
        guard !set.contains(info.signal) else { return false }
        set.insert(info.signal)
        infos.append(info)
        return true
    }

    /// The `siginfo` `signal` is pending with, left pending.
    public func info(of signal: Signal) -> SignalInfo? {
        guard set.contains(signal) else { return nil }
        return infos.first { $0.signal == signal }
    }

    /// Takes `signal` out of the set, with the `siginfo` it was posted with.
    public mutating func take(_ signal: Signal) -> SignalInfo? {
        guard set.contains(signal), let index = infos.firstIndex(where: { $0.signal == signal }) else { return nil }
        set.remove(signal)
        return infos.remove(at: index)
    }

    /// Forgets every pending signal of `signals`.
    public mutating func discard(_ signals: SignalSet) {
        guard !set.intersection(signals).isEmpty else { return }
        set = set.subtracting(signals)
        infos.removeAll { signals.contains($0.signal) }
    }
}
