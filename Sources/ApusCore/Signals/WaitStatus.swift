/// How a child changed state, as `wait4` reports it in its `int *wstatus`: Linux's status
/// encoding, which glibc's `W*` macros (`<bits/waitstatus.h>`) take apart.
///
/// ```
/// exited with code c        (c & 0xff) << 8              low 7 bits 0
/// killed by signal s        s, | 0x80 when a core was dumped
/// stopped by signal s       s << 8 | 0x7f
/// continued by SIGCONT      0xffff
/// ```
///
/// The low 7 bits tell the cases apart: 0 for an exit, 0x7f for a stop (and `0xffff` as a
/// whole for a continue), a signal number otherwise.
public enum WaitStatus: Hashable, Sendable {
    case exited(Int32)
    case killed(by: Signal, coreDumped: Bool)
    case stopped(by: Signal)
    case continued

    /// The low 7 bits of a stopped status, and the whole of a continued one.
    public static let stoppedMarker: Int32 = 0x7f
    public static let continuedValue: Int32 = 0xffff
    /// The bit of a killed status that says a core file was written.
    public static let coreDumpFlag: Int32 = 0x80

    /// The `int` that `wait4` stores.
    public var raw: Int32 {
        switch self {
        case let .exited(code): (code & 0xff) << 8
        case let .killed(signal, coreDumped): Int32(signal.number) | (coreDumped ? WaitStatus.coreDumpFlag : 0)
        case let .stopped(signal): Int32(signal.number) << 8 | WaitStatus.stoppedMarker
        case .continued: WaitStatus.continuedValue
        }
    }

    /// The status `raw` encodes, or `nil` for a value `wait4` never stores.
    public init?(raw: Int32) {
        if WaitStatus.ifExited(raw) {
            guard raw & ~0xff00 == 0 else { return nil }
            self = .exited(WaitStatus.exitStatus(raw))
        } else if WaitStatus.ifContinued(raw) {
            self = .continued
        } else if WaitStatus.ifStopped(raw) {
            guard raw & ~0xffff == 0, let signal = Signal(number: Int(WaitStatus.stopSignal(raw))) else { return nil }
            self = .stopped(by: signal)
        } else if WaitStatus.ifSignaled(raw) {
            guard raw & ~0xff == 0, let signal = Signal(number: Int(WaitStatus.termSignal(raw))) else { return nil }
            self = .killed(by: signal, coreDumped: WaitStatus.coreDump(raw))
        } else {
            return nil
        }
    }

    // The predicates and fields, each as glibc defines its macro.

    /// `WIFEXITED`: `(s & 0x7f) == 0`.
    @inlinable public static func ifExited(_ s: Int32) -> Bool { s & 0x7f == 0 }
    /// `WEXITSTATUS`: `(s & 0xff00) >> 8`.
    @inlinable public static func exitStatus(_ s: Int32) -> Int32 { (s & 0xff00) >> 8 }
    /// `WIFSIGNALED`: `((signed char)((s & 0x7f) + 1) >> 1) > 0`.
    @inlinable public static func ifSignaled(_ s: Int32) -> Bool { Int8(truncatingIfNeeded: (s & 0x7f) + 1) >> 1 > 0 }
    /// `WTERMSIG`: `s & 0x7f`.
    @inlinable public static func termSignal(_ s: Int32) -> Int32 { s & 0x7f }
    /// `WCOREDUMP`: `s & 0x80`.
    @inlinable public static func coreDump(_ s: Int32) -> Bool { s & coreDumpFlag != 0 }
    /// `WIFSTOPPED`: `(s & 0xff) == 0x7f`.
    @inlinable public static func ifStopped(_ s: Int32) -> Bool { s & 0xff == stoppedMarker }
    /// `WSTOPSIG`: the same bits as `WEXITSTATUS`.
    @inlinable public static func stopSignal(_ s: Int32) -> Int32 { exitStatus(s) }
    /// `WIFCONTINUED`: `s == 0xffff`.
    @inlinable public static func ifContinued(_ s: Int32) -> Bool { s == continuedValue }
}
