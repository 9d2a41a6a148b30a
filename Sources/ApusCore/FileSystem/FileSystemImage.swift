/// mkfs: a new KeOS file system on a device, filled from a description of a tree.
///
/// The empty file system is written directly (the layout KeOS's tools make: the root is
/// inode 1 and its directory block is the first data block); the tree is then added by
/// the file system's own operations, mounted on the new image in a mode that writes each
/// block home once, without the journal (nobody has seen the image yet, so there is nothing
/// a power cut could break that a second mkfs would not fix).
///
/// The device must hold zeros (a new image file, a new in-memory disk): mkfs writes only
/// blocks that are not all zero, so that an image file stays sparse and a 1 GiB image of a
/// few programs costs the host a few megabytes.
public enum FileSystemImage {
    /// One thing in the tree: a directory, a regular file with its bytes, or a second name
    /// (a hard link) for a regular file made by an earlier item. Missing parent directories
    /// are made as needed.
    public enum Item: Equatable, Sendable {
        case directory(path: [UInt8])
        case file(path: [UInt8], contents: [UInt8])
        case link(path: [UInt8], target: [UInt8])
    }

    /// Makes a file system of `geometry` on `device` (zeroed) holding `tree`, using frames
    /// of `frames` for its caches. ``KernelError/invalidArgument`` when the geometry does not
    /// fit the device; the errors of the operations (a bad path, NoSpace) otherwise.
    public static func make<Memory: PhysicalMemory>(on device: any BlockDevice, geometry: FileSystemGeometry = .keos, tree: [Item] = [], frames: FrameAllocator<Memory>) throws(KernelError) {
        guard geometry.problem(onDeviceOf: device.blockCount) == nil else { throw .invalidArgument }
        try writeEmptyFileSystem(geometry, on: device)
        var options = FileSystem<Memory>.Options()
        options.imageIsFresh = true
        let fileSystem: FileSystem<Memory>
        do { fileSystem = try FileSystem.mount(device, frames: frames, options: options) } catch { throw .ioError }
        for item in tree {
            switch item {
            case .directory(let path):
                try fileSystem.makeDirectories(path)
            case .file(let path, let contents):
                try fileSystem.makeFile(path, contents: contents)
            case .link(let path, let target):
                try fileSystem.makeLink(path, to: target)
            }
        }
        try fileSystem.unmount()
    }

    /// Writes the superblock, the bitmaps, the journal superblock, the root inode and the
    /// root's directory block of an empty file system.
    static func writeEmptyFileSystem(_ geometry: FileSystemGeometry, on device: any BlockDevice) throws(KernelError) {
        let root = DiskInode.rootNumber
        var block = [UInt8](repeating: 0, count: BlockGeometry.blockSize)
        let rootBlock = geometry.firstDataBlock
        Superblock(geometry: geometry, usedBlockCount: 1, usedInodeCount: 1).storeBlock(into: &block)
        try device.write(block: geometry.superblock, bytes: block)

        block = [UInt8](repeating: 0, count: BlockGeometry.blockSize)
        block[0] = 1
        try device.write(block: geometry.inodeBitmapStart, bytes: block)

        // Every metadata block, and the root's directory block, is marked used.
        var bit: UInt64 = 0
        for bitmapBlock in 0..<geometry.blockBitmapBlocks where bit <= rootBlock {
            block = [UInt8](repeating: 0, count: BlockGeometry.blockSize)
            while bit <= rootBlock, bit / FileSystemGeometry.bitsPerBlock == bitmapBlock {
                let place = FileSystemGeometry.bit(bit, inBitmapAt: 0)
                block[place.byte] |= place.mask
                bit += 1
            }
            try device.write(block: geometry.blockBitmapStart + bitmapBlock, bytes: block)
        }

        if let journal = geometry.journal {
            try device.write(block: journal.superblock, bytes: JournalFormat.superblock(committed: false, transactionID: 0))
        }

        var rootInode = DiskInode(number: root, type: .directory, size: UInt64(BlockGeometry.blockSize), linkCount: 2)
        rootInode.direct[0] = rootBlock
        block = [UInt8](repeating: 0, count: BlockGeometry.blockSize)
        block.withUnsafeMutableBytes { rootInode.store(into: $0, at: geometry.place(ofInode: root).offset) }
        try device.write(block: geometry.place(ofInode: root).block, bytes: block)

        block = [UInt8](repeating: 0, count: BlockGeometry.blockSize)
        block.withUnsafeMutableBytes { bytes in
            DirectoryBlock.store(root, named: DirectoryBlock.dot, at: 0, in: bytes)
            DirectoryBlock.store(root, named: DirectoryBlock.dotDot, at: 1, in: bytes)
        }
        try device.write(block: rootBlock, bytes: block)
    }
}

extension Superblock {
    func storeBlock(into block: inout [UInt8]) {
        block.withUnsafeMutableBytes { store(into: $0) }
    }
}

/// Reading and writing whole files and directories by path, for tools that work on an image
/// without a kernel (`apus ls`, `apus cp`) and for mkfs. Paths are taken from the root.
extension FileSystem {
    /// Every entry of the directory `path` (`.` and `..` included) with what `stat` says of it.
    public func list(_ path: [UInt8]) throws(KernelError) -> [(entry: DirectoryBlock.Entry, status: FileStatus)] {
        let directory = try existingInode(path, from: Self.rootInode)
        guard directory.type == .directory else { throw .notDirectory }
        var listing: [(entry: DirectoryBlock.Entry, status: FileStatus)] = []
        var cursor: UInt64 = 0
        while true {
            let batch = try entries(of: directory, from: cursor, count: DirectoryBlock.entriesPerBlock)
            if batch.entries.isEmpty { return listing }
            for entry in batch.entries { listing.append((entry, try status(ofInode: entry.inode))) }
            cursor = batch.next
        }
    }

    /// The bytes of the regular file `path`.
    public func contents(of path: [UInt8]) throws(KernelError) -> [UInt8] {
        let file = try existingInode(path, from: Self.rootInode)
        guard file.type == .regular else { throw .isDirectory }
        var bytes = [UInt8](repeating: 0, count: Int(file.size))
        var failure: KernelError?
        bytes.withUnsafeMutableBytes { buffer in
            do throws(KernelError) { _ = try read(file.number, at: 0, into: buffer) } catch { failure = error }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Makes the directory `path` and any missing parent (`mkdir -p`); an existing directory
    /// is fine, an existing regular file is ``KernelError/fileExist``.
    public func makeDirectories(_ path: [UInt8]) throws(KernelError) {
        let parsed = try PathName(path)
        var prefix: [UInt8] = []
        for component in parsed.components {
            prefix += [UInt8(ascii: "/")] + component
            do throws(KernelError) {
                try makeDirectory(prefix, from: Self.rootInode)
            } catch {
                guard error == .fileExist, try existingInode(prefix, from: Self.rootInode).type == .directory else { throw error }
            }
        }
    }

    /// Makes `path` a second name of the regular file `target` (its parents as needed; an
    /// existing file at `path` is replaced). The errors of ``link(_:to:from:)``.
    public func makeLink(_ path: [UInt8], to target: [UInt8]) throws(KernelError) {
        let absolute = try replaceableFile(path)
        try link(target.first == UInt8(ascii: "/") ? target : [UInt8(ascii: "/")] + target, to: absolute, from: Self.rootInode)
    }

    /// The absolute form of `path` with its parent directories made and any regular file
    /// there removed: a place for a new file.
    private func replaceableFile(_ path: [UInt8]) throws(KernelError) -> [UInt8] {
        let parsed = try PathName(path)
        if parsed.components.count > 1 {
            try makeDirectories(Array(parsed.components.dropLast().joined(separator: [UInt8(ascii: "/")])))
        }
        let absolute = [UInt8(ascii: "/")] + Array(parsed.components.joined(separator: [UInt8(ascii: "/")]))
        if let existing = try? existingInode(absolute, from: Self.rootInode), existing.type == .regular {
            try unlink(absolute, from: Self.rootInode)
        }
        return absolute
    }

    /// Makes the regular file `path` holding `contents` (its parents as needed; an existing
    /// file is replaced). ``KernelError/noSpace`` when it does not fit (the file is then
    /// removed again).
    public func makeFile(_ path: [UInt8], contents: [UInt8]) throws(KernelError) {
        let absolute = try replaceableFile(path)
        try create(absolute, from: Self.rootInode)
        let file = try existingInode(absolute, from: Self.rootInode)
        var written = 0
        var failure: KernelError?
        contents.withUnsafeBytes { buffer in
            do throws(KernelError) { written = try write(file.number, at: 0, from: buffer) } catch { failure = error }
        }
        if failure == nil, written < contents.count { failure = .noSpace }
        if let failure {
            try? unlink(absolute, from: Self.rootInode)
            throw failure
        }
    }
}
