/// One line of the kernel log, built from a string literal with interpolations
/// (`log("process \(id) ended with status \(status)")`) without making a `String`.
///
/// A `String` of more than 15 bytes lives on the kernel heap. The kernel logs while it frees
/// (a process's end, a run's end), and freeing must work however full the heap is, so a log
/// line is built in a small buffer of its own, inline where the line is made: literal
/// pieces are copied from the image, integers are written digit by digit, strings that
/// already exist are copied byte by byte. A line longer than the buffer goes out in pieces
/// as it fills, which changes nothing on the log but the order of writes.
///
/// Values that are only `CustomStringConvertible` are written through their `description`,
/// which may allocate: the paths that free interpolate only integers, ids, static strings
/// and strings that exist already.
struct LogLine: ExpressibleByStringInterpolation {
    fileprivate var buffer = LogBuffer()

    init(stringLiteral literal: StaticString) {
        buffer.append(literal)
    }

    init(stringInterpolation: StringInterpolation) {
        buffer = stringInterpolation.buffer
    }

    struct StringInterpolation: StringInterpolationProtocol {
        fileprivate var buffer = LogBuffer()

        init(literalCapacity: Int, interpolationCount: Int) {}

        mutating func appendLiteral(_ literal: StaticString) { buffer.append(literal) }

        mutating func appendInterpolation(_ text: StaticString) { buffer.append(text) }

        mutating func appendInterpolation(_ text: String) {
            for byte in text.utf8 { buffer.append(byte) }
        }

        mutating func appendInterpolation<Integer: BinaryInteger>(_ value: Integer) {
            if value < 0 { buffer.append(UInt8(ascii: "-")) }
            buffer.appendDecimal(UInt64(truncatingIfNeeded: value.magnitude))
        }

        mutating func appendInterpolation(_ id: ProcessID) { appendInterpolation(id.value) }

        mutating func appendInterpolation(_ id: ThreadID) { appendInterpolation(id.value) }

        /// `bytes` a program chose (a name), escaped as ``LogText/escaped(_:)`` does.
        mutating func appendInterpolation(escaped bytes: [UInt8]) {
            for byte in bytes { buffer.appendEscaped(byte) }
        }

        mutating func appendInterpolation<Value: CustomStringConvertible>(_ value: Value) {
            appendInterpolation(value.description)
        }
    }
}

/// Writes `line` and a line break to the kernel log (COM2).
func log(_ line: LogLine) {
    line.buffer.write()
    Serial.log.write(byte: UInt8(ascii: "\n"))
}

/// Writes `part` to the kernel log without ending the line (a line made in a loop).
func logPart(_ part: LogLine) {
    part.buffer.write()
}

/// The bytes of a log line: a fixed buffer that goes out to the log when full.
private struct LogBuffer {
    private var storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                          UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                          UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    private var count = 0
    private static var capacity: Int { 24 * MemoryLayout<UInt64>.size }

    mutating func append(_ byte: UInt8) {
        if count == Self.capacity {
            write()
            count = 0
        }
        let index = count
        withUnsafeMutableBytes(of: &storage) { $0[index] = byte }
        count += 1
    }

    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { for byte in $0 { append(byte) } }
    }

    /// `value` in decimal, most significant digit first.
    mutating func appendDecimal(_ value: UInt64) {
        if value >= 10 { appendDecimal(value / 10) }
        append(UInt8(ascii: "0") + UInt8(value % 10))
    }

    /// `byte` as it may appear in the log: printable ASCII as it is, the rest escaped.
    mutating func appendEscaped(_ byte: UInt8) {
        LogText.escape(byte) { append($0) }
    }

    /// Writes what the buffer holds to the kernel log.
    func write() {
        var copy = storage
        let length = count
        withUnsafeBytes(of: &copy) { Serial.log.write(UnsafeRawBufferPointer(rebasing: $0[..<length])) }
    }
}
