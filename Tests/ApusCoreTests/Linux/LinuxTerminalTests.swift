import ApusCore
import Testing

/// The console's terminal settings (`TCGETS`, `TCSETS`): kept on the console for the next
/// `TCGETS`, and their local modes carried to the host's terminal (``TerminalModes``).
@Suite("Linux terminal settings")
struct LinuxTerminalTests {
    static let buffer = ProcessHarnessLayout.buffer

    @Test func terminalSettingsAreKeptAndTheirModesTravelAsARingWord() throws {
        try withMachine { machine in
            let harness = try ProcessHarness(machine)
            var settings = LinuxStructures.canonicalTerminal
            expectEqual(TerminalModes(settings: settings), TerminalModes(canonical: true, echoes: true, signalKeys: true))
            settings[12] &= ~UInt8(0o13) // ~(ISIG | ICANON | ECHO), as a line editor asks
            try harness.process.mm.copyOut(settings, to: VirtualAddress(Self.buffer))
            expectEqual(harness.linux(LinuxSyscallNumber.ioctl.rawValue, 0, 0x5402, Self.buffer), 0)
            expectEqual(harness.console.terminalSettings, settings)
            expectEqual(harness.linux(LinuxSyscallNumber.ioctl.rawValue, 1, 0x5401, Self.buffer + 0x100), 0)
            expectEqual(try harness.process.mm.copyIn(count: 36, from: VirtualAddress(Self.buffer + 0x100)), settings, "TCGETS gives them back")
            expectEqual(harness.linux(LinuxSyscallNumber.ioctl.rawValue, 0, 0x5404, 0x10), -14)
            expectEqual(harness.console.terminalSettings, settings, "a refused TCSETSF changes nothing")
            let raw = TerminalModes(settings: settings)
            expectEqual(raw, TerminalModes(canonical: false, echoes: false, signalKeys: false))
            for modes in [raw, TerminalModes(canonical: true, echoes: false, signalKeys: true), TerminalModes(settings: LinuxStructures.canonicalTerminal)] {
                expectEqual(TerminalModes(ringWord: modes.ringWord), modes)
            }
            expectEqual(TerminalModes(ringWord: 0), nil, "no program set any")
            expectEqual(TerminalModes(ringWord: 0xDEAD_BEEF_0000_0000), nil, "the tool trusts no other word")
        }
    }
}
