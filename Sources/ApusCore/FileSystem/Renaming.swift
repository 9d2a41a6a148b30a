/// `rename` and `link`: the calls that give an inode another name, each one transaction, so
/// that a power cut at any moment leaves the old state or the new one whole: never neither
/// name, never a link count that disagrees with the names.
///
/// The rules are Linux's (rename(2), link(2)), in the order Linux checks them; the errors are
/// the ``KernelError`` cases of the same meaning, so a Linux table maps each to its errno:
///
/// | rule                                                           | error                |
/// |----------------------------------------------------------------|----------------------|
/// | a last component `.` or `..`, or the root (`rename`)           | ``KernelError/busy`` |
/// | the source, or the destination's parent, missing               | ``KernelError/noSuchEntry`` |
/// | a trailing `/` after a file                                    | ``KernelError/notDirectory`` |
/// | a directory into itself or one of its descendants              | ``KernelError/invalidArgument`` |
/// | onto a directory that holds the source (one of its ancestors)  | ``KernelError/directoryNotEmpty`` |
/// | a directory onto a file                                        | ``KernelError/notDirectory`` |
/// | a file onto a directory                                        | ``KernelError/isDirectory`` |
/// | a directory onto a directory that holds entries                | ``KernelError/directoryNotEmpty`` |
/// | `link` onto a name that exists (`.`, `..` and `/` included)    | ``KernelError/fileExist`` |
/// | `link` to a new name ending in `/`                             | ``KernelError/noSuchEntry`` |
/// | `link` of a directory                                          | ``KernelError/operationNotPermitted`` |
///
/// Renaming a name onto another name of the same inode does nothing and succeeds. A
/// directory that moves to another parent gets its `..` changed, the old parent one link
/// less and the new one one more; a name replaced loses its inode a link, and an inode left
/// with none is freed, or lives on while open (as `unlink` does).
extension FileSystem {
    /// `rename(from, to)`: `from` walked from `currentDirectory`, `to` from
    /// `destinationDirectory` (Linux's `renameat` gives each its own; `currentDirectory` when
    /// `nil`).
    public func rename(_ from: [UInt8], to: [UInt8], from currentDirectory: UInt32, destinationDirectory: UInt32? = nil) throws(KernelError) {
        let source = try walk(from, from: currentDirectory)
        let destination = try walk(to, from: destinationDirectory ?? currentDirectory)
        if source.namesADirectoryItself || destination.namesADirectoryItself { throw .busy }
        guard let moving = source.target, let sourceSlot = source.slot else { throw .noSuchEntry }
        var sourceParent = source.parent
        let inode = try self.inode(moving)
        let isDirectory = inode.type == .directory
        if (source.mustBeDirectory || destination.mustBeDirectory) && !isDirectory { throw .notDirectory }
        var destinationParent = try parentForNewName(destination)
        // An entry naming the root or its own directory is damage: nothing to move safely.
        guard moving != Self.rootInode, moving != sourceParent.number else { throw .ioError }
        if isDirectory, try isAncestor(moving, of: destinationParent.number) { throw .invalidArgument }
        var replaced: DiskInode?
        if let existing = destination.target {
            let target = try self.inode(existing)
            guard existing != Self.rootInode, existing != destinationParent.number else { throw .ioError }
            if target.type == .directory, try isAncestor(existing, of: sourceParent.number) { throw .directoryNotEmpty }
            if existing == moving { return }
            if isDirectory {
                guard target.type == .directory else { throw .notDirectory }
                guard try isEmpty(target) else { throw .directoryNotEmpty }
            } else if target.type == .directory {
                throw .isDirectory
            }
            replaced = target
        }
        let movesAcross = isDirectory && sourceParent.number != destinationParent.number
        if movesAcross, replaced == nil, destinationParent.linkCount >= UInt64(UInt32.max) { throw .ioError }

        let name = destination.name!
        try keepingIndexes(of: [sourceParent.number, destinationParent.number]) { () throws(KernelError) in
            var transaction = store.begin()
            var destroyed: UInt32?
            if var target = replaced, let slot = destination.slot {
                try replaceEntry(at: slot, of: destinationParent, with: moving, in: &transaction)
                if try dropLink(of: &target, in: &transaction) { destroyed = target.number }
            } else {
                try addEntry(name, inode: moving, to: &destinationParent, in: &transaction)
            }
            // The source's parent as the transaction has it now (the entry added above may
            // have grown it, when both parents are one directory).
            sourceParent = try self.inode(sourceParent.number)
            try removeEntry(at: sourceSlot, named: source.name!, from: sourceParent, in: &transaction)
            if isDirectory {
                var parentLinks: [(UInt32, Int)] = []
                if movesAcross {
                    try setParent(of: inode, to: destinationParent.number, in: &transaction)
                    parentLinks = [(sourceParent.number, -1), (destinationParent.number, replaced == nil ? 1 : 0)]
                } else if replaced != nil {
                    parentLinks = [(destinationParent.number, -1)]
                }
                for (number, change) in parentLinks where change != 0 {
                    var parent = try self.inode(number)
                    parent.linkCount = change > 0 ? parent.linkCount + 1 : max(2, parent.linkCount - 1)
                    try write(parent, in: &transaction)
                }
            }
            try transaction.commit()
            if let destroyed { pages.discard(inode: destroyed) }
        }
    }

    /// `link(existing, new)`: a second name for the regular file `existing`, whose link count
    /// goes up by one. ``KernelError/operationNotPermitted`` for a directory,
    /// ``KernelError/fileExist`` when `new` exists, ``KernelError/noSuchEntry`` when
    /// `existing` or the parent of `new` is missing, besides the path errors. `new` is walked
    /// from `destinationDirectory` (`currentDirectory` when `nil`).
    public func link(_ existing: [UInt8], to new: [UInt8], from currentDirectory: UInt32, destinationDirectory: UInt32? = nil) throws(KernelError) {
        let source = try walk(existing, from: currentDirectory)
        guard let number = source.target else { throw .noSuchEntry }
        var file = try inode(number)
        if source.mustBeDirectory, file.type != .directory { throw .notDirectory }
        let destination = try walk(new, from: destinationDirectory ?? currentDirectory)
        if destination.namesADirectoryItself || destination.target != nil { throw .fileExist }
        var parent = try parentForNewName(destination)
        if destination.mustBeDirectory { throw .noSuchEntry }
        if file.type == .directory { throw .operationNotPermitted }
        guard file.linkCount > 0 else { throw .noSuchEntry }
        guard file.linkCount < UInt64(UInt32.max) else { throw .ioError }
        try keepingIndexes(of: [parent.number]) { () throws(KernelError) in
            var transaction = store.begin()
            file.linkCount += 1
            try write(file, in: &transaction)
            try addEntry(destination.name!, inode: number, to: &parent, in: &transaction)
            try transaction.commit()
        }
    }

    /// The parent of a name `rename` or `link` is to make or replace: it must still exist
    /// (a directory removed while some process is in it takes no new names).
    private func parentForNewName(_ resolved: ResolvedPath) throws(KernelError) -> DiskInode {
        guard resolved.name != nil else { throw .busy }
        guard resolved.parent.linkCount > 0 else { throw .noSuchEntry }
        return resolved.parent
    }

    /// Whether directory `ancestor` is `directory` or lies above it: a walk up the `..`
    /// entries to the root, at most as many steps as there are inodes (a cycle on a damaged
    /// disk is ``KernelError/ioError``).
    private func isAncestor(_ ancestor: UInt32, of directory: UInt32) throws(KernelError) -> Bool {
        var current = directory
        var steps: UInt64 = 0
        while current != Self.rootInode {
            if current == ancestor { return true }
            steps += 1
            guard steps <= geometry.inodeCount, let parent = try lookup(DirectoryBlock.dotDot, in: try inode(current)) else { throw .ioError }
            current = parent.inode
        }
        return ancestor == Self.rootInode
    }

    /// Makes the `..` of `directory` name `parent`.
    private func setParent(of directory: DiskInode, to parent: UInt32, in transaction: inout Transaction<Memory>) throws(KernelError) {
        try replaceEntry(at: 1, of: directory, with: parent, in: &transaction)
    }
}
