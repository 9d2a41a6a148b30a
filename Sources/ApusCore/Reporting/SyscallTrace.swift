/// One system call as `apus run --trace` shows it: a binary record the kernel writes after
/// the call (cheap: registers, a result and a few bytes it copies from the program), and the
/// line the host decodes it into, strace style:
///
///     [1.1] open("hello.txt", O_RDONLY) = 3
///     [1.1] read(3, "Hello from Apus!\n", 4096) = 17
///     [1.1] open("nope", O_RDONLY) = -2 NoSuchEntry
///     [1.1] exit(0) = ?
///
/// `[P.T]` is the process and the thread. Arguments are as ABI.md §1 gives them: paths and
/// names as strings, open modes, seek origins and protections by name, descriptors as
/// numbers, addresses in hexadecimal, and buffers abbreviated to their first
/// ``bufferPreview`` bytes (followed by `...` when there are more); the result is a number
/// (an address for `mmap`) or, for an error, its code and name.
///
/// The bytes a record carries are ones the call itself read or wrote (its path, the bytes a
/// `read` or `write` moved, the descriptors `pipe` stored), read after the call: so tracing
/// touches no page the call did not, and the program sees nothing of it.
///
/// A record, little-endian:
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 2 | the record's length, a multiple of 8 |
/// | 2 | 1 | flags (``Flags``) |
/// | 3 | 1 | the count of bytes carried |
/// | 4 | 4 | the call's number |
/// | 8 | 4 | the process |
/// | 12 | 4 | the thread |
/// | 16 | 48 | the six argument registers |
/// | 64 | 8 | the result (`rax` after the call) |
/// | 72 | … | the bytes carried, padded to a multiple of 8 |
public enum SyscallTrace {
    /// The bytes of a buffer a line shows.
    public static let bufferPreview = 32
    /// The bytes of a path or name a line shows.
    public static let stringPreview = 255
    /// The fixed part of a record.
    public static let headerSize = 72
    /// The longest record.
    public static let maximumRecordSize = headerSize + 256

    /// What a record's flags say.
    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// The call returned (`exit` and `exit_group` do not).
        public static let returned = Flags(rawValue: 1)
        /// The record carries the bytes of the call's string or buffer.
        public static let carriesBytes = Flags(rawValue: 2)
        /// The string or buffer is longer than what the record carries.
        public static let truncated = Flags(rawValue: 4)
        /// The call went through Linux's table (ABI.md §7): its number and result are
        /// Linux's (``SyscallTrace/linuxCarried(number:result:)``, SyscallTraceLinuxLines.swift).
        public static let linux = Flags(rawValue: 8)
    }

    /// What the record of a call carries: the string or buffer the call used, if any.
    enum Carried {
        case none
        /// The NUL-terminated string at an argument.
        case string(argument: Int)
        /// `count` bytes at an argument.
        case buffer(argument: Int, count: Int)
    }

    static func carried(number: UInt64, arguments: SyscallArguments, result: Int64, linux: Bool) -> Carried {
        if linux { return linuxCarried(number: number, result: result) }
        guard let call = KeOSSyscallNumber(rawValue: number) else { return .none }
        switch call {
        case .open, .create, .mkdir, .unlink, .chdir, .stat:
            return .string(argument: 0) // read by the call before anything else
        case .threadCreate:
            return result >= 0 ? .string(argument: 0) : .none
        case .read, .write:
            return result > 0 ? .buffer(argument: 1, count: Int(result)) : .none
        case .pipe:
            return result == 0 ? .buffer(argument: 0, count: 8) : .none
        default:
            return .none
        }
    }

    /// Writes the record of call `number` with `arguments` (the registers as the program
    /// passed them) by `thread` of `process` into `buffer` (at least ``maximumRecordSize``
    /// bytes), `result` being `rax` after the call (`nil`: the call does not return), and
    /// returns its length; `linux`: the call went through Linux's table. Reads the program's
    /// memory (`mm`) only where the call did.
    public static func record<RAM, P: Pager>(
        number: UInt64, arguments: SyscallArguments, result: UInt64?, process: Int, thread: Int,
        mm: inout MmStruct<RAM, P>, into buffer: UnsafeMutableRawBufferPointer, linux: Bool = false
    ) -> Int {
        precondition(buffer.count >= maximumRecordSize, "a trace record needs \(maximumRecordSize) bytes")
        var flags: Flags = result == nil ? [] : .returned
        if linux { flags.insert(.linux) }
        var carriedCount = 0
        let bytes = UnsafeMutableRawBufferPointer(rebasing: buffer[headerSize..<maximumRecordSize])
        if let result {
            switch carried(number: number, arguments: arguments, result: Int64(bitPattern: result), linux: linux) {
            case .none: break
            case .string(let index):
                if let (count, whole) = copyString(at: arguments[index], limit: stringPreview, mm: &mm, into: bytes) {
                    carriedCount = count
                    flags.insert(.carriesBytes)
                    if !whole { flags.insert(.truncated) }
                }
            case .buffer(let index, let count):
                let shown = min(count, bufferPreview)
                if (try? mm.copyIn(from: VirtualAddress(arguments[index]), into: UnsafeMutableRawBufferPointer(rebasing: bytes[0..<shown]))) != nil {
                    carriedCount = shown
                    flags.insert(.carriesBytes)
                    if count > shown { flags.insert(.truncated) }
                }
            }
        }
        let length = (headerSize + carriedCount + 7) & ~7
        buffer.storeBytes(of: UInt16(length).littleEndian, toByteOffset: 0, as: UInt16.self)
        buffer[2] = flags.rawValue
        buffer[3] = UInt8(carriedCount)
        buffer.storeBytes(of: UInt32(truncatingIfNeeded: number).littleEndian, toByteOffset: 4, as: UInt32.self)
        buffer.storeBytes(of: UInt32(truncatingIfNeeded: process).littleEndian, toByteOffset: 8, as: UInt32.self)
        buffer.storeBytes(of: UInt32(truncatingIfNeeded: thread).littleEndian, toByteOffset: 12, as: UInt32.self)
        for index in 0..<6 {
            buffer.storeBytes(of: arguments[index].littleEndian, toByteOffset: 16 + 8 * index, as: UInt64.self)
        }
        buffer.storeBytes(of: (result ?? 0).littleEndian, toByteOffset: 64, as: UInt64.self)
        for index in (headerSize + carriedCount)..<length { buffer[index] = 0 }
        return length
    }

    /// Copies the NUL-terminated string at `address`, at most `limit` bytes of it, page by
    /// page (never reading a page past the one that holds its end): the count copied and
    /// whether that is all of it; `nil` when its first byte cannot be read.
    private static func copyString<RAM, P: Pager>(
        at address: UInt64, limit: Int, mm: inout MmStruct<RAM, P>, into bytes: UnsafeMutableRawBufferPointer
    ) -> (Int, Bool)? {
        var count = 0
        var cursor = address
        while count < limit {
            let pageLeft = Int(PageGeometry.pageSize - cursor % PageGeometry.pageSize)
            let piece = min(pageLeft, limit - count)
            var ended = false
            let readable = (try? mm.withUserBytes(at: VirtualAddress(cursor), count: piece) { part in
                for byte in part {
                    if byte == 0 {
                        ended = true
                        return false
                    }
                    bytes[count] = byte
                    count += 1
                }
                return true
            }) != nil
            guard readable else { return count == 0 ? nil : (count, false) }
            if ended { return (count, true) }
            cursor &+= UInt64(piece)
        }
        return (count, false)
    }
}
