/// Linux's `nanosleep` and `clock_nanosleep`: the `struct timespec` a program asks to sleep
/// for (or until), turned into a deadline on the monotonic clock that the kernel waits for
/// (``SyscallOutcome/sleeps(until:remaining:)``). A signal to be delivered ends the sleep
/// early with −EINTR and, for a relative sleep, the time left stored at `rem`.
extension LinuxSyscalls {
    /// `clock_nanosleep`'s flag: the time is a point on the clock, not a duration.
    static let absoluteTime: UInt64 = 1
    static let nanosecondsPerSecond: UInt64 = 1_000_000_000

    static func serveSleep<RAM, P: Pager>(_ call: LinuxSyscallNumber, _ a: SyscallArguments, in process: inout UserProcess<RAM, P>,
                                          machine: LinuxMachine) throws(KernelError) -> SyscallOutcome<RAM> {
        let now = machine.monotonicNanoseconds()
        switch call {
        case .nanosleep: // nanosleep(req, rem)
            let duration = try nanoseconds(process.mm.copyIn(count: 16, from: a.address(0)))
            return .sleeps(until: now.addingClamped(duration), remaining: a.address(1))
        case .clockNanosleep: // clock_nanosleep(clock, flags, req, rem)
            guard a[1] & ~absoluteTime == 0 else { throw .invalidArgument }
            let realTime = LinuxSystem.realTimeClocks.contains(a[0])
            guard realTime || [1, 4, 7].contains(a[0]) else { throw .invalidArgument } // MONOTONIC, RAW, BOOTTIME
            let time = try nanoseconds(process.mm.copyIn(count: 16, from: a.address(2)))
            guard a[1] & absoluteTime != 0 else { return .sleeps(until: now.addingClamped(time), remaining: a.address(3)) }
            let offset = realTime ? machine.realTimeNanoseconds() &- now : 0
            return .sleeps(until: time >= offset ? time - offset : 0, remaining: VirtualAddress(0))
        default:
            return .returns(LinuxErrno.noSuchCall.syscallReturnValue)
        }
    }

    /// The nanoseconds of a `struct timespec` (seconds ≥ 0, nanoseconds in 0…999,999,999,
    /// else ``KernelError/invalidArgument``), at most `UInt64.max`.
    static func nanoseconds(_ timespec: [UInt8]) throws(KernelError) -> UInt64 {
        try nanoseconds(seconds: Int64(bitPattern: UInt64(littleEndianBytes: timespec, at: 0)),
                        fraction: Int64(bitPattern: UInt64(littleEndianBytes: timespec, at: 8)))
    }

    /// The nanoseconds of `seconds` and `fraction` nanoseconds, checked as a `timespec` is.
    static func nanoseconds(seconds: Int64, fraction: Int64) throws(KernelError) -> UInt64 {
        guard seconds >= 0, (0..<Int64(nanosecondsPerSecond)).contains(fraction) else { throw .invalidArgument }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: nanosecondsPerSecond)
        return overflow ? .max : whole.addingClamped(UInt64(fraction))
    }
}

extension UInt64 {
    /// `self + other`, or `UInt64.max` where the sum would not fit.
    func addingClamped(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
