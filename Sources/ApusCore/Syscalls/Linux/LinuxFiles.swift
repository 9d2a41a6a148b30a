/// What Linux's file calls add to the file concepts (`Files.swift`, `DirectoryCalls.swift`):
/// `openat`'s flags and base directory, `struct stat`, `getdents64`'s records, descriptor
/// duplication and flags (`dup`, `dup3`, `fcntl`), the terminal `ioctl`s, vectored reads
/// and writes, and the current directory's path.
extension UserProcess {
    /// The inode a `*at` call starts from: the current directory for `AT_FDCWD`, else the
    /// directory open as `descriptor` (``KernelError/notDirectory`` for anything else).
    /// An absolute path ignores it, as the walk does.
    func baseDirectory(_ descriptor: Int32) throws(KernelError) -> UInt32 {
        if descriptor == LinuxPaths.currentDirectory { return currentDirectory.inode }
        guard case .directory(let handle) = try files.file(descriptor).kind else { throw .notDirectory }
        return handle.inode
    }

    /// `openat(dirfd, path, flags, mode)`: the descriptor of the file, directory or device
    /// `path` names, created with `O_CREAT`, emptied with `O_TRUNC`. `O_EXCL` with an
    /// existing file is ``KernelError/fileExist``; `O_DIRECTORY` on a file
    /// ``KernelError/notDirectory``; writing a directory ``KernelError/isDirectory``.
    public mutating func linuxOpen(_ path: [UInt8], from directory: Int32, flags: UInt64) throws(KernelError) -> Int32 {
        guard files.freeCount > 0 else { throw .tooManyOpenFile }
        let mode = flags & LinuxOpenFlag.accessMode
        guard mode != LinuxOpenFlag.accessMode else { throw .invalidArgument }
        let readable = mode != 1, writable = mode != 0
        let file: OpenFile<RAM>
        if let device = LinuxPaths.device(path) {
            file = OpenFile(.device(device))
        } else {
            let base = try baseDirectory(directory)
            let target = LinuxPaths.isSelfExecutable(path) ? linux.executablePath : path
            var handle: InodeHandle<RAM>
            do throws(KernelError) {
                handle = try InodeHandle.open(target, from: base, in: fileSystem)
                if flags & LinuxOpenFlag.create != 0, flags & LinuxOpenFlag.exclusive != 0 { throw .fileExist }
            } catch {
                guard error == .noSuchEntry, flags & LinuxOpenFlag.create != 0 else { throw error }
                try fileSystem.create(target, from: base)
                handle = try InodeHandle.open(target, from: base, in: fileSystem)
            }
            if handle.type == .directory {
                guard !writable else { throw .isDirectory }
                file = OpenFile(.directory(handle))
            } else {
                guard flags & LinuxOpenFlag.directory == 0 else { throw .notDirectory }
                if flags & LinuxOpenFlag.truncate != 0, writable, try handle.size() > 0 {
                    // The disk's format has no truncation: the name gets a new, empty file.
                    try fileSystem.unlink(target, from: base)
                    try fileSystem.create(target, from: base)
                    handle = try InodeHandle.open(target, from: base, in: fileSystem)
                }
                file = OpenFile(.file(handle, readable: readable, writable: writable))
            }
        }
        file.statusFlags = UInt32(truncatingIfNeeded: flags & ~(LinuxOpenFlag.create | LinuxOpenFlag.exclusive | LinuxOpenFlag.truncate | LinuxOpenFlag.closeOnExec))
        let descriptor = try files.install(file)
        files.setCloseOnExec(descriptor, flags & LinuxOpenFlag.closeOnExec != 0)
        return descriptor
    }

    /// What `fstat` says of the file open as `descriptor`.
    public func linuxFacts(of descriptor: Int32) throws(KernelError) -> LinuxStructures.FileFacts {
        switch try files.file(descriptor).kind {
        case .file(let handle, _, _), .directory(let handle):
            return try facts(of: fileSystem.status(ofInode: handle.inode))
        case .pipeReader, .pipeWriter:
            return LinuxStructures.FileFacts(inode: 0, mode: LinuxStructures.modeFIFO | 0o600, linkCount: 1, size: 0, device: 0)
        case .standardInput, .standardOutput, .standardError, .device:
            return LinuxStructures.FileFacts(inode: 0, mode: LinuxStructures.modeCharacterDevice | 0o666, linkCount: 1, size: 0,
                                             device: 0, specialDevice: 0x501)
        }
    }

    /// What `stat` says of `path` from `directory`.
    public func linuxFacts(of path: [UInt8], from directory: Int32) throws(KernelError) -> LinuxStructures.FileFacts {
        if LinuxPaths.device(path) != nil {
            return LinuxStructures.FileFacts(inode: 0, mode: LinuxStructures.modeCharacterDevice | 0o666, linkCount: 1, size: 0,
                                             device: 0, specialDevice: 0x103)
        }
        let target = LinuxPaths.isSelfExecutable(path) ? linux.executablePath : path
        return try facts(of: fileSystem.status(target, from: try baseDirectory(directory)))
    }

    /// The facts of a file of the disk, its mode from its first bytes.
    private func facts(of status: FileStatus) throws(KernelError) -> LinuxStructures.FileFacts {
        guard status.type == .regular, status.size >= 2 else { return LinuxStructures.FileFacts(status, executable: false) }
        var head = [UInt8](repeating: 0, count: 4)
        let fileSystem = self.fileSystem
        let read = head.withUnsafeMutableBytes { buffer in
            Result { () throws(KernelError) in try fileSystem.read(UInt32(status.inode), at: 0, into: buffer) }
        }
        let count = try read.get()
        return LinuxStructures.FileFacts(status, executable: LinuxStructures.FileFacts.looksExecutable(Array(head.prefix(count))))
    }

    /// `getdents64(fd, buffer, size)`: as many `linux_dirent64` records of the directory
    /// open as `descriptor` as fit in `size` bytes at `buffer`, from where the last call
    /// stopped; returns their bytes (0 at the end). ``KernelError/invalidArgument`` when not
    /// even the next one fits.
    public mutating func linuxReadDirectory(_ descriptor: Int32, into buffer: VirtualAddress, size: UInt64) throws(KernelError) -> Int64 {
        let file = try files.file(descriptor)
        guard case .directory(let handle) = file.kind else { throw .notDirectory }
        let range = try mm.checkedUserRange(buffer, count: size, for: .write)
        var records: [UInt8] = []
        while true {
            let batch = try fileSystem.readDirectory(handle.inode, from: file.position, count: 1)
            guard let entry = batch.entries.first else { break }
            let record = LinuxStructures.directoryEntry(inode: UInt64(entry.inode), next: batch.next,
                                                       type: LinuxStructures.directoryEntryTypeUnknown, name: entry.name)
            guard records.count + record.count <= range.count else {
                if records.isEmpty { throw .invalidArgument }
                break
            }
            records += record
            file.position = batch.next
        }
        try mm.copyOut(records, to: buffer)
        return Int64(records.count)
    }

    /// `dup3(old, new, flags)` and `dup2`: `new` refers to the open file of `old` (closing
    /// what it held); returns `new`.
    public mutating func duplicate(_ old: Int32, to new: Int32, closeOnExec: Bool) throws(KernelError) -> Int32 {
        let file = try files.file(old)
        try files.install(file, at: new)
        files.setCloseOnExec(new, closeOnExec)
        return new
    }

    /// `chdir` for a Linux program: the directory changes and its path is remembered.
    /// ``KernelError/nameTooLong`` when the new path would pass ``LinuxPaths/maximumLength``.
    public mutating func linuxChangeDirectory(_ path: [UInt8]) throws(KernelError) {
        let resolved = LinuxPaths.resolve(path, from: linux.workingDirectory)
        guard resolved.count <= LinuxPaths.maximumLength else { throw .nameTooLong }
        try changeDirectory(path)
        linux.workingDirectory = resolved
    }

    /// The bytes `readv`/`writev` move: the `count` (address, length) pairs at `vector`.
    /// ``KernelError/invalidArgument`` past 1,024 entries (`IOV_MAX`).
    public mutating func ioVectors(at vector: VirtualAddress, count: UInt64) throws(KernelError) -> [(VirtualAddress, UInt64)] {
        guard count <= 1024 else { throw .invalidArgument }
        let bytes = try mm.copyIn(count: Int(count) * 16, from: vector)
        return (0..<Int(count)).map { (VirtualAddress(UInt64(littleEndianBytes: bytes, at: $0 * 16)), UInt64(littleEndianBytes: bytes, at: $0 * 16 + 8)) }
    }
}

/// `open`'s flags (`<asm-generic/fcntl.h>`).
public enum LinuxOpenFlag {
    public static let accessMode: UInt64 = 0o3
    public static let create: UInt64 = 0o100
    public static let exclusive: UInt64 = 0o200
    public static let truncate: UInt64 = 0o1000
    public static let append: UInt64 = 0o2000
    public static let directory: UInt64 = 0o200000
    public static let closeOnExec: UInt64 = 0o2000000
}
