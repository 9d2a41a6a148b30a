import X86_64Support

/// Turning the machine off and telling the host how the run ended.
///
/// QEMU's `isa-debug-exit` device (at I/O port 0xF4) ends QEMU when written, with exit status
/// `value * 2 + 1`, so the host sees the kernel's status. The value is `exitCodeBase + status`:
/// never 0, because QEMU exits with 1 when it cannot start at all, and that must never read
/// as "the kernel succeeded". Without the device (another machine), the ACPI power-off port
/// that QEMU's PC models provide ends the machine anyway.
enum PowerOff {
    static let debugExitPort: UInt16 = 0xF4
    /// Added to every status: QEMU then exits with 33 for status 0, 35 for 1, and so on.
    static let exitCodeBase: UInt32 = 0x10
    static let acpiShutdownPort: UInt16 = 0x604
    static let acpiShutdownValue: UInt16 = 0x2000

    /// Powers off, reporting `status` (0–15; 0 is success).
    static func exit(status: UInt32) -> Never {
        outl(debugExitPort, exitCodeBase + (status & 0xF))
        outw(acpiShutdownPort, acpiShutdownValue)
        halt_forever()
        fatalError("halt_forever returned")
    }
}
