/// What Linux's calls need from the machine that the concepts do not have: clocks, random
/// bytes, and the console's job control. The kernel gives its own (the time-stamp counter,
/// RDRAND, the run's ``ControllingTerminal``); host tests give fixed ones.
public struct LinuxMachine: Sendable {
    /// Nanoseconds since the machine started (`CLOCK_MONOTONIC`).
    public var monotonicNanoseconds: @Sendable () -> UInt64
    /// Nanoseconds since 1970 (`CLOCK_REALTIME`).
    public var realTimeNanoseconds: @Sendable () -> UInt64
    /// A random 64-bit value.
    public var random: @Sendable () -> UInt64
    /// Which of standard input, output and error (bits 0, 1, 2) are a terminal on the
    /// host: there the terminal `ioctl`s answer, elsewhere they are −ENOTTY, so a program
    /// behaves as it would with the same redirections on the host.
    public var terminalStreams: UInt8 = 0b111
    /// Whether the calling process may read the terminal now (``ControllingTerminal/readAccess(by:among:ignoresStopSignal:)``),
    /// given whether it blocks or ignores `SIGTTIN`: the kernel asks its run's terminal.
    public var terminalReadAccess: @Sendable (_ ignoresStopSignal: Bool) throws(LinuxErrno) -> ControllingTerminal.ReadAccess = { _ throws(LinuxErrno) in .reads }

    public init(monotonicNanoseconds: @escaping @Sendable () -> UInt64, realTimeNanoseconds: @escaping @Sendable () -> UInt64, random: @escaping @Sendable () -> UInt64) {
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
