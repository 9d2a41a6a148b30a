/// Why a signal was sent: Linux's `siginfo_t`, which a handler installed with `SA_SIGINFO`
/// reads through its second argument, and which the kernel keeps with every pending signal.
///
/// It is 128 bytes. The first three fields are common; what follows depends on the signal
/// and on `si_code` (a union in C):
///
/// ```
/// offset  0  si_signo   int
/// offset  4  si_errno   int      (always 0 here)
/// offset  8  si_code    int      who or what sent it: SI_USER (kill), SI_KERNEL, CLD_EXITED…
/// offset 16  si_pid     int      kill, SIGCHLD: the process that sent it / the child
/// offset 20  si_uid     uint     kill, SIGCHLD: its user id (0: every Apus process is root)
/// offset 24  si_status  int      SIGCHLD: the child's exit code, or the signal that ended,
///                                stopped or continued it
/// offset 16  si_addr    pointer  SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP: the faulting address
/// ```
public struct SignalInfo: Hashable, Sendable {
    /// What follows the common fields.
    public enum Details: Hashable, Sendable {
        /// Sent by a process (`kill`) or by the kernel on its behalf (`SIGPIPE`, Ctrl-C).
        case sender(pid: Int32, uid: UInt32)
        /// `SIGCHLD`: which child, and its exit code or signal.
        case child(pid: Int32, uid: UInt32, status: Int32)
        /// A fault: the address that caused it.
        case fault(address: UInt64)
    }

    public var signal: Signal
    /// `si_code`: one of the codes below.
    public var code: Int32
    public var details: Details

    /// `si_code` values (`<asm-generic/siginfo.h>`).
    public static let codeUser: Int32 = 0
    public static let codeKernel: Int32 = 0x80
    public static let codeThreadKill: Int32 = -6
    public static let codeChildExited: Int32 = 1
    public static let codeChildKilled: Int32 = 2
    public static let codeChildDumped: Int32 = 3
    public static let codeChildStopped: Int32 = 5
    public static let codeChildContinued: Int32 = 6
    public static let codeSegvMapping: Int32 = 1
    public static let codeSegvAccess: Int32 = 2

    /// The size of a `siginfo_t` in bytes.
    public static let byteCount = 128

    @inlinable public init(signal: Signal, code: Int32, details: Details) {
        self.signal = signal
        self.code = code
        self.details = details
    }

    /// A signal `kill` sent from process `pid` (`SI_USER`), or `tgkill`/`tkill` to one of
    /// its threads (`toThread`: `SI_TKILL`).
    public static func sent(_ signal: Signal, byProcess pid: Int32, uid: UInt32 = 0, toThread: Bool = false) -> SignalInfo {
        SignalInfo(signal: signal, code: toThread ? codeThreadKill : codeUser, details: .sender(pid: pid, uid: uid))
    }

    /// A signal the kernel sends of its own accord (`SIGPIPE`, `SIGINT` from the terminal).
    public static func fromKernel(_ signal: Signal) -> SignalInfo {
        SignalInfo(signal: signal, code: codeKernel, details: .sender(pid: 0, uid: 0))
    }

    /// The `SIGCHLD` a parent gets when its child `pid` changes state as `status` says.
    public static func childChanged(pid: Int32, status: WaitStatus, uid: UInt32 = 0) -> SignalInfo {
        let (code, value): (Int32, Int32) = switch status {
        case let .exited(exitCode): (codeChildExited, exitCode)
        case let .killed(signal, coreDumped): (coreDumped ? codeChildDumped : codeChildKilled, Int32(signal.number))
        case let .stopped(signal): (codeChildStopped, Int32(signal.number))
        case .continued: (codeChildContinued, Int32(Signal.continue.number))
        }
        return SignalInfo(signal: .child, code: code, details: .child(pid: pid, uid: uid, status: value))
    }

    /// A fault at `address` (`SIGSEGV` with `codeSegvMapping`/`codeSegvAccess`, …).
    public static func fault(_ signal: Signal, code: Int32, address: UInt64) -> SignalInfo {
        SignalInfo(signal: signal, code: code, details: .fault(address: address))
    }

    /// The 128 bytes of the `siginfo_t`, zeros where no field is.
    public var bytes: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: SignalInfo.byteCount)
        func put(_ value: [UInt8], at offset: Int) {
            for (index, byte) in value.enumerated() { bytes[offset + index] = byte }
        }
        put(Int32(signal.number).littleEndianBytes, at: 0)
        put(code.littleEndianBytes, at: 8)
        switch details {
        case let .sender(pid, uid):
            put(pid.littleEndianBytes, at: 16)
            put(uid.littleEndianBytes, at: 20)
        case let .child(pid, uid, status):
            put(pid.littleEndianBytes, at: 16)
            put(uid.littleEndianBytes, at: 20)
            put(status.littleEndianBytes, at: 24)
        case let .fault(address):
            put(address.littleEndianBytes, at: 16)
        }
        return bytes
    }
}
