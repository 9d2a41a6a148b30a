/// Linux's `poll` and `ppoll`: which of a program's descriptors are ready, waiting until
/// one is, the time-out passes or a signal comes. An interactive shell's line editor asks
/// before every key it reads.
///
/// The program passes an array of `struct pollfd` (8 bytes: `int fd`, `short events`,
/// `short revents`). Each `revents` gets what its descriptor is ready for among `events`,
/// plus `POLLERR` and `POLLHUP` whether asked or not, and `POLLNVAL` for a descriptor that is
/// not open; a negative `fd` is skipped. The call returns how many have something. When none
/// has and the time-out allows, the kernel waits (``SyscallOutcome/polls(_:)``) and looks
/// again (``UserProcess/poll(_:)``).
///
/// Ready means that a read or write would not wait:
/// * the console's input: bytes are pending, or the input has ended;
/// * a pipe's read end: bytes, or no write end left (`POLLHUP`); its write end: room, or no
///   read end left (`POLLERR`);
/// * anything else (files, directories, `/dev/null`, `/dev/zero`, the console's output):
///   always, as Linux says of files that cannot wait.
extension LinuxSyscalls {
    /// `poll(fds, nfds, timeout)`, `ppoll(fds, nfds, tmo_p, sigmask, sigsetsize)`: a negative
    /// timeout (a null `tmo_p`) waits without end; more descriptors than the limit is
    /// `EINVAL`, an array that is not the program's writable memory `EFAULT` (no descriptors
    /// at all: a sleep). `ppoll`'s mask is the thread's while it waits, as `rt_sigsuspend`'s.
    static func servePoll<RAM, P: Pager>(_ call: LinuxSyscallNumber, _ a: SyscallArguments, by thread: ThreadID,
                                         in process: inout UserProcess<RAM, P>, machine: LinuxMachine) throws(KernelError) -> SyscallOutcome<RAM> {
        guard a[1] <= UInt64(fileDescriptorLimit) else { throw .invalidArgument }
        let count = Int(a[1])
        // No descriptors (a sleep): the array is not looked at.
        if count > 0 { _ = try process.mm.checkedUserRange(a.address(0), count: UInt64(count * LinuxPollRequest.entrySize), for: .write) }
        var deadline: UInt64?
        if call == .poll {
            let milliseconds = Int64(Int32(truncatingIfNeeded: a[2]))
            if milliseconds >= 0 { deadline = machine.monotonicNanoseconds().addingClamped(UInt64(milliseconds) * 1_000_000) }
        } else {
            if a[2] != 0 { deadline = machine.monotonicNanoseconds().addingClamped(try nanoseconds(process.mm.copyIn(count: 16, from: a.address(2)))) }
            if a[3] != 0 {
                try SignalSet.checkSize(a[4])
                process.linux.signals.beginSuspend(thread, mask: SignalSet(bytes: try process.mm.copyIn(count: SignalSet.byteCount, from: a.address(3))))
            }
        }
        return .polls(LinuxPollRequest(descriptors: a.address(0), count: count, deadline: deadline))
    }
}

/// A `poll` the kernel carries out: where the `struct pollfd` array is, how many entries it
/// has, and when the wait ends.
public struct LinuxPollRequest: Hashable, Sendable {
    /// The bytes of a `struct pollfd`.
    public static let entrySize = 8
    /// The `events`/`revents` bits (`<asm-generic/poll.h>`).
    public static let input: UInt16 = 0x1 | 0x40 // POLLIN, POLLRDNORM
    public static let output: UInt16 = 0x4 | 0x100 // POLLOUT, POLLWRNORM
    public static let error: UInt16 = 0x8 // POLLERR
    public static let hangUp: UInt16 = 0x10 // POLLHUP
    public static let notOpen: UInt16 = 0x20 // POLLNVAL

    public var descriptors: VirtualAddress
    public var count: Int
    /// When the wait ends on the monotonic clock, in nanoseconds; `nil`: it does not.
    public var deadline: UInt64?

    public init(descriptors: VirtualAddress, count: Int, deadline: UInt64?) {
        (self.descriptors, self.count, self.deadline) = (descriptors, count, deadline)
    }
}

/// What one look at a `poll`'s descriptors found.
public enum PollLook: Equatable {
    /// This many descriptors have something (their `revents` are stored).
    case ready(Int64)
    /// None has: the condition that would make one ready, when they all wait on that one;
    /// `nil` when there are several, or none (the kernel then looks again now and then).
    case waits(on: ConditionVariable?)

    /// How many descriptors are ready (0 for a look that waits).
    public var readyCount: Int64 {
        if case .ready(let count) = self { count } else { 0 }
    }

    public static func == (a: PollLook, b: PollLook) -> Bool {
        switch (a, b) {
        case let (.ready(x), .ready(y)): x == y
        case let (.waits(x), .waits(y)): x === y
        default: false
        }
    }
}

extension UserProcess {
    /// One look at the descriptors of `request`: every `revents` stored, and how many are
    /// ready or what to wait on. ``KernelError/badAddress`` when the array cannot be read
    /// or written.
    public mutating func poll(_ request: LinuxPollRequest) throws(KernelError) -> PollLook {
        guard request.count > 0 else { return .waits(on: nil) }
        let size = LinuxPollRequest.entrySize
        var entries = try mm.copyIn(count: request.count * size, from: request.descriptors)
        var ready: Int64 = 0
        var conditions: [ConditionVariable] = []
        for index in 0..<request.count {
            let descriptor = Int32(littleEndianBytes: entries, at: index * size)
            let asked = UInt16(littleEndianBytes: entries, at: index * size + 4)
            var found: UInt16 = 0
            if descriptor >= 0 {
                let (state, condition) = readiness(of: descriptor)
                found = state & (asked | LinuxPollRequest.error | LinuxPollRequest.hangUp | LinuxPollRequest.notOpen)
                if found == 0, let condition, !conditions.contains(where: { $0 === condition }) { conditions.append(condition) }
            }
            for (offset, byte) in found.littleEndianBytes.enumerated() { entries[index * size + 6 + offset] = byte }
            if found != 0 { ready += 1 }
        }
        try mm.copyOut(entries, to: request.descriptors)
        return ready > 0 ? .ready(ready) : .waits(on: conditions.count == 1 ? conditions[0] : nil)
    }

    /// What `descriptor` is ready for now, and the condition it waits on when it is not.
    private func readiness(of descriptor: Int32) -> (UInt16, ConditionVariable?) {
        guard let file = try? files.file(descriptor) else { return (LinuxPollRequest.notOpen, nil) }
        let always = LinuxPollRequest.input | LinuxPollRequest.output
        switch file.kind {
        case .standardInput, .device(.terminal):
            let arrival = console.inputArrival
            let readable = console.pendingInputCount > 0 || arrival == nil
            return ((readable ? LinuxPollRequest.input : 0) | LinuxPollRequest.output, readable ? nil : arrival)
        case .standardOutput, .standardError:
            return (LinuxPollRequest.output, nil)
        case .pipeReader(let pipe):
            let state = (pipe.available > 0 ? LinuxPollRequest.input : 0) | (pipe.writers == 0 ? LinuxPollRequest.hangUp : 0)
            return (state, pipe.readable)
        case .pipeWriter(let pipe):
            let state = (pipe.freeSpace > 0 ? LinuxPollRequest.output : 0) | (pipe.readers == 0 ? LinuxPollRequest.error : 0)
            return (state, pipe.writable)
        case .file, .directory, .device(.null), .device(.zero):
            return (always, nil)
        }
    }
}
