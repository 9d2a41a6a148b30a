/// The lines of `apus run --trace`: the host turns the kernel's records (``SyscallTrace``)
/// into text here, byte by byte into one array, so a million calls decode in well under a
/// second.
extension SyscallTrace {
    /// Appends the line of every whole record at the start of `stream` to `text` and returns
    /// how many bytes those records took: a record cut off at the end waits for the rest.
    /// A record whose length is impossible ends the decoding (`nil`): the stream is damaged.
    public static func appendLines(of stream: UnsafeRawBufferPointer, to text: inout [UInt8]) -> Int? {
        var offset = 0
        while stream.count - offset >= 2 {
            let length = Int(UInt16(littleEndian: stream.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
            guard length >= headerSize, length <= maximumRecordSize, length % 8 == 0 else { return nil }
            guard stream.count - offset >= length else { break }
            appendLine(of: UnsafeRawBufferPointer(rebasing: stream[offset..<(offset + length)]), to: &text)
            offset += length
        }
        return offset
    }

    /// The line of one whole record, with its newline.
    public static func line(of record: UnsafeRawBufferPointer) -> [UInt8] {
        var text: [UInt8] = []
        appendLine(of: record, to: &text)
        return text
    }

    private static func appendLine(of record: UnsafeRawBufferPointer, to text: inout [UInt8]) {
        let decoded = Decoded(record)
        text.append(UInt8(ascii: "["))
        appendDecimal(Int64(decoded.process), to: &text)
        text.append(UInt8(ascii: "."))
        appendDecimal(Int64(decoded.thread), to: &text)
        text.append(UInt8(ascii: "]"))
        text.append(UInt8(ascii: " "))
        let call = KeOSSyscallNumber(rawValue: decoded.number)
        if let call {
            append(name(of: call), to: &text)
        } else {
            append("syscall_", to: &text)
            appendHexadecimal(decoded.number, to: &text)
        }
        text.append(UInt8(ascii: "("))
        appendArguments(of: call, decoded, to: &text)
        append(") = ", to: &text)
        appendResult(of: call, decoded, to: &text)
        text.append(UInt8(ascii: "\n"))
    }

    /// A record's fields: its fixed part copied out in one move, then read as words.
    private struct Decoded {
        let record: UnsafeRawBufferPointer
        private var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0, 0)

        init(_ record: UnsafeRawBufferPointer) {
            self.record = record
            withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: record[0..<headerSize])) }
        }

        var flags: Flags { Flags(rawValue: UInt8(truncatingIfNeeded: UInt64(littleEndian: words.0) >> 16)) }
        var number: UInt64 { UInt64(littleEndian: words.0) >> 32 }
        var process: UInt32 { UInt32(truncatingIfNeeded: UInt64(littleEndian: words.1)) }
        var thread: UInt32 { UInt32(truncatingIfNeeded: UInt64(littleEndian: words.1) >> 32) }

        func argument(_ index: Int) -> UInt64 {
            let word = switch index {
            case 0: words.2
            case 1: words.3
            case 2: words.4
            case 3: words.5
            case 4: words.6
            default: words.7
            }
            return UInt64(littleEndian: word)
        }

        /// An argument as a C `int` (a descriptor, a status): its low 32 bits, signed.
        func int(_ index: Int) -> Int64 { Int64(Int32(truncatingIfNeeded: argument(index))) }

        var result: Int64? {
            flags.contains(.returned) ? Int64(bitPattern: UInt64(littleEndian: words.8)) : nil
        }

        /// The bytes carried, if any.
        var bytes: UnsafeRawBufferPointer? {
            guard flags.contains(.carriesBytes) else { return nil }
            let count = min(Int(record[3]), record.count - headerSize)
            return UnsafeRawBufferPointer(rebasing: record[headerSize..<(headerSize + count)])
        }
    }

    /// The call's name as ABI.md §1 writes it.
    static func name(of call: KeOSSyscallNumber) -> StaticString {
        switch call {
        case .exit: "exit"
        case .open: "open"
        case .read: "read"
        case .write: "write"
        case .seek: "seek"
        case .tell: "tell"
        case .close: "close"
        case .pipe: "pipe"
        case .mmap: "mmap"
        case .munmap: "munmap"
        case .fork: "fork"
        case .threadCreate: "thread_create"
        case .threadJoin: "thread_join"
        case .exitGroup: "exit_group"
        case .create: "create"
        case .mkdir: "mkdir"
        case .unlink: "unlink"
        case .chdir: "chdir"
        case .readdir: "readdir"
        case .stat: "stat"
        case .fsync: "fsync"
        case .getphys: "getphys"
        }
    }

    private static func appendArguments(of call: KeOSSyscallNumber?, _ d: Decoded, to text: inout [UInt8]) {
        guard let call else {
            for index in 0..<6 {
                if index > 0 { append(", ", to: &text) }
                appendHexadecimal(d.argument(index), to: &text)
            }
            return
        }
        switch call {
        case .exit, .exitGroup:
            appendDecimal(d.int(0), to: &text)
        case .open:
            appendCarried(d, to: &text)
            append(", ", to: &text)
            switch d.argument(1) {
            case 0: append("O_RDONLY", to: &text)
            case 1: append("O_WRONLY", to: &text)
            case 2: append("O_RDWR", to: &text)
            default: appendDecimal(Int64(bitPattern: d.argument(1)), to: &text)
            }
        case .read, .write:
            appendDecimal(d.int(0), to: &text)
            append(", ", to: &text)
            appendCarried(d, at: 1, to: &text)
            append(", ", to: &text)
            appendDecimal(Int64(bitPattern: d.argument(2)), to: &text)
        case .seek:
            appendDecimal(d.int(0), to: &text)
            append(", ", to: &text)
            appendDecimal(Int64(bitPattern: d.argument(1)), to: &text)
            append(", ", to: &text)
            switch d.argument(2) {
            case 0: append("SEEK_SET", to: &text)
            case 1: append("SEEK_CUR", to: &text)
            case 2: append("SEEK_END", to: &text)
            default: appendDecimal(Int64(bitPattern: d.argument(2)), to: &text)
            }
        case .tell, .close, .fsync:
            appendDecimal(d.int(0), to: &text)
        case .pipe:
            if let bytes = d.bytes, bytes.count == 8 {
                text.append(UInt8(ascii: "["))
                appendDecimal(Int64(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: Int32.self))), to: &text)
                append(", ", to: &text)
                appendDecimal(Int64(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: Int32.self))), to: &text)
                text.append(UInt8(ascii: "]"))
            } else {
                appendHexadecimal(d.argument(0), to: &text)
            }
        case .mmap:
            appendHexadecimal(d.argument(0), to: &text)
            append(", ", to: &text)
            appendDecimal(Int64(bitPattern: d.argument(1)), to: &text)
            append(", ", to: &text)
            appendProtection(d.argument(2), to: &text)
            append(", ", to: &text)
            appendDecimal(d.int(3), to: &text)
            append(", ", to: &text)
            appendDecimal(Int64(bitPattern: d.argument(4)), to: &text)
        case .munmap:
            appendHexadecimal(d.argument(0), to: &text)
        case .fork:
            break
        case .threadCreate:
            appendCarried(d, to: &text)
            for index in 1..<4 {
                append(", ", to: &text)
                appendHexadecimal(d.argument(index), to: &text)
            }
        case .threadJoin:
            appendDecimal(d.int(0), to: &text)
            append(", ", to: &text)
            appendHexadecimal(d.argument(1), to: &text)
        case .create, .mkdir, .unlink, .chdir:
            appendCarried(d, to: &text)
        case .stat:
            appendCarried(d, to: &text)
            append(", ", to: &text)
            appendHexadecimal(d.argument(1), to: &text)
        case .readdir:
            appendDecimal(d.int(0), to: &text)
            append(", ", to: &text)
            appendHexadecimal(d.argument(1), to: &text)
            append(", ", to: &text)
            appendDecimal(Int64(bitPattern: d.argument(2)), to: &text)
        case .getphys:
            appendHexadecimal(d.argument(0), to: &text)
            append(", ", to: &text)
            appendDecimal(Int64(bitPattern: d.argument(1)), to: &text)
        }
    }

    /// The string or buffer the record carries, quoted (`...` after it when it goes on), or
    /// the argument's address when it carries none.
    private static func appendCarried(_ d: Decoded, at index: Int = 0, to text: inout [UInt8]) {
        guard let bytes = d.bytes else {
            appendHexadecimal(d.argument(index), to: &text)
            return
        }
        appendQuoted(bytes, to: &text)
        if d.flags.contains(.truncated) { append("...", to: &text) }
    }

    private static func appendResult(of call: KeOSSyscallNumber?, _ d: Decoded, to text: inout [UInt8]) {
        guard let result = d.result else {
            text.append(UInt8(ascii: "?"))
            return
        }
        if result < 0, let error = KernelError(syscallReturnValue: result) {
            appendDecimal(result, to: &text)
            text.append(UInt8(ascii: " "))
            append(error.name, to: &text)
        } else if call == .mmap || call == .getphys {
            appendHexadecimal(UInt64(bitPattern: result), to: &text)
        } else {
            appendDecimal(result, to: &text)
        }
    }

    /// `PROT_READ|PROT_WRITE|PROT_EXEC` by name (`PROT_NONE` for none, other bits as a number).
    private static func appendProtection(_ bits: UInt64, to text: inout [UInt8]) {
        guard bits != 0 else { return append("PROT_NONE", to: &text) }
        var first = true
        for (bit, name) in [(UInt64(1), "PROT_READ"), (2, "PROT_WRITE"), (4, "PROT_EXEC")] where bits & bit != 0 {
            if !first { text.append(UInt8(ascii: "|")) }
            append(name, to: &text)
            first = false
        }
        if bits & ~7 != 0 {
            if !first { text.append(UInt8(ascii: "|")) }
            appendHexadecimal(bits & ~7, to: &text)
        }
    }

    /// `bytes` in double quotes, C style: printable ASCII as is, `\n`, `\t`, `\r`, `\"`, `\\`,
    /// and every other byte as `\xHH`.
    static func appendQuoted(_ bytes: UnsafeRawBufferPointer, to text: inout [UInt8]) {
        text.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\n"): append("\\n", to: &text)
            case UInt8(ascii: "\t"): append("\\t", to: &text)
            case UInt8(ascii: "\r"): append("\\r", to: &text)
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                text.append(UInt8(ascii: "\\"))
                text.append(byte)
            case 0x20...0x7E: text.append(byte)
            default:
                append("\\x", to: &text)
                text.append(hexDigit(byte >> 4))
                text.append(hexDigit(byte & 0xF))
            }
        }
        text.append(UInt8(ascii: "\""))
    }

    private static func append(_ words: StaticString, to text: inout [UInt8]) {
        let start = words.utf8Start
        for index in 0..<words.utf8CodeUnitCount { text.append(start[index]) }
    }

    private static func append(_ words: String, to text: inout [UInt8]) {
        text.append(contentsOf: words.utf8)
    }

    static func appendDecimal(_ value: Int64, to text: inout [UInt8]) {
        if value < 0 { text.append(UInt8(ascii: "-")) }
        let magnitude = value.magnitude
        var divisor: UInt64 = 1
        while magnitude / divisor >= 10 { divisor *= 10 }
        while divisor > 0 {
            text.append(UInt8(ascii: "0") + UInt8(magnitude / divisor % 10))
            divisor /= 10
        }
    }

    static func appendHexadecimal(_ value: UInt64, to text: inout [UInt8]) {
        append("0x", to: &text)
        let digits = max(1, (64 - value.leadingZeroBitCount + 3) / 4)
        for index in stride(from: digits - 1, through: 0, by: -1) {
            text.append(hexDigit(UInt8((value >> (4 * UInt64(index))) & 0xF)))
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
