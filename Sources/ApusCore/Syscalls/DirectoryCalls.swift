/// The directory calls, as concepts: `create`, `mkdir`, `unlink`, `rename`, `link`,
/// `chdir`, `readdir` and `stat` (ABI.md §6; `rename` and `link` for the Linux table, §7).
///
/// Every path is a program's string, read and checked as `open` reads its path
/// (``UserProcess/path(at:)``: BadAddress, NameTooLong past 4,096 bytes, InvalidArgument when
/// it is not UTF-8), and walked from the process's current directory unless it starts with
/// `/` (``FileSystem/walk(_:from:)``, which gives the path errors: NoSuchEntry, NotDirectory,
/// NameTooLong for a component past 251 bytes). What changes the tree is one transaction of
/// the file system, so it happens wholly or not at all. What a call writes to the program
/// (a `stat` record, `readdir` entries) is checked with `accessOK` before the file system is
/// asked, so a bad buffer changes nothing.
extension UserProcess {
    /// `create(path)`: a new, empty regular file (not opened). ``KernelError/fileExist``,
    /// ``KernelError/noSuchEntry`` (no parent), and the path errors.
    public mutating func create(_ path: [UInt8]) throws(KernelError) {
        try fileSystem.create(path, from: currentDirectory.inode)
    }

    /// `mkdir(path)`: a new directory holding `.` and `..`. ``KernelError/fileExist``,
    /// ``KernelError/noSuchEntry`` (no parent), and the path errors.
    public mutating func makeDirectory(_ path: [UInt8]) throws(KernelError) {
        try fileSystem.makeDirectory(path, from: currentDirectory.inode)
    }

    /// `unlink(path)`: removes a regular file or an empty directory; one still open (or some
    /// process's current directory, or mapped) lives on until its last user lets go.
    /// ``KernelError/busy`` for a last component `.` or `..`,
    /// ``KernelError/directoryNotEmpty``, ``KernelError/noSuchEntry``.
    public mutating func unlink(_ path: [UInt8]) throws(KernelError) {
        try fileSystem.unlink(path, from: currentDirectory.inode)
    }

    /// `rename(from, to)` with Linux's rules (``FileSystem/rename(_:to:from:)``): `to` replaced
    /// atomically when it exists (a file by a file, an empty directory by a directory), a
    /// moved directory's `..` and the parents' link counts updated, a name onto another name
    /// of the same inode a success that changes nothing. ``KernelError/busy``,
    /// ``KernelError/noSuchEntry``, ``KernelError/notDirectory``, ``KernelError/isDirectory``,
    /// ``KernelError/directoryNotEmpty``, ``KernelError/invalidArgument`` (a directory into
    /// itself), and the path errors.
    public mutating func rename(_ from: [UInt8], _ to: [UInt8]) throws(KernelError) {
        try fileSystem.rename(from, to: to, from: currentDirectory.inode)
    }

    /// `link(existing, new)`: a second name for a regular file, its link count one more
    /// (``FileSystem/link(_:to:from:)``). ``KernelError/fileExist``,
    /// ``KernelError/operationNotPermitted`` for a directory, ``KernelError/noSuchEntry``,
    /// and the path errors.
    public mutating func link(_ existing: [UInt8], _ new: [UInt8]) throws(KernelError) {
        try fileSystem.link(existing, to: new, from: currentDirectory.inode)
    }

    /// `chdir(path)`: the directory `path` names becomes the current directory of every
    /// thread of the process. ``KernelError/noSuchEntry``, ``KernelError/notDirectory``.
    public mutating func changeDirectory(_ path: [UInt8]) throws(KernelError) {
        let directory = try InodeHandle.open(path, from: currentDirectory.inode, in: fileSystem)
        guard directory.type == .directory else { throw .notDirectory }
        currentDirectory = directory
    }

    /// `stat(path, record)`: the 32-byte record of what `path` names (``FileStatus/record``)
    /// written at `record`. ``KernelError/badAddress`` when the 32 bytes are not writable
    /// user memory (checked before the path is looked up), and the errors of the lookup.
    public mutating func status(_ path: [UInt8], storingAt record: VirtualAddress) throws(KernelError) {
        let range = try mm.checkedUserRange(record, count: UInt64(FileStatus.recordSize), for: .write)
        let found = try fileSystem.status(path, from: currentDirectory.inode)
        try mm.copyOut(found.record, to: range.start)
    }

    /// `readdir(fd, entries, count)`: up to `count` entries of the directory open as
    /// `descriptor`, from where the last call on this descriptor stopped, written at
    /// `buffer` as 264-byte ``DirectoryEntryRecord``s; returns how many (0 at the end). The
    /// whole buffer (`count` × 264 bytes) must be writable user memory, even for a count of
    /// 0, as for `read` (``KernelError/badAddress``; a size past 2⁶⁴ is one too).
    /// ``KernelError/badFileDescriptor``, ``KernelError/notDirectory`` for anything but a
    /// directory. Entries go to the program a block's worth at a time; a failure after some
    /// were written returns those.
    public mutating func readDirectory(_ descriptor: Int32, into buffer: VirtualAddress, count: UInt64) throws(KernelError) -> Int64 {
        let file = try files.file(descriptor)
        guard case .directory(let handle) = file.kind else { throw .notDirectory }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: UInt64(DirectoryEntryRecord.size))
        guard !overflow else { throw .badAddress }
        _ = try mm.checkedUserRange(buffer, count: bytes, for: .write)
        var filled: UInt64 = 0
        while filled < count {
            let batch = try fileSystem.readDirectory(handle.inode, from: file.position,
                                                     count: Int(min(count - filled, UInt64(DirectoryEntryRecord.batch))))
            if batch.entries.isEmpty { break }
            let records = DirectoryEntryRecord.records(of: batch.entries)
            do throws(KernelError) {
                try mm.copyOut(records, to: VirtualAddress(buffer.raw + filled * UInt64(DirectoryEntryRecord.size)))
            } catch {
                if filled > 0 { break }
                throw error
            }
            filled += UInt64(batch.entries.count)
            file.position = batch.next
        }
        return Int64(filled)
    }
}

/// A directory entry as `readdir` gives it to a program (ABI.md §6): 264 bytes,
/// `{u64 ino @0; char name[256] @8}`, the name NUL-terminated and the rest of it zero.
public enum DirectoryEntryRecord {
    public static let size = 264
    static let nameOffset = 8
    /// How many entries `readdir` reads from the file system at once: one directory block's.
    static var batch: Int { DirectoryBlock.entriesPerBlock }

    /// The records of `entries`, one after the other.
    public static func records(of entries: [DirectoryBlock.Entry]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: entries.count * size)
        for (index, entry) in entries.enumerated() {
            let base = index * size
            bytes.replaceSubrange(base..<base + nameOffset, with: UInt64(entry.inode).littleEndianBytes)
            bytes.replaceSubrange(base + nameOffset..<base + nameOffset + entry.name.count, with: entry.name)
        }
        return bytes
    }
}
