import Foundation

/// A cpio archive in the "new ASCII" format (`newc`), the format of a Linux initramfs.
///
/// Linux unpacks an initramfs into its first root file system and runs its `/init` as
/// process 1 (Documentation/driver-api/early-userspace/buffer-format.rst). The format is a
/// list of entries, each a 110-byte header of ASCII fields, the entry's name (NUL-terminated)
/// and its data, the name and the data each padded with zeros to a multiple of four bytes;
/// an entry named `TRAILER!!!` ends the list. Every number in a header is eight hexadecimal
/// digits (upper case here; the kernel reads either case).
///
/// A hard link is one more entry with the inode number of the file it names, every entry of
/// that inode saying how many names it has; the file's data travels once, in its first entry,
/// and Linux links each later name to the file it made from the first (init/initramfs.c,
/// `maybe_link`).
///
/// `apus bench --linux` writes its initramfs with this type instead of asking for a `cpio`
/// program: `/dev`, `/dev/console`, `/init`, the modules, and busybox with its applets.
public struct CPIOArchive: Sendable {
    /// What an entry is, as the mode's file-type bits say (`S_IFDIR`, `S_IFCHR`, `S_IFREG`).
    public enum Kind: Sendable, Equatable {
        case directory
        /// A character device, with its major and minor numbers.
        case characterDevice(major: UInt32, minor: UInt32)
        case file(Data)
        /// One more name of the file entry named here, which comes earlier in the archive.
        case hardLink(to: String)
    }

    public struct Entry: Sendable, Equatable {
        /// The path inside the archive, without a leading slash (`dev/console`).
        public var name: String
        public var kind: Kind
        /// The permission bits (`0o755`…), without the file type.
        public var permissions: UInt32

        public init(name: String, kind: Kind, permissions: UInt32) {
            self.name = name
            self.kind = kind
            self.permissions = permissions
        }
    }

    /// The magic number that opens every `newc` header.
    public static let magic = "070701"
    /// The header's size: the magic and thirteen eight-digit fields.
    public static let headerSize = 110
    /// Names and data start on multiples of this.
    public static let alignment = 4
    /// The name of the entry that ends an archive.
    public static let trailerName = "TRAILER!!!"

    /// File-type bits of a mode (`<sys/stat.h>`).
    static let directoryType: UInt32 = 0o040000
    static let characterDeviceType: UInt32 = 0o020000
    static let regularFileType: UInt32 = 0o100000

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// The archive's bytes: each entry with inode numbers 1, 2, … (a hard link with its file's),
    /// owned by root, one link (two for a directory, one per name for a file), time 0; then the
    /// trailer. Throws when a hard link names no earlier file entry.
    public func bytes() throws -> Data {
        // The inode of each file entry by its name, and how many names each file has.
        var fileInodes: [String: Int] = [:]
        var names: [Int: Int] = [:]
        for (index, entry) in entries.enumerated() {
            switch entry.kind {
            case .file:
                fileInodes[entry.name] = index + 1
                names[index + 1] = 1
            case .hardLink(let target):
                guard let inode = fileInodes[target] else { throw ToolError("initramfs: \(entry.name) links to \(target), which is no earlier file") }
                names[inode]! += 1
            case .directory, .characterDevice:
                continue
            }
        }
        var archive = Data()
        for (index, entry) in entries.enumerated() {
            let (inode, type, data, links, device): (Int, UInt32, Data, Int, (UInt32, UInt32)) = switch entry.kind {
            case .directory: (index + 1, Self.directoryType, Data(), 2, (0, 0))
            case .characterDevice(let major, let minor): (index + 1, Self.characterDeviceType, Data(), 1, (major, minor))
            case .file(let contents): (index + 1, Self.regularFileType, contents, names[index + 1]!, (0, 0))
            case .hardLink(let target): (fileInodes[target]!, Self.regularFileType, Data(), names[fileInodes[target]!]!, (0, 0))
            }
            // A link has its file's permissions: one inode, one mode.
            Self.append(name: entry.name, data: data, inode: UInt32(inode), mode: type | entries[inode - 1].permissions,
                        links: UInt32(links), device: device, to: &archive)
        }
        Self.append(name: Self.trailerName, data: Data(), inode: 0, mode: 0, links: 1, device: (0, 0), to: &archive)
        return archive
    }

    private static func append(name: String, data: Data, inode: UInt32, mode: UInt32, links: UInt32,
                               device: (major: UInt32, minor: UInt32), to archive: inout Data) {
        let nameBytes = Array(name.utf8) + [0]
        // inode, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor (of the file
        // system holding it), rdevmajor, rdevminor (of a device), namesize, check (0).
        let fields: [UInt32] = [inode, mode, 0, 0, links, 0, UInt32(data.count), 0, 0,
                                device.major, device.minor, UInt32(nameBytes.count), 0]
        archive.append(contentsOf: Array(magic.utf8))
        for field in fields { archive.append(contentsOf: Array(hex8(field).utf8)) }
        archive.append(contentsOf: nameBytes)
        pad(&archive)
        archive.append(data)
        pad(&archive)
    }

    /// Eight upper-case hexadecimal digits.
    static func hex8(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    private static func pad(_ archive: inout Data) {
        let remainder = archive.count % alignment
        if remainder != 0 { archive.append(contentsOf: [UInt8](repeating: 0, count: alignment - remainder)) }
    }
}
