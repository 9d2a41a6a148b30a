/// What Linux's calls need from the machine that the concepts do not have: clocks and
/// random bytes. The kernel gives its own (the time-stamp counter, RDRAND); host tests give
/// fixed ones.
public struct LinuxMachine {
    /// Nanoseconds since the machine started (`CLOCK_MONOTONIC`).
    public var monotonicNanoseconds: () -> UInt64
    /// Nanoseconds since 1970 (`CLOCK_REALTIME`).
    public var realTimeNanoseconds: () -> UInt64
    /// A random 64-bit value.
    public var random: () -> UInt64

    public init(monotonicNanoseconds: @escaping () -> UInt64, realTimeNanoseconds: @escaping () -> UInt64, random: @escaping () -> UInt64) {
        self.monotonicNanoseconds = monotonicNanoseconds
        self.realTimeNanoseconds = realTimeNanoseconds
        self.random = random
    }

    /// `count` random bytes.
    public func randomBytes(_ count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 8)
        while bytes.count < count { bytes += random().littleEndianBytes }
        return Array(bytes.prefix(count))
    }
}
