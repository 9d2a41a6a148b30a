/// A CPU's number in the kernel: 0 for the one that booted (the *bootstrap processor*), then
/// 1, 2, … for the *application processors* in the order the kernel started them.
///
/// It is not the CPU's local APIC id (the hardware's name for it, which may have gaps): the
/// kernel keeps the map from one to the other. A distinct type, not a bare `Int`, so that a
/// CPU is never passed where a count or a thread id is meant.
public struct CPUIndex: Hashable, Comparable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// The number, from 0.
    public let value: Int

    public init(_ value: Int) {
        precondition(value >= 0 && value < CPUSet.capacity, "a CPU index is 0 to \(CPUSet.capacity - 1)")
        self.value = value
    }

    public init(integerLiteral value: Int) { self.init(value) }

    /// The bootstrap processor: the CPU that ran the boot.
    public static var bootstrap: CPUIndex { 0 }

    public static func < (a: CPUIndex, b: CPUIndex) -> Bool { a.value < b.value }

    public var description: String { "\(value)" }
}
