import KernelSupport

/// A 16550 UART serial port (the PC's COM ports), used for text in and out.
///
/// Apus keeps its channels apart: COM1 carries a program's standard output, COM3 its standard
/// error, and COM2 the kernel's diagnostics, so they never mix. QEMU connects each to a file.
struct Serial {
    /// COM1: the program's console (standard output).
    static let console = Serial(base: 0x3F8)
    /// COM2: the kernel log.
    static let log = Serial(base: 0x2F8)
    /// COM3: the program's standard error.
    static let errors = Serial(base: 0x3E8)

    let base: UInt16

    // Register offsets (National Semiconductor PC16550D data sheet).
    private static let data: UInt16 = 0, interruptEnable: UInt16 = 1, fifoControl: UInt16 = 2
    private static let lineControl: UInt16 = 3, modemControl: UInt16 = 4, lineStatus: UInt16 = 5
    private static let transmitterEmpty: UInt8 = 1 << 5, dataReady: UInt8 = 1 << 0

    /// 115200 baud, 8 data bits, no parity, one stop bit, FIFOs on, interrupts off.
    func initialize() {
        outb(base + Self.interruptEnable, 0)
        outb(base + Self.lineControl, 0x80) // divisor latch access
        outb(base + Self.data, 1) // divisor 1: 115200 baud
        outb(base + Self.interruptEnable, 0)
        outb(base + Self.lineControl, 0x03) // 8N1
        outb(base + Self.fifoControl, 0xC7)
        outb(base + Self.modemControl, 0x0B)
    }

    func write(byte: UInt8) {
        while inb(base + Self.lineStatus) & Self.transmitterEmpty == 0 { cpu_pause() }
        outb(base + Self.data, byte)
    }

    func write(_ bytes: UnsafeRawBufferPointer) {
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
