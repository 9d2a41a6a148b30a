/// A set of CPUs, one bit each: which CPUs may still cache an address space's translations
/// (and so must hear of a change to it), which have answered a request, which are idle.
///
/// A plain value of one machine word, so that it costs nothing to copy and can be kept in an
/// atomic word where several CPUs change it at once.
public struct CPUSet: Hashable, Sendable, Sequence, CustomStringConvertible {
    /// The most CPUs a set can hold (and so the most the kernel can run).
    public static let capacity = 64
    /// The most CPUs the kernel runs (ABI.md §8: 1 to 16); on a machine with more, the others
    /// stay halted. The kernel heap's budget counts this many CPUs (``HeapBudget``).
    public static let kernelLimit = 16

    /// Bit `n` stands for ``CPUIndex`` `n`.
    public private(set) var bits: UInt64

    public init(bits: UInt64 = 0) { self.bits = bits }

    /// The set of `cpus`.
    public init<S: Sequence<CPUIndex>>(_ cpus: S) {
        bits = 0
        for cpu in cpus { insert(cpu) }
    }

    /// CPUs 0 to `count` − 1.
    public static func first(_ count: Int) -> CPUSet {
        precondition(count >= 0 && count <= capacity, "at most \(capacity) CPUs")
        return CPUSet(bits: count == capacity ? ~0 : (1 << UInt64(count)) - 1)
    }

    public var isEmpty: Bool { bits == 0 }
    public var count: Int { bits.nonzeroBitCount }

    public func contains(_ cpu: CPUIndex) -> Bool { bits & Self.bit(cpu) != 0 }

    public mutating func insert(_ cpu: CPUIndex) { bits |= Self.bit(cpu) }

    public mutating func remove(_ cpu: CPUIndex) { bits &= ~Self.bit(cpu) }

    /// This set without `cpu`.
    public func removing(_ cpu: CPUIndex) -> CPUSet { CPUSet(bits: bits & ~Self.bit(cpu)) }

    public func union(_ other: CPUSet) -> CPUSet { CPUSet(bits: bits | other.bits) }

    public func intersection(_ other: CPUSet) -> CPUSet { CPUSet(bits: bits & other.bits) }

    public func subtracting(_ other: CPUSet) -> CPUSet { CPUSet(bits: bits & ~other.bits) }

    /// The lowest-numbered CPU of the set.
    public var first: CPUIndex? { isEmpty ? nil : CPUIndex(bits.trailingZeroBitCount) }

    static func bit(_ cpu: CPUIndex) -> UInt64 { 1 << UInt64(cpu.value) }

    /// The CPUs of the set, lowest first.
    public struct Iterator: IteratorProtocol {
        var remaining: UInt64
        public mutating func next() -> CPUIndex? {
            guard remaining != 0 else { return nil }
            let index = remaining.trailingZeroBitCount
            remaining &= remaining - 1
            return CPUIndex(index)
        }
    }

    public func makeIterator() -> Iterator { Iterator(remaining: bits) }

    public var description: String {
        var text = "{"
        for (position, cpu) in enumerated() { text += position == 0 ? "\(cpu)" : ", \(cpu)" }
        return text + "}"
    }
}
