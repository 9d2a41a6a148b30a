/// An inode the kernel holds on to: what an open file descriptor, a process's current
/// directory and a file mapping keep of the file they are about.
///
/// A handle is one user of its inode for as long as it lives (counted by
/// ``FileSystem/open(_:from:)`` when it is made, a deferred ``FileSystem/release(_:)`` when it goes), so an inode that
/// loses its last name (`unlink`) lives on, with its blocks, until its last handle goes:
/// the last descriptor closes, the process leaves the directory, the last mapping of it is
/// unmapped (ABI.md §4, §6). Copies of a descriptor (`fork`) share one handle, as they share
/// one open file; so do a process and its forked child for their current directory.
///
/// The handle never changes: `chdir` takes a new handle rather than changing one. It is the
/// ``MappableFile`` behind file mappings and the loader: a page of the mapping is the page
/// cache's frame, shared (``FileSystem/sharedPage(of:at:)``).
/// Handles that may exist at once on one file system (open files, current directories,
/// mappings that outlived their descriptor), besides each process's first directory: past
/// it, `open` and `chdir` fail with TooManyOpenFile (as Linux's ENFILE).
public let inodeHandleLimit = 16_384

public final class InodeHandle<Memory: PhysicalMemory>: MappableFile {
    public let fileSystem: FileSystem<Memory>
    public let inode: UInt32
    public let type: FileType

    /// The handle of `opened`, a user ``FileSystem/open(_:from:)`` counted already.
    public init(adopting opened: OpenedFile, in fileSystem: FileSystem<Memory>) {
        self.fileSystem = fileSystem
        inode = opened.inode
        type = opened.type
        fileSystem.handleCount += 1
    }

    deinit {
        fileSystem.handleCount -= 1
        fileSystem.deferRelease(inode)
    }

    /// The file or directory `path` names, from the directory `directory`.
    /// ``KernelError/noSuchEntry``, ``KernelError/notDirectory`` and the path errors;
    /// ``KernelError/tooManyOpenFile`` when ``inodeHandleLimit`` handles exist already (the
    /// handles live in the kernel heap, whose budget counts them: ``HeapBudget``).
    public static func open(_ path: [UInt8], from directory: UInt32, in fileSystem: FileSystem<Memory>) throws(KernelError) -> InodeHandle {
        guard fileSystem.handleCount < inodeHandleLimit else { throw .tooManyOpenFile }
        return InodeHandle(adopting: try fileSystem.open(path, from: directory), in: fileSystem)
    }

    /// The root directory of `fileSystem`.
    public static func root(of fileSystem: FileSystem<Memory>) -> InodeHandle {
        let root = FileSystem<Memory>.rootInode
        fileSystem.retain(root)
        return InodeHandle(adopting: OpenedFile(inode: root, type: .directory), in: fileSystem)
    }

    // MARK: - MappableFile

    public func size() throws(KernelError) -> UInt64 {
        try fileSystem.size(of: inode)
    }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(KernelError) -> Int {
        try fileSystem.read(inode, at: offset, into: buffer)
    }

    public func sharedPage(at index: UInt64) throws(KernelError) -> PhysicalAddress? {
        try fileSystem.sharedPage(of: inode, at: index)
    }

    public var inodeNumber: UInt32? { inode }
}
