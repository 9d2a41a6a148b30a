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
        if decoded.flags.contains(.linux) { return appendLinuxCall(decoded, to: &text) }
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
    struct Decoded {
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

    /// How each argument of a call shows, one letter per argument in order: `i` a C `int`
    /// (a descriptor, a status), `n` a 64-bit count or offset, `a` an address, `s` the string
    /// or buffer the record carries (else its address), `o` an open mode, `w` a seek origin,
    /// `r` a protection, `f` the two descriptors `pipe` stored.
    static func argumentShapes(of call: KeOSSyscallNumber?) -> StaticString {
        guard let call else { return "aaaaaa" }
        switch call {
        case .exit, .exitGroup, .tell, .close, .fsync: return "i"
        case .open: return "so"
        case .read, .write: return "isn"
        case .seek: return "inw"
        case .pipe: return "f"
        case .mmap: return "anrin"
        case .munmap: return "a"
        case .fork: return ""
        case .threadCreate: return "saaa"
        case .threadJoin: return "ia"
        case .create, .mkdir, .unlink, .chdir: return "s"
        case .stat: return "sa"
        case .readdir: return "ian"
        case .getphys: return "an"
        }
    }

    private static func appendArguments(of call: KeOSSyscallNumber?, _ d: Decoded, to text: inout [UInt8]) {
        let shapes = argumentShapes(of: call)
        for index in 0..<shapes.utf8CodeUnitCount {
            if index > 0 { append(", ", to: &text) }
            let value = d.argument(index)
            switch shapes.utf8Start[index] {
            case UInt8(ascii: "i"): appendDecimal(d.int(index), to: &text)
            case UInt8(ascii: "n"): appendDecimal(Int64(bitPattern: value), to: &text)
            case UInt8(ascii: "s"): appendCarried(d, at: index, to: &text)
            case UInt8(ascii: "o"): appendName(value, among: ["O_RDONLY", "O_WRONLY", "O_RDWR"], to: &text)
            case UInt8(ascii: "w"): appendName(value, among: ["SEEK_SET", "SEEK_CUR", "SEEK_END"], to: &text)
            case UInt8(ascii: "r"): appendProtection(value, to: &text)
            case UInt8(ascii: "f"): appendDescriptorPair(d, to: &text)
            default: appendHexadecimal(value, to: &text)
            }
        }
    }

    /// `names[value]`, or the value as a number when it names none.
    private static func appendName(_ value: UInt64, among names: [StaticString], to text: inout [UInt8]) {
        guard value < UInt64(names.count) else { return appendDecimal(Int64(bitPattern: value), to: &text) }
        append(names[Int(value)], to: &text)
    }

    /// `[3, 4]`: the descriptors `pipe` stored, or the array's address when it stored none.
    static func appendDescriptorPair(_ d: Decoded, to text: inout [UInt8]) {
        guard let bytes = d.bytes, bytes.count == 8 else { return appendHexadecimal(d.argument(0), to: &text) }
        text.append(UInt8(ascii: "["))
        appendDecimal(Int64(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: Int32.self))), to: &text)
        append(", ", to: &text)
        appendDecimal(Int64(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: Int32.self))), to: &text)
        text.append(UInt8(ascii: "]"))
    }

    /// The string or buffer the record carries, quoted (`...` after it when it goes on), or
    /// the argument's address when it carries none.
    static func appendCarried(_ d: Decoded, at index: Int, to text: inout [UInt8]) {
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

    static func append(_ words: StaticString, to text: inout [UInt8]) {
        let start = words.utf8Start
        for index in 0..<words.utf8CodeUnitCount { text.append(start[index]) }
    }

    static func append(_ words: String, to text: inout [UInt8]) {
        text.append(contentsOf: words.utf8)
    }

    static func appendDecimal(_ value: Int64, to text: inout [UInt8]) {
        if value >= 0, value < 10 { return text.append(UInt8(ascii: "0") + UInt8(value)) } // most of them
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
