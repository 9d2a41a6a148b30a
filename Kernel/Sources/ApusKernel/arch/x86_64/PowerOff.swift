import KernelSupport

/// Turning the machine off and telling the host how the run ended.
///
/// QEMU's `isa-debug-exit` device (at I/O port 0xF4) ends QEMU when written, with exit status
/// `value * 2 + 1`, so the host sees the kernel's status. Without the device (another
/// machine), the ACPI power-off port that QEMU's PC models provide ends the machine anyway.
enum PowerOff {
    static let debugExitPort: UInt16 = 0xF4
    static let acpiShutdownPort: UInt16 = 0x604
    static let acpiShutdownValue: UInt16 = 0x2000

    /// Powers off, reporting `status` (0–127; 0 is success).
    static func exit(status: UInt32) -> Never {
        outl(debugExitPort, status)
        outw(acpiShutdownPort, acpiShutdownValue)
        halt_forever()
        fatalError("halt_forever returned")
    }
}
