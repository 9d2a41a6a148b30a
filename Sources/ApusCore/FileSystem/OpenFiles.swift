/// Open counts: an inode in use by an open file or as a current directory outlives its last
/// name (ABI.md §6).
///
/// `unlink` of a file someone has open removes the name and sets the link count to 0, but
/// keeps the inode and its blocks: the open file still reads and writes them. When the last
/// user lets go (``release(_:)``: the file table's last close, a process leaving the
/// directory), the inode and its blocks are freed. If the machine stops first, the disk
/// holds an *orphan* (an inode marked used with no links) and the next mount frees it.
///
/// The count is one per open file description (what `open` creates; `fork` and `dup`
/// share it) and one per process whose current directory the inode is. The table holds only
/// inodes in use, so it is as big as the file tables and processes make it.
public struct OpenedFile: Equatable, Sendable {
    public var inode: UInt32
    public var type: FileType
}

extension FileSystem {
    /// `open(path)`: the file or directory `path` names, with one more user (release it with
    /// ``release(_:)``). ``KernelError/noSuchEntry``, ``KernelError/notDirectory`` and the
    /// path errors.
    public func open(_ path: [UInt8], from currentDirectory: UInt32) throws(KernelError) -> OpenedFile {
        let target = try existingInode(path, from: currentDirectory)
        retain(target.number)
        return OpenedFile(inode: target.number, type: target.type)
    }

    /// Adds a user of `inode` (an open file, a current directory).
    public func retain(_ inode: UInt32) {
        let count = openCounts.remove(at: UInt64(inode)) ?? 0
        openCounts.insert(count + 1, at: UInt64(inode))
    }

    /// Drops a user of `inode`; the last user of an unlinked inode frees it. A device error
    /// then leaves it for the next mount to free, so this never fails.
    public func release(_ inode: UInt32) {
        guard let count = openCounts.remove(at: UInt64(inode)) else { preconditionFailure("release of an inode nobody holds") }
        if count > 1 {
            openCounts.insert(count - 1, at: UInt64(inode))
            return
        }
        guard let node = try? self.inode(inode), node.linkCount == 0 else { return }
        var transaction = store.begin()
        do {
            try destroy(node, in: &transaction)
            try transaction.commit()
            pages.discard(inode: inode)
        } catch {
            // Left as an orphan: the next mount frees it.
        }
    }

    /// How many users hold `inode` now.
    public func openCount(of inode: UInt32) -> UInt64 {
        openCounts.value(at: UInt64(inode)) ?? 0
    }
}
