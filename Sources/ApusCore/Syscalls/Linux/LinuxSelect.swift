/// Linux's `select` and `pselect6`: `poll` with bit arrays (ABI.md §7).
///
/// The older way to wait for several files. The program hands three `fd_set`s, bit arrays
/// of `nfds` bits (bit `fd % 64` of word `fd / 64`): the descriptors it wants to read, to
/// write, and to hear "exceptional conditions" of (out-of-band data, `POLLPRI`, which no
/// file of Apus has). The kernel rewrites each set with only the bits of the descriptors
/// that are ready for it and returns how many bits it left, a descriptor in two sets
/// counting twice. The waiting is `poll`'s (``LinuxPollRequest`` with ``LinuxPollRequest/sets``),
/// only the question and the answer differ.
///
/// Linux's rules (`fs/select.c`), kept here:
/// - `nfds` < 0 is `EINVAL`; a larger `nfds` than the descriptor table is cut to the table
///   (1,024 here; Linux cuts to its table's current size), so no bit past it is read or
///   written.
/// - Each set is read and written in whole 64-bit words; bits past `nfds` in the last word
///   are ignored and come back clear. A set that cannot be read is `EFAULT` at once; one that
///   cannot be written is `EFAULT` at the end.
/// - A bit set for a descriptor that is not open is `EBADF`.
/// - Readable means data, the end of the input or an error (`POLLIN`, `POLLHUP`, `POLLERR`);
///   writable means room or an error (`POLLOUT`, `POLLERR`); exceptional means `POLLPRI`.
/// - `select`'s `struct timeval` may have microseconds past a second (they carry into the
///   seconds); a negative time is `EINVAL`. `pselect6`'s `struct timespec` must have
///   nanoseconds below a second. A null pointer waits for ever.
/// - Unless the timeout was zero, the time left is written back into it, after every call
///   that got past the reading of the timeout (even one that failed); a timeout that cannot
///   be written is not an error.
/// - A signal to be delivered ends the wait with `EINTR` (never restarted) and leaves the
///   sets as they were. `pselect6`'s sixth argument points at `{ const sigset_t *mask;
///   size_t size; }`; the mask holds during the call only, as `ppoll`'s.
public struct LinuxDescriptorSets: Hashable, Sendable {
    /// The three sets, in the order of the arguments.
    public enum Kind: Int, CaseIterable, Sendable {
        case read, write, exceptional
    }

    /// The number of descriptors the sets cover (`nfds`, cut to the descriptor table).
    public var count: Int
    /// Where each set is (by ``Kind``); `nil` for a null pointer.
    public var addresses: [VirtualAddress?]
    /// The bits the program set, one array of words per set (clear for a null pointer).
    public var bits: [[UInt64]]

    public init(count: Int, addresses: [VirtualAddress?], bits: [[UInt64]]) {
        self.count = count
        self.addresses = addresses
        self.bits = bits
    }

    static let bitsPerWord = 64

    /// The 64-bit words that hold `count` bits.
    public var wordCount: Int { (count + Self.bitsPerWord - 1) / Self.bitsPerWord }

    /// Whether `descriptor`'s bit is set in the `kind` set.
    public func contains(_ descriptor: Int, in kind: Kind) -> Bool {
        guard descriptor >= 0, descriptor < count else { return false }
        return bits[kind.rawValue][descriptor / Self.bitsPerWord] >> UInt64(descriptor % Self.bitsPerWord) & 1 != 0
    }

    /// The descriptors set in any of the sets, as poll entries asking for what the sets ask.
    public var entries: [LinuxPollRequest.Entry] {
        var entries: [LinuxPollRequest.Entry] = []
        for descriptor in 0..<count {
            var events: UInt16 = 0
            if contains(descriptor, in: .read) { events |= LinuxPollEvents.input }
            if contains(descriptor, in: .write) { events |= LinuxPollEvents.output }
            if contains(descriptor, in: .exceptional) { events |= LinuxPollEvents.priority }
            if events != 0 { entries.append(.init(descriptor: Int32(descriptor), events: events)) }
        }
        return entries
    }

    /// The sets of the descriptors ready for what was asked, given what each of `entries`
    /// shows (``LinuxPollEvents/shown(_:)``; `nil` for a descriptor closed meanwhile, which
    /// is ready for nothing), and the number of bits set in them.
    public func results(of entries: [LinuxPollRequest.Entry], showing shown: [UInt16?]) -> (bits: [[UInt64]], count: Int) {
        var results = [[UInt64]](repeating: [UInt64](repeating: 0, count: wordCount), count: Kind.allCases.count)
        var ready = 0
        for (entry, shows) in zip(entries, shown) {
            guard let shows else { continue }
            for kind in Kind.allCases where entry.events & Self.asked(kind) != 0 && shows & Self.readyBits(kind) != 0 {
                let descriptor = Int(entry.descriptor)
                results[kind.rawValue][descriptor / Self.bitsPerWord] |= 1 << UInt64(descriptor % Self.bitsPerWord)
                ready += 1
            }
        }
        return (results, ready)
    }

    /// The poll event an entry asks for to stand for a bit in the `kind` set.
    static func asked(_ kind: Kind) -> UInt16 {
        switch kind {
        case .read: LinuxPollEvents.input
        case .write: LinuxPollEvents.output
        case .exceptional: LinuxPollEvents.priority
        }
    }

    /// The shown poll bits that make a descriptor ready for the `kind` set (Linux's
    /// `POLLIN_SET`, `POLLOUT_SET`, `POLLEX_SET`).
    static func readyBits(_ kind: Kind) -> UInt16 {
        switch kind {
        case .read: LinuxPollEvents.input | LinuxPollEvents.readNormal | LinuxPollEvents.hangUp | LinuxPollEvents.error
        case .write: LinuxPollEvents.output | LinuxPollEvents.writeNormal | LinuxPollEvents.error
        case .exceptional: LinuxPollEvents.priority
        }
    }
}

/// Where `select` and `pselect6` write back the time left of their timeout, and in which
/// form.
public struct LinuxTimeLeft: Hashable, Sendable {
    /// `struct timeval` (`select`) or `struct timespec` (`pselect6`).
    public enum Form: Hashable, Sendable {
        case timeval, timespec
    }

    public var address: VirtualAddress
    public var form: Form

    public init(address: VirtualAddress, form: Form) {
        self.address = address
        self.form = form
    }

    /// The 16 bytes that say `nanoseconds`, truncated to microseconds for a `timeval`.
    public func bytes(_ nanoseconds: UInt64) -> [UInt8] {
        let seconds = nanoseconds / LinuxSyscalls.nanosecondsPerSecond
        let fraction = nanoseconds % LinuxSyscalls.nanosecondsPerSecond
        let rest = form == .timeval ? fraction / LinuxSyscalls.nanosecondsPerMicrosecond : fraction
        return min(seconds, UInt64(Int64.max)).littleEndianBytes + rest.littleEndianBytes
    }
}

extension LinuxSyscalls {
    static let nanosecondsPerMicrosecond: UInt64 = 1_000
    static let microsecondsPerSecond: Int64 = 1_000_000

    /// The nanoseconds of `select`'s `struct timeval`: microseconds past a second carry into
    /// the seconds; a negative time is ``KernelError/invalidArgument``.
    static func nanoseconds(timeval: [UInt8]) throws(KernelError) -> UInt64 {
        let seconds = Int64(bitPattern: UInt64(littleEndianBytes: timeval, at: 0))
        let microseconds = Int64(bitPattern: UInt64(littleEndianBytes: timeval, at: 8))
        let whole = seconds &+ microseconds / microsecondsPerSecond
        let fraction = (microseconds % microsecondsPerSecond) * Int64(nanosecondsPerMicrosecond)
        return try nanoseconds(seconds: whole, fraction: fraction)
    }

    /// `select(nfds, readfds, writefds, exceptfds, timeout)` and
    /// `pselect6(nfds, readfds, writefds, exceptfds, timeout, &{sigmask, sigsetsize})`.
    static func serveSelect<RAM, P: Pager>(_ call: LinuxSyscallNumber, _ a: SyscallArguments, by thread: ThreadID,
                                           in process: inout UserProcess<RAM, P>, machine: LinuxMachine) throws(KernelError) -> SyscallOutcome<RAM> {
        var maskAddress = VirtualAddress(0), maskSize: UInt64 = 0
        if call == .pselect6, a[5] != 0 {
            let pack = try process.mm.copyIn(count: 16, from: a.address(5))
            (maskAddress, maskSize) = (VirtualAddress(UInt64(littleEndianBytes: pack, at: 0)), UInt64(littleEndianBytes: pack, at: 8))
        }
        let now = machine.monotonicNanoseconds()
        var deadline: UInt64?
        var timeLeft: LinuxTimeLeft?
        if a[4] != 0 {
            let bytes = try process.mm.copyIn(count: 16, from: a.address(4))
            let duration = call == .select ? try nanoseconds(timeval: bytes) : try nanoseconds(bytes)
            deadline = now.addingClamped(duration)
            if duration > 0 { timeLeft = LinuxTimeLeft(address: a.address(4), form: call == .select ? .timeval : .timespec) }
        }
        var mask: SignalSet?
        if maskAddress.raw != 0 {
            try SignalSet.checkSize(maskSize)
            mask = SignalSet(bytes: try process.mm.copyIn(count: SignalSet.byteCount, from: maskAddress))
        }
        let sets: LinuxDescriptorSets
        do throws(KernelError) {
            sets = try descriptorSets(a, in: &process)
        } catch {
            if let timeLeft { storeTimeLeft(timeLeft, until: deadline, at: machine.monotonicNanoseconds(), in: &process) }
            throw error
        }
        let request = LinuxPollRequest(entries: sets.entries, address: VirtualAddress(0), deadline: deadline, setsMask: mask != nil,
                                       sets: sets, timeLeft: timeLeft)
        // The time left is read afresh, as Linux does: a call ready at once has a little less left.
        if case .done(let result) = pollAgain(request, by: thread, at: machine.monotonicNanoseconds(), in: &process) { return .returns(result) }
        if let mask { process.linux.signals.beginSuspend(thread, mask: mask) }
        if deadline == now {
            let interrupted = process.linux.signals.hasDeliverableSignal(thread)
            return .returns(finishPoll(request, by: thread, interrupted: interrupted, at: now, in: &process))
        }
        return .polls(request)
    }

    /// The three sets of a `select` call: ``KernelError/invalidArgument`` for `nfds` < 0,
    /// ``KernelError/badAddress`` for a set that cannot be read, ``KernelError/badFileDescriptor``
    /// for a bit of a descriptor that is not open.
    static func descriptorSets<RAM, P: Pager>(_ a: SyscallArguments, in process: inout UserProcess<RAM, P>) throws(KernelError) -> LinuxDescriptorSets {
        let nfds = Int32(truncatingIfNeeded: a[0])
        guard nfds >= 0 else { throw .invalidArgument }
        var sets = LinuxDescriptorSets(count: min(Int(nfds), fileDescriptorLimit), addresses: [], bits: [])
        for kind in LinuxDescriptorSets.Kind.allCases {
            let address = a.address(1 + kind.rawValue)
            var words = [UInt64](repeating: 0, count: sets.wordCount)
            if address.raw != 0, !words.isEmpty {
                let bytes = try process.mm.copyIn(count: words.count * 8, from: address)
                for index in words.indices { words[index] = UInt64(littleEndianBytes: bytes, at: index * 8) }
                let spare = sets.count % LinuxDescriptorSets.bitsPerWord
                if spare != 0 { words[words.count - 1] &= (1 << UInt64(spare)) - 1 }
            }
            sets.addresses.append(address.raw == 0 ? nil : address)
            sets.bits.append(words)
        }
        for entry in sets.entries where (try? process.files.file(entry.descriptor)) == nil { throw .badFileDescriptor }
        return sets
    }

    /// Stores `bits` into the sets of `sets` the program gave; −EFAULT when one cannot be
    /// written.
    static func storeSets<RAM, P: Pager>(_ bits: [[UInt64]], of sets: LinuxDescriptorSets, in process: inout UserProcess<RAM, P>) -> Int64? {
        for kind in LinuxDescriptorSets.Kind.allCases {
            guard let address = sets.addresses[kind.rawValue], sets.wordCount > 0 else { continue }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(sets.wordCount * 8)
            for word in bits[kind.rawValue] { bytes += word.littleEndianBytes }
            do throws(KernelError) {
                try process.mm.copyOut(bytes, to: address)
            } catch {
                return error.syscallReturnValue
            }
        }
        return nil
    }

    /// Writes the time left until `deadline` (none left past it) where `timeLeft` says; a
    /// place that cannot be written is left alone, as on Linux.
    static func storeTimeLeft<RAM, P: Pager>(_ timeLeft: LinuxTimeLeft, until deadline: UInt64?, at now: UInt64,
                                             in process: inout UserProcess<RAM, P>) {
        guard let deadline else { return }
        try? process.mm.copyOut(timeLeft.bytes(deadline > now ? deadline - now : 0), to: timeLeft.address)
    }
}
