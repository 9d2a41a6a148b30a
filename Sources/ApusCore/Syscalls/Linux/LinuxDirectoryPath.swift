/// `fchdir`: the current directory taken from an open directory, and the path `getcwd`
/// reports for it (ABI.md §7).
///
/// A Linux process keeps its current directory twice: the directory itself (the handle
/// every relative path starts from) and its absolute path (what `getcwd` answers, which
/// `chdir` works out from the path it was given). An open descriptor has a directory but no
/// path, so `fchdir` finds it as `getcwd` does on a file system with no name cache: from the
/// directory up through `..`, looking in each parent for the entry that names the child,
/// until the root. The disk has no symbolic links and a directory has one name, so the path
/// is the one the directory is reached by.
extension UserProcess {
    /// `fchdir(fd)`: the directory open as `descriptor` becomes the current directory.
    /// ``KernelError/badFileDescriptor`` when it is not open, ``KernelError/notDirectory``
    /// when it is no directory, ``KernelError/noSuchEntry`` when the directory was removed
    /// (it has no path), ``KernelError/nameTooLong`` past ``LinuxPaths/maximumLength``.
    public mutating func linuxChangeDirectory(toOpen descriptor: Int32) throws(KernelError) {
        guard case .directory(let handle) = try files.file(descriptor).kind else { throw .notDirectory }
        let path = try path(ofDirectory: handle.inode)
        currentDirectory = handle
        linux.workingDirectory = path
    }

    /// The absolute path of directory `inode`, found by walking up through `..`.
    func path(ofDirectory inode: UInt32) throws(KernelError) -> [UInt8] {
        let slash = UInt8(ascii: "/")
        var names: [[UInt8]] = []
        var length = 0
        var child = inode
        while child != FileSystem<RAM>.rootInode {
            let parent = try fileSystem.directory(DirectoryBlock.dotDot, from: child)
            guard parent != child else { break }
            let name = try self.name(of: child, in: parent)
            length += 1 + name.count
            guard length <= LinuxPaths.maximumLength else { throw .nameTooLong }
            names.append(name)
            child = parent
        }
        var path: [UInt8] = []
        for name in names.reversed() { path += [slash] + name }
        return path.isEmpty ? [slash] : path
    }

    /// The name `parent` gives its entry for `child` (not `.` or `..`);
    /// ``KernelError/noSuchEntry`` when it has none (the child was removed).
    private func name(of child: UInt32, in parent: UInt32) throws(KernelError) -> [UInt8] {
        let batch = 64
        var cursor: UInt64 = 0
        while true {
            let (entries, next) = try fileSystem.readDirectory(parent, from: cursor, count: batch)
            for entry in entries where entry.inode == child && entry.name != DirectoryBlock.dot && entry.name != DirectoryBlock.dotDot {
                return entry.name
            }
            guard entries.count == batch, next > cursor else { throw .noSuchEntry }
            cursor = next
        }
    }
}
