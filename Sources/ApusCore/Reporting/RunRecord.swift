/// What the kernel tells the host about a run, on a channel of its own.
///
/// The kernel log is text, and it carries names a user chose (a program's file name, its
/// arguments): a host that learned a program's exit status by reading the log could be lied
/// to by a file named `"x\nexit status 0\n"`. So the kernel also writes fixed-size binary
/// records to a port that only it writes (QEMU connects it to a file of its own), and the
/// host believes those alone. No byte of a record comes from user text.
///
/// A record is 32 bytes, little-endian:
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | magic, `"APUS"` |
/// | 4 | 1 | kind (``Kind``) |
/// | 5 | 1 | detail (``StartFailure`` for ``Kind/couldNotStart``, else 0) |
/// | 6 | 2 | zero |
/// | 8 | 4 | the run's number, from 0 (repeated runs) |
/// | 12 | 4 | zero |
/// | 16 | 8 | first value (signed): RAM in MiB, an exit status, frames in use before |
/// | 24 | 8 | second value (signed): free frames, frames in use after |
public struct RunRecord: Equatable, Sendable {
    public enum Kind: UInt8, Sendable {
        /// The kernel started (its banner is out): values are RAM in MiB and free frames.
        case booted = 1
        /// Run `run` of the program ended with exit status `first`.
        case exited = 2
        /// Run `run` could not start; `detail` says why.
        case couldNotStart = 3
        /// The frames in use before the first run (`first`) and after the last (`second`).
        case frames = 4
        /// The program's output rings are at physical address `first`, each with `second`
        /// bytes of data (the kernel's output_ring.c gives their layout).
        case outputRings = 5
        /// Standard input streams through the input ring at physical address `first`, with
        /// `second` bytes of data (the kernel's input_ring.c gives its layout); the host may
        /// start writing.
        case inputRing = 6
        /// A memory map follows (``MemoryMapRecords``): `detail` the moment
        /// (``MemoryMapRecords/Moment``), `first` the process, `second` its parent.
        case memoryMap = 7
        /// One region of the memory map before it: `detail` its permission bits (READ,
        /// WRITE, EXECUTABLE), `run` 0 for anonymous memory, else the file's inode number
        /// (`UInt32.max` for a file without one), `first` its start, `second` its end.
        case region = 8
        /// The pages of the region before it: `run` the file offset in pages, `first` the
        /// resident pages, `second` the shared ones.
        case regionPages = 9
        /// The memory map before it left out `first` regions (it reports a bounded number).
        case regionsOmitted = 10
        /// The kernel threads alive (each with a kernel stack) before the first run
        /// (`first`) and after the last (`second`).
        case kernelStacks = 11
        /// The page cache during run `run`: pages read from the disk (`first`) and lookups
        /// served from memory (`second`).
        case pageCache = 12
        /// The kernel runs `first` CPUs (it booted on one and started the others).
        case processors = 13
        /// During the runs the CPUs spun `first` time-stamp counter ticks, all together, for
        /// the kernel lock, out of `second` ticks they were up (the runs' time times the
        /// CPUs); `run` is how often they took it (at most 2^32 − 1).
        case kernelLock = 14

        /// Whether the kernel sends this kind once for every run of the program, so that a
        /// boot of many runs sends many: a run's end, a run that could not start, the page
        /// cache's counts.
        public var comesWithEveryRun: Bool {
            self == .exited || self == .couldNotStart || self == .pageCache
        }
    }

    /// Why a program could not start.
    public enum StartFailure: UInt8, Sendable, CustomStringConvertible {
        case unknown = 0
        case noSuchFile = 1
        case notAProgram = 2
        case argumentsTooLarge = 3
        case outOfMemory = 4
        /// The boot modules (the arguments) are missing or damaged.
        case damagedBoot = 5
        /// The program's entry point is not inside a segment loaded as executable.
        case entryOutsideCode = 6
        /// A segment of the program would occupy the stack's range.
        case segmentOverlapsStack = 7
        /// The machine has no disk to hold the root file system.
        case noDisk = 8
        /// The disk's file system cannot be mounted (the kernel log says why).
        case diskRefused = 9
        /// The disk failed while the program was read.
        case unreadable = 10

        public var description: String {
            switch self {
            case .unknown: "it could not start"
            case .noSuchFile: "no such file in the root file system (or it is a directory)"
            case .notAProgram: "not a valid x86-64 ELF executable"
            case .argumentsTooLarge: "the arguments do not fit in the 32 KiB of the stack they may take"
            case .outOfMemory: "not enough memory to load it"
            case .damagedBoot: "the boot modules are missing or damaged"
            case .entryOutsideCode: "its entry point is not inside a segment loaded as executable"
            case .segmentOverlapsStack: "a segment overlaps the stack"
            case .noDisk: "the machine has no disk for the root file system"
            case .diskRefused: "the disk's file system cannot be mounted (the kernel log says why)"
            case .unreadable: "the disk failed while it was read"
            }
        }
    }

    public static let size = 32
    /// `"APUS"` as a little-endian 32-bit number.
    public static let magic: UInt32 = 0x5355_5041

    public var kind: Kind
    public var detail: UInt8
    public var run: UInt32
    public var first: Int64
    public var second: Int64

    public init(kind: Kind, detail: UInt8 = 0, run: UInt32 = 0, first: Int64 = 0, second: Int64 = 0) {
        self.kind = kind
        self.detail = detail
        self.run = run
        self.first = first
        self.second = second
    }

    /// The record's 32 bytes.
    public var bytes: [UInt8] {
        var bytes: [UInt8] = []
        forEachByte { bytes.append($0) }
        return bytes
    }

    /// Hands `body` the record's 32 bytes in order. Allocates nothing (the kernel sends
    /// records while it frees).
    public func forEachByte(_ body: (UInt8) -> Void) {
        func put<Value: FixedWidthInteger>(_ value: Value) {
            for index in 0..<MemoryLayout<Value>.size { body(UInt8(truncatingIfNeeded: value >> (8 * index))) }
        }
        put(Self.magic)
        put(kind.rawValue)
        put(detail)
        put(UInt16(0))
        put(run)
        put(UInt32(0))
        put(first)
        put(second)
    }

    /// The records in `bytes`, or `nil` when they are not a whole number of well-formed
    /// records (a damaged or forged channel is no answer at all).
    public static func decode(_ bytes: [UInt8]) -> [RunRecord]? {
        guard bytes.count % size == 0 else { return nil }
        var records: [RunRecord] = []
        for offset in stride(from: 0, to: bytes.count, by: size) {
            guard UInt32(littleEndianBytes: bytes, at: offset) == magic,
                  let kind = Kind(rawValue: bytes[offset + 4]),
                  bytes[offset + 6] == 0, bytes[offset + 7] == 0,
                  UInt32(littleEndianBytes: bytes, at: offset + 12) == 0 else { return nil }
            records.append(RunRecord(kind: kind, detail: bytes[offset + 5],
                                     run: UInt32(littleEndianBytes: bytes, at: offset + 8),
                                     first: Int64(littleEndianBytes: bytes, at: offset + 16),
                                     second: Int64(littleEndianBytes: bytes, at: offset + 24)))
        }
        return records
    }
}

/// Names in the kernel log, made safe to print: a user-chosen name can never start a line
/// of its own or pass for something the kernel said.
public enum LogText {
    /// `bytes` with printable ASCII kept and everything else (control characters, line
    /// breaks, bytes of non-ASCII text) written as `\n`, `\t`, `\\` or `\xNN`.
    public static func escaped<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var text: [UInt8] = []
        for byte in bytes { escape(byte) { text.append($0) } }
        return String(decoding: text, as: UTF8.self)
    }

    /// Hands `write` the bytes that stand for `byte` in the log, one by one: `byte` itself
    /// when it is printable ASCII, else its escape. Allocates nothing.
    public static func escape(_ byte: UInt8, _ write: (UInt8) -> Void) {
        let digits: StaticString = "0123456789abcdef"
        switch byte {
        case UInt8(ascii: "\\"): write(UInt8(ascii: "\\")); write(UInt8(ascii: "\\"))
        case UInt8(ascii: "\n"): write(UInt8(ascii: "\\")); write(UInt8(ascii: "n"))
        case UInt8(ascii: "\t"): write(UInt8(ascii: "\\")); write(UInt8(ascii: "t"))
        case 0x20...0x7E: write(byte)
        default:
            write(UInt8(ascii: "\\"))
            write(UInt8(ascii: "x"))
            write(digits.utf8Start[Int(byte >> 4)])
            write(digits.utf8Start[Int(byte & 15)])
        }
    }
}
