/// Open counts: an inode in use by an open file or as a current directory outlives its last
/// name (ABI.md §6).
///
/// `unlink` of a file someone has open removes the name and sets the link count to 0, but
/// keeps the inode and its blocks: the open file still reads and writes them. When the last
/// user lets go (``release(_:)``: the file table's last close, a process leaving the
/// directory), the inode and its blocks are freed. If the machine stops first, the disk
/// holds an *orphan* (an inode marked used with no links) and the next mount frees it.
///
/// The count is one per ``InodeHandle`` (what `open`, `chdir` and a file mapping hold;
/// `fork` shares them). The table holds only inodes in use, so it is as big as the file
/// tables and processes make it.
///
/// A handle can be dropped anywhere (the last reference to a process's memory may go when
/// the scheduler frees its last thread, a `close` or `munmap` must allocate nothing), but
/// freeing an unlinked inode is a transaction and disk writes, which may only happen where
/// the file system may be used. So a dropped handle only lowers its count in place
/// (``deferRelease(_:)``, which writes and allocates nothing), and the kernel settles the
/// counts that reached zero (``settleReleases()``) when it is done with the file system:
/// after each system call and fault, and before a sync.
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
        let found = openCounts.modifyValue(at: UInt64(inode)) { count in
            if count == 0 { unsettledReleases -= 1 } // taken again before it was settled
            count += 1
        }
        if !found { openCounts.insert(1, at: UInt64(inode)) }
    }

    /// Drops a user of `inode` and settles at once (``deferRelease(_:)``, then
    /// ``settleReleases()``): the last user of an unlinked inode frees it.
    public func release(_ inode: UInt32) {
        deferRelease(inode)
        settleReleases()
    }

    /// A user of `inode` has let go, perhaps somewhere the file system may not be used now:
    /// its count goes down in place, and a count that reaches zero waits for
    /// ``settleReleases()``. Writes nothing, allocates nothing.
    public func deferRelease(_ inode: UInt32) {
        let found = openCounts.modifyValue(at: UInt64(inode)) { count in
            precondition(count > 0, "release of an inode nobody holds")
            count -= 1
            if count == 0 { unsettledReleases += 1 }
        }
        precondition(found, "release of an inode nobody holds")
    }

    /// Forgets the inodes whose last user went, and frees those that are unlinked; the
    /// kernel calls it where the file system is its own (see the type's description). A
    /// device error leaves an inode for the next mount to free, so this never fails.
    public func settleReleases() {
        while unsettledReleases > 0 {
            // Taken out first: a release that waits for the disk may let another handle drop.
            var unused: [UInt32] = []
            openCounts.forEach { inode, count in if count == 0 { unused.append(UInt32(inode)) } }
            for inode in unused {
                openCounts.remove(at: UInt64(inode))
                unsettledReleases -= 1
            }
            for inode in unused { free(ifUnlinked: inode) }
        }
    }

    private func free(ifUnlinked inode: UInt32) {
        guard openCounts.value(at: UInt64(inode)) == nil, let node = try? self.inode(inode), node.linkCount == 0 else { return }
        var transaction = store.begin()
        do {
            try destroy(node, in: &transaction)
            try transaction.commit()
            pages.discard(inode: inode)
        } catch {
            // Left as an orphan: the next mount frees it.
        }
    }

    /// Whether some release waits for ``settleReleases()``.
    public var hasDeferredReleases: Bool { unsettledReleases > 0 }

    /// How many users hold `inode` now.
    public func openCount(of inode: UInt32) -> UInt64 {
        openCounts.value(at: UInt64(inode)) ?? 0
    }
}
