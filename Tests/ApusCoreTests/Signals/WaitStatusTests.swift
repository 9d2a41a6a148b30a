import ApusCore
import Testing

/// `wait4`'s status encoding, checked against values glibc's `W*` macros produce.
@Suite("Signals: wait status")
struct WaitStatusTests {
    @Test func encodesAsLinuxDoes() {
        expectEqual(WaitStatus.exited(0).raw, 0)
        expectEqual(WaitStatus.exited(3).raw, 0x300)
        expectEqual(WaitStatus.exited(255).raw, 0xff00)
        expectEqual(WaitStatus.exited(256 + 7).raw, 0x700)
        expectEqual(WaitStatus.killed(by: .kill, coreDumped: false).raw, 9)
        expectEqual(WaitStatus.killed(by: .segmentationFault, coreDumped: true).raw, 0x8b)
        expectEqual(WaitStatus.stopped(by: .terminalStop).raw, 0x147f)
        expectEqual(WaitStatus.continued.raw, 0xffff)
    }

    /// (status, WIFEXITED, WEXITSTATUS, WIFSIGNALED, WTERMSIG, WCOREDUMP, WIFSTOPPED, WSTOPSIG,
    /// WIFCONTINUED) as glibc 2.36's macros compute them.
    static let glibc: [(Int32, Bool, Int32, Bool, Int32, Bool, Bool, Int32, Bool)] = [
        (0x0000, true, 0, false, 0, false, false, 0, false),
        (0x2a00, true, 42, false, 0, false, false, 42, false),
        (0x0002, false, 0, true, 2, false, false, 0, false),
        (0x0086, false, 0, true, 6, true, false, 0, false),
        (0x137f, false, 19, false, 0x7f, false, true, 19, false),
        (0xffff, false, 0xff, false, 0x7f, true, false, 0xff, true),
    ]

    @Test func predicatesAgreeWithGlibcsMacros() {
        for (s, exited, exitStatus, signaled, termSig, core, stopped, stopSig, continued) in Self.glibc {
            expectEqual(WaitStatus.ifExited(s), exited, "\(s)")
            expectEqual(WaitStatus.exitStatus(s), exitStatus, "\(s)")
            expectEqual(WaitStatus.ifSignaled(s), signaled, "\(s)")
            expectEqual(WaitStatus.termSignal(s), termSig, "\(s)")
            expectEqual(WaitStatus.coreDump(s), core, "\(s)")
            expectEqual(WaitStatus.ifStopped(s), stopped, "\(s)")
            expectEqual(WaitStatus.stopSignal(s), stopSig, "\(s)")
            expectEqual(WaitStatus.ifContinued(s), continued, "\(s)")
        }
    }

    @Test func everyStatusDecodesBackToItself() {
        var statuses: [WaitStatus] = [.continued]
        for code: Int32 in 0...255 { statuses.append(.exited(code)) }
        for number in Signal.numbers {
            let signal = Signal(number: number)!
            statuses += [.killed(by: signal, coreDumped: false), .killed(by: signal, coreDumped: true), .stopped(by: signal)]
        }
        for status in statuses { expectEqual(WaitStatus(raw: status.raw), status, "\(status)") }
    }

    @Test func valuesWait4NeverStoresDoNotDecode() {
        for raw: Int32 in [0x10000, 0x0041, 0x7f, 0x4100 | 0x7f, -1] { expectEqual(WaitStatus(raw: raw), nil, "\(raw)") }
    }

    @Test func sigchldCarriesTheChildsCodeAndStatus() {
        let cases: [(WaitStatus, Int32, Int32)] = [
            (.exited(4), SignalInfo.codeChildExited, 4),
            (.killed(by: .kill, coreDumped: false), SignalInfo.codeChildKilled, 9),
            (.killed(by: .abort, coreDumped: true), SignalInfo.codeChildDumped, 6),
            (.stopped(by: .terminalStop), SignalInfo.codeChildStopped, 20),
            (.continued, SignalInfo.codeChildContinued, 18),
        ]
        for (status, code, value) in cases {
            let bytes = SignalInfo.childChanged(pid: 77, status: status).bytes
            expectEqual(bytes.count, 128)
            expectEqual(Int32(littleEndianBytes: bytes, at: 0), 17)
            expectEqual(Int32(littleEndianBytes: bytes, at: 8), code)
            expectEqual(Int32(littleEndianBytes: bytes, at: 16), 77)
            expectEqual(Int32(littleEndianBytes: bytes, at: 24), value)
        }
    }
}
