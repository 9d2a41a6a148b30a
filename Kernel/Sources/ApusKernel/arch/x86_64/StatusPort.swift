import X86_64Support

/// The kernel's status channel: an I/O port that only the kernel writes, through which it
/// hands the host fixed binary records (ApusCore's `RunRecord`) about the runs.
///
/// QEMU's `isa-debugcon` device sits at the port and copies every byte written to it into a
/// file of its own. The port is COM4's address, which this machine leaves free (it has three
/// serial ports). No user text ever goes here; the host believes a run's status and
/// statistics from this channel only, never from the kernel log.
enum StatusPort {
    static let port: UInt16 = 0x2E8

    /// Sends `record`. Allocates nothing.
    static func write(_ record: RunRecord) {
        record.forEachByte { outb(port, $0) }
    }
}
