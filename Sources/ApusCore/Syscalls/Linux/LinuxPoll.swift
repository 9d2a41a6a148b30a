/// Linux's `poll` and `ppoll`: wait until one of several files is ready (ABI.md §7).
///
/// A program that reads from more than one source, or that must not block on a read (a shell's
/// `read` builtin asks whether its input is readable before it reads a byte), hands the kernel
/// an array of `struct pollfd { int fd; short events; short revents; }`. The kernel looks at
/// each file's ``FileReadiness``, stores in `revents` what it found of what was asked (and
/// always `POLLERR`, `POLLHUP`, `POLLNVAL`), and returns how many entries have something. When
/// none has, the call waits until one may (a pipe changed, console input arrived) or its time
/// is up, and looks again: the kernel's part (``SyscallOutcome/polls(_:)``), which calls
/// ``pollAgain(_:by:at:in:)`` after each wake-up and ``finishPoll(_:by:interrupted:at:in:)`` at the end.
///
/// Linux's rules, kept here: more entries than `RLIMIT_NOFILE` is `EINVAL`; an array that
/// cannot be read and written is `EFAULT`; a negative descriptor is skipped (`revents` 0); a
/// descriptor that is not open gets `POLLNVAL`. A timeout of 0 returns at once, a negative
/// one (or `ppoll`'s null `timespec`) waits for ever. A signal to be delivered ends the wait
/// with `EINTR`, never restarted. `ppoll`'s signal mask holds for the call only, as
/// `rt_sigsuspend`'s does. Every refusal comes before anything changes.
public struct LinuxPollRequest: Hashable, Sendable {
    /// One `struct pollfd` as the program wrote it.
    public struct Entry: Hashable, Sendable {
        public var descriptor: Int32
        public var events: UInt16

        public init(descriptor: Int32, events: UInt16) {
            self.descriptor = descriptor
            self.events = events
        }
    }

    /// The entries, in the order of the array.
    public var entries: [Entry]
    /// Where the array is (each `revents` is stored back there).
    public var address: VirtualAddress
    /// When the wait ends on the monotonic clock (nanoseconds); `nil`: never.
    public var deadline: UInt64?
    /// True when the call set the thread's signal mask for its duration (`ppoll`, `pselect6`).
    public var setsMask: Bool
    /// `select`'s and `pselect6`'s bit arrays, which take the results instead of the array
    /// at ``address`` (``LinuxDescriptorSets``); `nil` for `poll` and `ppoll`.
    public var sets: LinuxDescriptorSets?
    /// Where the time left is written back at the end (`select`, `pselect6`).
    public var timeLeft: LinuxTimeLeft?

    public init(entries: [Entry], address: VirtualAddress, deadline: UInt64?, setsMask: Bool,
                sets: LinuxDescriptorSets? = nil, timeLeft: LinuxTimeLeft? = nil) {
        self.entries = entries
        self.address = address
        self.deadline = deadline
        self.setsMask = setsMask
        self.sets = sets
        self.timeLeft = timeLeft
    }
}

/// What a look at the entries of a poll found.
public enum LinuxPollCheck: Hashable, Sendable {
    /// This many entries have something (their `revents` are stored), or the call failed
    /// (−errno).
    case done(Int64)
    /// Nothing yet; `watchesConsole`: one of the files waits for console input.
    case nothingReady(watchesConsole: Bool)
}

/// Linux's `poll` bits (`include/uapi/asm-generic/poll.h`).
public enum LinuxPollEvents {
    public static let input: UInt16 = 0x001        // POLLIN
    public static let priority: UInt16 = 0x002     // POLLPRI
    public static let output: UInt16 = 0x004       // POLLOUT
    public static let error: UInt16 = 0x008        // POLLERR
    public static let hangUp: UInt16 = 0x010       // POLLHUP
    public static let invalid: UInt16 = 0x020      // POLLNVAL
    public static let readNormal: UInt16 = 0x040   // POLLRDNORM
    public static let writeNormal: UInt16 = 0x100  // POLLWRNORM

    /// The bits a file `ready` as it is shows, before the caller's `events` filter them.
    public static func shown(_ ready: FileReadiness) -> UInt16 {
        var bits: UInt16 = 0
        if ready.contains(.readable) { bits |= input | readNormal }
        if ready.contains(.writable) { bits |= output | writeNormal }
        if ready.contains(.hungUp) { bits |= hangUp }
        if ready.contains(.failed) { bits |= error }
        return bits
    }
}

extension LinuxSyscalls {
    /// Bytes of one `struct pollfd`.
    static let pollEntrySize = 8
    /// Where `revents` is in a `struct pollfd`.
    static let pollResultOffset = 6
    static let nanosecondsPerMillisecond: UInt64 = 1_000_000

    /// `poll(fds, nfds, timeout_ms)` and `ppoll(fds, nfds, tsp, sigmask, sigsetsize)`.
    static func servePoll<RAM, P: Pager>(_ call: LinuxSyscallNumber, _ a: SyscallArguments, by thread: ThreadID,
                                         in process: inout UserProcess<RAM, P>, machine: LinuxMachine) throws(KernelError) -> SyscallOutcome<RAM> {
        let now = machine.monotonicNanoseconds()
        var deadline: UInt64?
        var mask: SignalSet?
        if call == .ppoll {
            if a[2] != 0 { deadline = now.addingClamped(try nanoseconds(process.mm.copyIn(count: 16, from: a.address(2)))) }
            if a[3] != 0 {
                try SignalSet.checkSize(a[4])
                mask = SignalSet(bytes: try process.mm.copyIn(count: SignalSet.byteCount, from: a.address(3)))
            }
        } else {
            let timeout = Int32(truncatingIfNeeded: a[2])
            if timeout >= 0 { deadline = now.addingClamped(UInt64(timeout) * nanosecondsPerMillisecond) }
        }
        guard a[1] <= UInt64(fileDescriptorLimit) else { throw .invalidArgument }
        let count = Int(a[1])
        var entries: [LinuxPollRequest.Entry] = []
        if count > 0 {
            let bytes = try process.mm.copyIn(count: count * pollEntrySize, from: a.address(0))
            _ = try process.mm.checkedUserRange(a.address(0), count: UInt64(bytes.count), for: .write)
            entries.reserveCapacity(count)
            for index in 0..<count {
                let at = index * pollEntrySize
                entries.append(.init(descriptor: Int32(littleEndianBytes: bytes, at: at),
                                     events: UInt16(bytes[at + 4]) | UInt16(bytes[at + 5]) << 8))
            }
        }
        let request = LinuxPollRequest(entries: entries, address: a.address(0), deadline: deadline, setsMask: mask != nil)
        if case .done(let result) = pollAgain(request, by: thread, at: now, in: &process) { return .returns(result) }
        if deadline == now { return .returns(finishPoll(request, by: thread, interrupted: false, at: now, in: &process)) }
        if let mask { process.linux.signals.beginSuspend(thread, mask: mask) }
        return .polls(request)
    }

    /// Looks at every entry of `request` (through the process's descriptors as they are now,
    /// `now` on the monotonic clock); when some entry has something, stores every `revents`
    /// (or the sets of `select` and the time left), puts `thread`'s own mask back (`ppoll`,
    /// `pselect6`) and says how many.
    public static func pollAgain<RAM, P: Pager>(_ request: LinuxPollRequest, by thread: ThreadID, at now: UInt64,
                                                in process: inout UserProcess<RAM, P>) -> LinuxPollCheck {
        var shown: [UInt16?] = []
        shown.reserveCapacity(request.entries.count)
        var watchesConsole = false
        for entry in request.entries {
            guard entry.descriptor >= 0 else {
                shown.append(0)
                continue
            }
            guard let file = try? process.files.file(entry.descriptor) else {
                shown.append(nil)
                continue
            }
            if process.waitsForConsole(file) { watchesConsole = true }
            shown.append(LinuxPollEvents.shown(process.readiness(of: file)))
        }
        if let sets = request.sets {
            let (bits, ready) = sets.results(of: request.entries, showing: shown)
            guard ready > 0 else { return .nothingReady(watchesConsole: watchesConsole) }
            if request.setsMask { process.linux.signals.endSuspend(thread) }
            let failure = storeSets(bits, of: sets, in: &process)
            if let timeLeft = request.timeLeft { storeTimeLeft(timeLeft, until: request.deadline, at: now, in: &process) }
            return .done(failure ?? Int64(ready))
        }
        let results = zip(request.entries, shown).map { entry, shows in
            shows.map { $0 & (entry.events | LinuxPollEvents.error | LinuxPollEvents.hangUp) } ?? LinuxPollEvents.invalid
        }
        let ready = results.count { $0 != 0 }
        guard ready > 0 else { return .nothingReady(watchesConsole: watchesConsole) }
        if request.setsMask { process.linux.signals.endSuspend(thread) }
        return .done(storeResults(results, of: request, in: &process) ?? Int64(ready))
    }

    /// The end of a poll that found nothing ready (at `now`): every `revents` cleared (every
    /// set of `select` cleared, unless a signal interrupted it), then −EINTR when a signal
    /// interrupted it (the mask of `ppoll` stays until the signal is delivered), else 0 with
    /// the thread's own mask back.
    public static func finishPoll<RAM, P: Pager>(_ request: LinuxPollRequest, by thread: ThreadID, interrupted: Bool, at now: UInt64,
                                                 in process: inout UserProcess<RAM, P>) -> Int64 {
        if !interrupted, request.setsMask { process.linux.signals.endSuspend(thread) }
        let failure: Int64?
        if let sets = request.sets {
            failure = interrupted ? nil : storeSets(sets.results(of: [], showing: []).bits, of: sets, in: &process)
            if let timeLeft = request.timeLeft { storeTimeLeft(timeLeft, until: request.deadline, at: now, in: &process) }
        } else {
            failure = storeResults([UInt16](repeating: 0, count: request.entries.count), of: request, in: &process)
        }
        return failure ?? (interrupted ? LinuxErrno.interrupted.syscallReturnValue : 0)
    }

    /// Stores each entry's `revents`; −EFAULT when the program unmapped the array meanwhile.
    private static func storeResults<RAM, P: Pager>(_ results: [UInt16], of request: LinuxPollRequest,
                                                    in process: inout UserProcess<RAM, P>) -> Int64? {
        for (index, result) in results.enumerated() {
            let at = request.address.raw &+ UInt64(index * pollEntrySize + pollResultOffset)
            do throws(KernelError) {
                try process.mm.copyOut(value: result, to: VirtualAddress(at))
            } catch {
                return error.syscallReturnValue
            }
        }
        return nil
    }
}
