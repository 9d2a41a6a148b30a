/// The Linux calls about the process, its ids and the machine: who it is (`getpid`,
/// `getppid`, `gettid`, the user and group ids, all 0: every program runs as root), its
/// process group and session, the clocks, random bytes, the system's name, resource
/// limits, and the calls glibc makes at start that need no more than an answer
/// (`set_tid_address`, `set_robust_list`; `rseq` is −ENOSYS, which glibc accepts).
public enum LinuxSystem {
    /// `CLOCK_REALTIME` and the clocks that count from the machine's start.
    static let realTimeClocks: [UInt64] = [0, 5, 8] // REALTIME, REALTIME_COARSE, TAI
    static let monotonicClocks: [UInt64] = [1, 2, 3, 4, 6, 7] // MONOTONIC, PROCESS/THREAD_CPUTIME, RAW, COARSE, BOOTTIME

    /// `RLIMIT_STACK` (3) is the start-up stack; `RLIMIT_NPROC` (6) the process table's
    /// limit (a fork past it is EAGAIN); `RLIMIT_NOFILE` (7) the descriptor limit; every
    /// other limit is infinite.
    static func limit(_ resource: UInt64) -> (current: UInt64, maximum: UInt64) {
        switch resource {
        case 3: (LinuxStartupStack.size, .max)
        case 6: (UInt64(ProcessTable<Never>.processLimit), UInt64(ProcessTable<Never>.processLimit))
        case 7: (UInt64(fileDescriptorLimit), UInt64(fileDescriptorLimit))
        default: (.max, .max)
        }
    }

    static func serve<RAM, P: Pager>(
        _ call: LinuxSyscallNumber, _ a: SyscallArguments, by thread: ThreadID, in process: inout UserProcess<RAM, P>,
        machine: LinuxMachine
    ) -> SyscallOutcome<RAM> {
        let me = Int64(process.threads.main.value)
        do throws(KernelError) {
            switch call {
            case .getpid: // getpid()
                return .returns(me)
            case .gettid: // gettid()
                return .returns(Int64(thread.value))
            case .getppid: // getppid()
                return .returns(process.linux.parentProcess)
            case .getuid, .geteuid, .getgid, .getegid: // every program runs as root
                return .returns(0)
            case .getpgrp: // getpgrp()
                return .returns(process.linux.group(of: me))
            case .getpgid: // getpgid(pid): the group of any process (ProcessGroups.swift)
                return .jobControl(.processGroup(of: a.processID(0)))
            case .getsid: // getsid(pid): the session of any process
                return .jobControl(.session(of: a.processID(0)))
            case .setpgid: // setpgid(pid, pgid): the caller or a child of its own into a group
                return .jobControl(.setProcessGroup(a.processID(0), to: a.processID(1)))
            case .setsid: // setsid(): a new session and group led by the caller
                return .jobControl(.newSession)
            case .setTidAddress: // set_tid_address(tidptr): the caller's tid
                return .returns(Int64(thread.value))
            case .setRobustList: // set_robust_list(head, len): len must be 24
                guard a[1] == 24 else { throw .invalidArgument }
                return .returns(0)
            case .rseq: // rseq(): not offered
                return .returns(LinuxErrno.noSuchCall.syscallReturnValue)
            case .schedYield: // sched_yield()
                return .returns(0)
            case .uname: // uname(buf)
                try process.mm.copyOut(LinuxStructures.utsname(LinuxStructures.systemNames), to: a.address(0))
                return .returns(0)
            case .clockGettime: // clock_gettime(clock, ts)
                let now: UInt64
                if realTimeClocks.contains(a[0]) { now = machine.realTimeNanoseconds() }
                else if monotonicClocks.contains(a[0]) { now = machine.monotonicNanoseconds() }
                else { throw .invalidArgument }
                try process.mm.copyOut(LinuxStructures.timespec(nanoseconds: now), to: a.address(1))
                return .returns(0)
            case .gettimeofday: // gettimeofday(tv, tz): tz ignored
                if a[0] != 0 { try process.mm.copyOut(LinuxStructures.timeval(nanoseconds: machine.realTimeNanoseconds()), to: a.address(0)) }
                return .returns(0)
            case .getrandom: // getrandom(buf, count, flags): at most 32 MiB at once, as Linux
                guard a[2] & ~0x7 == 0 else { throw .invalidArgument }
                let count = Int(min(a[1], 1 << 25))
                _ = try process.mm.checkedUserRange(a.address(0), count: UInt64(count), for: .write)
                var done = 0
                while done < count {
                    let piece = machine.randomBytes(min(count - done, 4096))
                    try process.mm.copyOut(piece, to: VirtualAddress(a[0] + UInt64(done)))
                    done += piece.count
                }
                return .returns(Int64(count))
            case .prlimit64: // prlimit64(pid, resource, new, old): this process; new limits are accepted only as they are
                guard a[0] == 0 || Int64(a[0]) == me else { return .returns(LinuxErrno.noSuchProcess.syscallReturnValue) }
                guard a[1] < 16 else { throw .invalidArgument }
                let (current, maximum) = limit(a[1])
                if a[3] != 0 { try process.mm.copyOut(current.littleEndianBytes + maximum.littleEndianBytes, to: a.address(3)) }
                if a[2] != 0 { _ = try process.mm.checkedUserRange(a.address(2), count: 16, for: .read) }
                return .returns(0)
            case .prctl: // prctl(option, …): PR_SET_NAME 15 / PR_GET_NAME 16 keep no name
                return .returns(LinuxErrno.invalid.syscallReturnValue)
            default:
                return .returns(LinuxErrno.noSuchCall.syscallReturnValue)
            }
        } catch {
            return .returns(error.syscallReturnValue)
        }
    }
}

extension LinuxProcessState {
    /// The process group of process `me` (its own id until it joins another).
    public func group(of me: Int64) -> Int64 { processGroup == 0 ? me : processGroup }
    /// The session of process `me`.
    public func sessionID(of me: Int64) -> Int64 { session == 0 ? 1 : session }

    /// What the rules of process groups need to know of process `me`, whose parent is
    /// `parent` (0: none).
    public func relations(of me: Int64, parent: Int64) -> ProcessRelations {
        ProcessRelations(id: me, parent: parent, group: group(of: me), session: sessionID(of: me), hasExecuted: hasExecuted)
    }
}
