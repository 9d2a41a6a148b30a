/// The path walk every path call shares (Linux's `namei` idea): from the root or the
/// current directory, one component at a time, to the directory that holds the last
/// component and what that component names.
///
/// The rules (ABI.md §6): `.` is the directory itself, `..` its parent (the root's is the
/// root), empty components are skipped, every component but the last must name a directory
/// (missing: ``KernelError/noSuchEntry``; a regular file: ``KernelError/notDirectory``).
/// What the last component must be is the caller's business, since `create`, `unlink` and
/// `stat` want different things; a trailing `/` says it must be a directory.
///
/// The walk is bounded by the path: each component is one lookup in one directory, and a
/// lookup reads at most that directory's (checked) size. A directory cycle on a damaged
/// disk cannot make it loop.
public struct ResolvedPath {
    /// The directory that holds the last component (the root for `/`).
    public var parent: DiskInode
    /// The last component, or `nil` for a path of slashes only (the root).
    public var name: [UInt8]?
    /// The inode the path names, or `nil` when its last component does not exist.
    public var target: UInt32?
    /// Where `parent` holds the entry for `name` (`nil` for `.`, `..` and the root).
    public var slot: UInt64?
    /// The path ended with `/`.
    public var mustBeDirectory: Bool

    /// Whether the last component is `.` or `..` (or the path is the root).
    public var namesADirectoryItself: Bool {
        guard let name else { return true }
        return name == DirectoryBlock.dot || name == DirectoryBlock.dotDot
    }
}

extension FileSystem {
    /// Walks `path` from `currentDirectory` (used when the path is relative).
    public func walk(_ path: [UInt8], from currentDirectory: UInt32) throws(KernelError) -> ResolvedPath {
        let parsed = try PathName(path)
        var directory = try inode(parsed.isAbsolute ? Self.rootInode : currentDirectory)
        guard directory.type == .directory else { throw .notDirectory }
        guard let last = parsed.components.last else {
            return ResolvedPath(parent: directory, name: nil, target: directory.number, slot: nil, mustBeDirectory: true)
        }
        for component in parsed.components.dropLast() {
            guard let next = try step(from: directory, to: component).inode else { throw .noSuchEntry }
            directory = try inode(next)
            guard directory.type == .directory else { throw .notDirectory }
        }
        let found = try step(from: directory, to: last)
        return ResolvedPath(parent: directory, name: last, target: found.inode, slot: found.slot, mustBeDirectory: parsed.hasTrailingSlash)
    }

    /// The inode `path` names, which must exist (``KernelError/noSuchEntry``) and, after a
    /// trailing `/`, be a directory (``KernelError/notDirectory``).
    public func existingInode(_ path: [UInt8], from currentDirectory: UInt32) throws(KernelError) -> DiskInode {
        let resolved = try walk(path, from: currentDirectory)
        guard let number = resolved.target else { throw .noSuchEntry }
        let target = try inode(number)
        if resolved.mustBeDirectory, target.type != .directory { throw .notDirectory }
        return target
    }

    /// What `name` names in `directory`: itself for `.`, its parent for `..`, else its entry.
    private func step(from directory: DiskInode, to name: [UInt8]) throws(KernelError) -> (inode: UInt32?, slot: UInt64?) {
        if name == DirectoryBlock.dot { return (directory.number, nil) }
        if name == DirectoryBlock.dotDot {
            if directory.number == Self.rootInode { return (Self.rootInode, nil) }
            guard let parent = try lookup(name, in: directory) else { throw .ioError }
            return (parent.inode, nil)
        }
        guard let entry = try lookup(name, in: directory) else { return (nil, nil) }
        return (entry.inode, entry.slot)
    }
}
