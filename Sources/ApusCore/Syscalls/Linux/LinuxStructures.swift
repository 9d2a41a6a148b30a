/// The structures Linux's calls write into a program's memory, as bytes in x86-64's
/// layout (`<asm/stat.h>`, `<linux/dirent.h>`, `<sys/utsname.h>`, `<asm/termbits.h>`,
/// `<linux/time.h>`): each is built here, from the kernel's own values, and copied out
/// whole by the call.
public enum LinuxStructures {
    /// `struct stat` (144 bytes).
    public static let statSize = 144
    /// `st_mode` type bits.
    public static let modeDirectory: UInt32 = 0o040000
    public static let modeRegular: UInt32 = 0o100000
    public static let modeCharacterDevice: UInt32 = 0o020000
    public static let modeFIFO: UInt32 = 0o010000
    /// The device number files of the disk report (`st_dev`).
    public static let diskDevice: UInt64 = 0x801
    /// The block size `st_blksize` reports.
    public static let blockSize: UInt64 = 4096

    /// What `stat` says of a file.
    public struct FileFacts: Equatable, Sendable {
        public var inode: UInt64
        public var mode: UInt32
        public var linkCount: UInt64
        public var size: UInt64
        public var device: UInt64
        public var specialDevice: UInt64

        public init(inode: UInt64, mode: UInt32, linkCount: UInt64, size: UInt64, device: UInt64 = diskDevice, specialDevice: UInt64 = 0) {
            self.inode = inode
            self.mode = mode
            self.linkCount = linkCount
            self.size = size
            self.device = device
            self.specialDevice = specialDevice
        }

        /// The facts of a file of the disk, which keeps no modes: a directory is
        /// `rwxr-xr-x`; a regular file is too when it is `executable` (it starts as a
        /// program or a script does), else `rw-r--r--`. The link count is the disk's own (a
        /// file's names; a directory's 2 and one per subdirectory).
        public init(_ status: FileStatus, executable: Bool) {
            let directory = status.type == .directory
            let permissions: UInt32 = directory || executable ? 0o755 : 0o644
            self.init(inode: status.inode, mode: (directory ? modeDirectory : modeRegular) | permissions,
                      linkCount: max(status.linkCount, 1), size: status.size)
        }

        /// Whether a file starting with `head` is a program or a script: `\u{7F}ELF` or `#!`.
        public static func looksExecutable(_ head: [UInt8]) -> Bool {
            head.starts(with: [0x7F, 0x45, 0x4C, 0x46]) || head.starts(with: [0x23, 0x21])
        }
    }

    /// `chmod` on a disk that keeps no modes (ABI.md §6): a file's mode is what its kind and
    /// its first bytes say (``FileFacts/init(_:executable:)``), so asking for that mode
    /// succeeds and changes nothing, and any other is `EPERM`, as Linux's own file systems
    /// without modes (vfat) answer.
    public static func unchangedMode(_ facts: FileFacts, _ mode: UInt64) throws(KernelError) -> Int64 {
        guard UInt32(truncatingIfNeeded: mode) & 0o7777 == facts.mode & 0o7777 else { throw .operationNotPermitted }
        return 0
    }

    /// `chown` where every file is root's: owner and group 0, or −1 (keep), succeed; any
    /// other is `EPERM`.
    public static func unchangedOwner(_ owner: UInt64, _ group: UInt64) throws(KernelError) -> Int64 {
        let keeps = { (id: UInt64) in UInt32(truncatingIfNeeded: id) == 0 || UInt32(truncatingIfNeeded: id) == UInt32.max }
        guard keeps(owner), keeps(group) else { throw .operationNotPermitted }
        return 0
    }

    /// `struct stat` for `facts`: dev @0, ino @8, nlink @16, mode @24, uid @28, gid @32,
    /// rdev @40, size @48, blksize @56, blocks (512-byte units) @64, the times @72–@120.
    public static func stat(_ facts: FileFacts) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: statSize)
        put(facts.device, at: 0, in: &bytes)
        put(facts.inode, at: 8, in: &bytes)
        put(facts.linkCount, at: 16, in: &bytes)
        put(UInt64(facts.mode), at: 24, in: &bytes, width: 4)
        put(facts.specialDevice, at: 40, in: &bytes)
        put(facts.size, at: 48, in: &bytes)
        put(blockSize, at: 56, in: &bytes)
        put((facts.size + 511) / 512, at: 64, in: &bytes)
        return bytes
    }

    /// `struct linux_dirent64` for one entry: ino @0, off @8 (where the next entry starts),
    /// reclen @16, type @18, the name and its NUL @19, padded to 8 bytes.
    public static func directoryEntry(inode: UInt64, next: UInt64, type: UInt8, name: [UInt8]) -> [UInt8] {
        let length = (19 + name.count + 1 + 7) & ~7
        var bytes = [UInt8](repeating: 0, count: length)
        put(inode, at: 0, in: &bytes)
        put(next, at: 8, in: &bytes)
        put(UInt64(length), at: 16, in: &bytes, width: 2)
        bytes[18] = type
        bytes.replaceSubrange(19..<19 + name.count, with: name)
        return bytes
    }

    /// `d_type` of an entry whose type the directory does not record (`DT_UNKNOWN`: the
    /// program asks `stat`).
    public static let directoryEntryTypeUnknown: UInt8 = 0

    /// `struct utsname`: six fields of 65 bytes, NUL-padded.
    public static let utsnameFieldSize = 65
    public static func utsname(_ fields: [[UInt8]]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 6 * utsnameFieldSize)
        for (index, field) in fields.prefix(6).enumerated() {
            let text = field.prefix(utsnameFieldSize - 1)
            bytes.replaceSubrange(index * utsnameFieldSize..<index * utsnameFieldSize + text.count, with: text)
        }
        return bytes
    }

    /// What `uname` reports: the system, node, release, version, machine and domain.
    public static let systemNames: [[UInt8]] = [Array("Linux".utf8), Array("apus".utf8), Array("6.1.0-apus".utf8),
                                                Array("#1 SMP Apus".utf8), Array("x86_64".utf8), Array("(none)".utf8)]

    /// `struct timespec` (seconds, nanoseconds) of `nanoseconds`.
    public static func timespec(nanoseconds: UInt64) -> [UInt8] {
        (nanoseconds / 1_000_000_000).littleEndianBytes + (nanoseconds % 1_000_000_000).littleEndianBytes
    }

    /// `struct timeval` (seconds, microseconds) of `nanoseconds`.
    public static func timeval(nanoseconds: UInt64) -> [UInt8] {
        (nanoseconds / 1_000_000_000).littleEndianBytes + (nanoseconds % 1_000_000_000 / 1000).littleEndianBytes
    }

    /// `struct termios` of the kernel's ioctls (36 bytes: four flag words, `c_line`, 19
    /// control characters; glibc's larger one is its own): the flags of a canonical
    /// terminal that echoes and turns `\n` into `\r\n` on output, and the usual control
    /// characters (Ctrl-C interrupts, Ctrl-D ends input).
    public static let termiosSize = 36
    public static var canonicalTerminal: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: termiosSize)
        put(0o002400, at: 0, in: &bytes, width: 4) // c_iflag: ICRNL | IXON
        put(0o000005, at: 4, in: &bytes, width: 4) // c_oflag: OPOST | ONLCR
        put(0o000277, at: 8, in: &bytes, width: 4) // c_cflag: B38400 | CS8 | CREAD
        put(0o105073, at: 12, in: &bytes, width: 4) // c_lflag: ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN
        let controls: [UInt8] = [3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0]
        bytes.replaceSubrange(17..<17 + controls.count, with: controls) // c_line @16, c_cc @17
        return bytes
    }

    /// `struct rusage` (144 bytes) of a process whose use of the machine is not counted.
    public static var emptyResourceUsage: [UInt8] { [UInt8](repeating: 0, count: 144) }

    /// `struct winsize` (rows, columns, pixels): the console's 24 × 80.
    public static let windowSize: [UInt8] = UInt16(24).littleEndianBytes + UInt16(80).littleEndianBytes + [0, 0, 0, 0]

    private static func put(_ value: UInt64, at offset: Int, in bytes: inout [UInt8], width: Int = 8) {
        for index in 0..<width { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (index * 8)) }
    }
}
