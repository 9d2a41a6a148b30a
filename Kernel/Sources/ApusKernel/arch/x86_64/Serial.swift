import KernelRuntime
import X86_64Support

/// A 16550 UART serial port (the PC's COM ports), used for text in and out, and the faster
/// channels that stand in for it where the machine has them.
///
/// Apus keeps its channels apart: the program's standard output, its standard error, and
/// the kernel's diagnostics (COM2) never mix. QEMU connects each to a file or pipe of its own.
///
/// A UART takes one byte per transmit-register write and wants its line status read before
/// each: under software emulation that is two port accesses per byte, about 0.46 MB/s. So
/// the program's two streams use, in order of preference:
/// * the output rings (output_ring.c): memory the host reads while the machine runs, tens of
///   MB/s; `apus` offers them by giving the stream's `isa-debugcon` port the readback value
///   0xA5;
/// * QEMU's `isa-debugcon` device (readback 0xE9): a port that takes any number of bytes with
///   one `rep outsb` and needs no polling (still a host write per byte: about 0.65 MB/s);
/// * COM1 and COM3, on another machine.
struct Serial {
    /// The program's standard output: output ring 0 or the debug console at 0x2E0, else COM1.
    static let console = Serial(base: 0x3F8, fastPort: 0x2E0, ring: 0)
    /// COM2: the kernel log.
    static let log = Serial(base: 0x2F8)
    /// The program's standard error: output ring 1 or the debug console at 0x2E4, else COM3.
    static let errors = Serial(base: 0x3E8, fastPort: 0x2E4, ring: 1)

    let base: UInt16
    /// The port of an `isa-debugcon` device to write through instead, if the machine has it.
    let fastPort: UInt16?
    /// The output ring to write through when the host reads the rings.
    let ring: UInt32

    init(base: UInt16, fastPort: UInt16? = nil, ring: UInt32 = 0) {
        self.base = base
        self.fastPort = fastPort
        self.ring = ring
    }

    // Register offsets (National Semiconductor PC16550D data sheet).
    private static let data: UInt16 = 0, interruptEnable: UInt16 = 1, fifoControl: UInt16 = 2
    private static let lineControl: UInt16 = 3, modemControl: UInt16 = 4, lineStatus: UInt16 = 5
    private static let transmitterEmpty: UInt8 = 1 << 5, dataReady: UInt8 = 1 << 0
    /// What reading an `isa-debugcon` port returns (QEMU's default `readback`); a port with
    /// no device reads as 0xFF.
    private static let debugConsoleReadback: UInt8 = 0xE9
    /// The readback value by which `apus` says that it reads the output rings.
    private static let outputRingsReadback: UInt8 = 0xA5

    /// Which fast ports are there, one bit per port (bit `port & 31`), checked once per boot in
    /// `initialize` (before the heap exists, so no array).
    nonisolated(unsafe) private static var fastPortsPresent: UInt32 = 0
    /// Whether the host reads the output rings (seen on the standard output port).
    nonisolated(unsafe) private(set) static var usesOutputRings = false
    /// Whether standard error goes the way of standard output (`output=merged` on the command
    /// line: the host's two streams are one file, so one channel keeps the order they were
    /// written in).
    nonisolated(unsafe) static var errorsJoinOutput = false

    /// 115200 baud, 8 data bits, no parity, one stop bit, FIFOs on, interrupts off; and the
    /// check for the fast port.
    func initialize() {
        outb(base + Self.interruptEnable, 0)
        outb(base + Self.lineControl, 0x80) // divisor latch access
        outb(base + Self.data, 1) // divisor 1: 115200 baud
        outb(base + Self.interruptEnable, 0)
        outb(base + Self.lineControl, 0x03) // 8N1
        outb(base + Self.fifoControl, 0xC7)
        outb(base + Self.modemControl, 0x0B)
        guard let fastPort else { return }
        switch inb(fastPort) {
        case Self.outputRingsReadback: Self.usesOutputRings = true
        case Self.debugConsoleReadback: Self.fastPortsPresent |= 1 << (fastPort & 31)
        default: break
        }
    }

    func write(byte: UInt8) {
        while inb(base + Self.lineStatus) & Self.transmitterEmpty == 0 { cpu_pause() }
        outb(base + Self.data, byte)
    }

    func write(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        if Self.errorsJoinOutput, base == Self.errors.base {
            return Self.console.write(bytes)
        }
        if fastPort != nil, Self.usesOutputRings {
            apus_output_ring_write(ring, bytes.baseAddress, UInt64(bytes.count))
            return
        }
        if let fastPort, Self.fastPortsPresent & 1 << (fastPort & 31) != 0 {
            outsb(fastPort, bytes.baseAddress, UInt64(bytes.count))
            return
        }
        for byte in bytes { write(byte: byte) }
    }

    func write(_ text: StaticString) {
        text.withUTF8Buffer { for byte in $0 { write(byte: byte) } }
    }

    func write(_ text: String) {
        for byte in text.utf8 { write(byte: byte) }
    }

    /// The next byte received, if one is waiting.
    func readByte() -> UInt8? {
        inb(base + Self.lineStatus) & Self.dataReady == 0 ? nil : inb(base + Self.data)
    }
}

/// `putchar` for the Embedded Swift runtime (`print`): the kernel log.
@_cdecl("putchar")
public func putchar(_ character: Int32) -> Int32 {
    Serial.log.write(byte: UInt8(truncatingIfNeeded: character))
    return character
}
