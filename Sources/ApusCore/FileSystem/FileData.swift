/// A regular file's bytes: `read`, `write` (which grows the file), `fsync`, and the cached
/// page a file mapping takes (ABI.md §6).
///
/// Bytes move through the ``PageCache``: `read` copies out of cached pages, `write` copies
/// into them and leaves them dirty; the disk sees them at `fsync`, at the group's commit
/// (pages whose blocks are new), when memory runs short, or at unmount.
///
/// A `write` happens in three steps, so that an error changes nothing: (1) every page it
/// touches is brought into the cache and pinned there (reading the disk and taking frames:
/// IOError and NoMemory happen here); (2) one transaction maps a block for each page and
/// records the new size (NoSpace happens here, and then the transaction is dropped whole);
/// (3) the bytes are copied and the pages marked dirty, which cannot fail. A large write
/// goes in chunks of ``writeChunkPages`` pages, each such a step; when the disk fills up,
/// the call writes what fits (page by page at the end) and returns how much, or fails with
/// NoSpace when nothing fits. The bytes come from a *source* that copies a given part of
/// them into a page: a buffer of the kernel's, or a program's memory (whose pages the system
/// call made ready before, so that copying from them cannot fail).
extension FileSystem {
    /// Pages one write transaction covers at most.
    static var writeChunkPages: UInt64 { 256 }
    static var pageSize: UInt64 { UInt64(BlockGeometry.blockSize) }

    /// The size of the regular file `inode`.
    public func size(of inode: UInt32) throws(KernelError) -> UInt64 {
        try regularFile(inode).size
    }

    /// Copies up to `buffer.count` bytes from offset `offset` of file `inode` into `buffer`;
    /// returns how many (0 at or past the end). ``KernelError/isDirectory`` for a directory.
    public func read(_ inode: UInt32, at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(KernelError) -> Int {
        let file = try regularFile(inode)
        guard offset < file.size, buffer.count > 0 else { return 0 }
        let count = Int(min(UInt64(buffer.count), file.size - offset))
        var done = 0
        while done < count {
            let position = offset + UInt64(done)
            let inPage = Int(position % Self.pageSize)
            let length = min(count - done, Int(Self.pageSize) - inPage)
            let frame = try page(of: file, at: position / Self.pageSize)
            let source = frames.memory.pointer(to: frame) + inPage
            (buffer.baseAddress! + done).copyMemory(from: source, byteCount: length)
            done += length
        }
        return count
    }

    /// The frame caching page `index` of file `inode` (the file's bytes, zeros past its end),
    /// for a file mapping to share or a copy to user memory. Valid until the next call into
    /// the file system unless the caller takes a share of it.
    public func page(of inode: UInt32, at index: UInt64) throws(KernelError) -> PhysicalAddress {
        try page(of: regularFile(inode), at: index)
    }

    /// The frame caching page `index` of file `inode` with a share of it taken for the
    /// caller (a private file mapping maps it read-only and copies it on its first write),
    /// or `nil` for a page wholly past the end of the file (the caller maps zeros).
    public func sharedPage(of inode: UInt32, at index: UInt64) throws(KernelError) -> PhysicalAddress? {
        let file = try regularFile(inode)
        guard index < (file.size + Self.pageSize - 1) / Self.pageSize else { return nil }
        let frame = try page(of: file, at: index)
        frames.share(frame)
        return frame
    }

    /// Writes `buffer` at `offset` of file `inode`, growing it as needed; returns how many
    /// bytes were written (all of them unless the disk filled up). ``KernelError/noSpace``
    /// when not one byte fits, ``KernelError/isDirectory`` for a directory.
    public func write(_ inode: UInt32, at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(KernelError) -> Int {
        try write(inode, at: offset, count: buffer.count) { destination, sourceOffset in
            destination.baseAddress!.copyMemory(from: buffer.baseAddress! + sourceOffset, byteCount: destination.count)
        }
    }

    /// Writes `count` bytes at `offset` of file `inode`, growing it as needed; `source` copies
    /// the bytes from its offset (the second argument, from 0) into the page buffer it is
    /// given, and must not fail. Returns how many bytes were written (all of them unless the
    /// disk filled up). ``KernelError/noSpace`` when not one byte fits,
    /// ``KernelError/isDirectory`` for a directory.
    public func write(_ inode: UInt32, at offset: UInt64, count: Int, from source: (UnsafeMutableRawBufferPointer, Int) -> Void) throws(KernelError) -> Int {
        _ = try regularFile(inode)
        guard count > 0 else { return 0 }
        guard offset < DiskInode.maximumSize else { throw .noSpace }
        let total = Int(min(UInt64(count), DiskInode.maximumSize - offset))
        let chunkBytes = Int(min(Self.writeChunkPages, UInt64(max(pages.capacity / 2, 1))) * Self.pageSize)
        var written = 0
        var chunkLimit = chunkBytes
        while written < total {
            let position = offset + UInt64(written)
            let inPage = Int(position % Self.pageSize)
            let length = min(total - written, chunkLimit - inPage)
            do {
                let start = written
                try writeChunk(inode, at: position, count: length) { destination, chunkOffset in source(destination, start + chunkOffset) }
                written += length
            } catch {
                // Out of room: try a smaller piece (down to what is left of one page).
                if error == .noSpace, chunkLimit > Int(Self.pageSize) {
                    chunkLimit = max(chunkLimit / 2, Int(Self.pageSize))
                    continue
                }
                if written > 0 { return written }
                throw error
            }
        }
        return written
    }

    /// `fsync`: returns once the bytes of `inode` and the metadata that reach them are on
    /// the disk (its dirty pages written, the running group committed, the device flushed).
    public func synchronize(_ inode: UInt32) throws(KernelError) {
        _ = try self.inode(inode)
        try pages.writeBack(inode: inode)
        try store.commitGroup()
        try device.flush()
    }

    /// Gives up to `count` frames back to the allocator from the caches (clean file pages
    /// first, then dirty ones written back, then metadata blocks); returns how many. The
    /// entry point for the rest of the kernel when frames run short, where waiting for the
    /// disk is safe (between system calls and faults, with the file system not in use).
    @discardableResult
    public func releaseFrames(_ count: Int) -> Int {
        let fromPages = pages.releaseFrames(count)
        return fromPages + store.cache.releaseFrames(count - fromPages)
    }

    // MARK: - Steps

    private func regularFile(_ inode: UInt32) throws(KernelError) -> DiskInode {
        let file = try self.inode(inode)
        guard file.type == .regular else { throw .isDirectory }
        return file
    }

    private func page(of file: DiskInode, at index: UInt64) throws(KernelError) -> PhysicalAddress {
        let start = index * Self.pageSize
        let valid = file.size > start ? Int(min(file.size - start, Self.pageSize)) : 0
        if let frame = pages.cachedFrame(inode: file.number, page: index) { return frame }
        return try pages.load(inode: file.number, page: index, block: blockNumber(of: file, at: index), validBytes: valid)
    }

    /// One chunk of a write: all of it, or nothing (see the type's description).
    private func writeChunk(_ inode: UInt32, at offset: UInt64, count: Int, from source: (UnsafeMutableRawBufferPointer, Int) -> Void) throws(KernelError) {
        var file = try regularFile(inode)
        let firstPage = offset / Self.pageSize
        let lastPage = (offset + UInt64(count) - 1) / Self.pageSize
        var pinned: [UInt64] = []
        defer { for index in pinned { pages.unpin(inode: inode, page: index) } }
        for index in firstPage...lastPage {
            _ = try page(of: file, at: index)
            pages.pin(inode: inode, page: index)
            pinned.append(index)
            try pages.makePrivate(inode: inode, page: index)
        }
        // Growing past a partial last page makes its tail part of the file: the cached page
        // holds zeros there, and it goes home dirty so the disk does too (an image written
        // elsewhere may hold anything past a file's end).
        let oldLastPage = file.size / Self.pageSize
        var tail: (page: UInt64, block: UInt64)?
        if file.size % Self.pageSize != 0, oldLastPage < firstPage {
            let block = try blockNumber(of: file, at: oldLastPage)
            if block != 0 {
                _ = try page(of: file, at: oldLastPage)
                pages.pin(inode: inode, page: oldLastPage)
                pinned.append(oldLastPage)
                tail = (oldLastPage, block)
            }
        }
        var transaction = store.begin()
        var blocks: [(block: UInt64, isNew: Bool)] = []
        for index in firstPage...lastPage { blocks.append(try mapBlock(of: &file, at: index, in: &transaction)) }
        file.size = max(file.size, offset + UInt64(count))
        try write(file, in: &transaction)
        try transaction.commit()
        if let tail { pages.markDirty(inode: inode, page: tail.page, block: tail.block, fresh: false) }
        var copied = 0
        for (position, index) in (firstPage...lastPage).enumerated() {
            let inPage = index == firstPage ? Int(offset % Self.pageSize) : 0
            let length = min(count - copied, Int(Self.pageSize) - inPage)
            let frame = pages.cachedFrame(inode: inode, page: index)!
            source(UnsafeMutableRawBufferPointer(start: frames.memory.pointer(to: frame) + inPage, count: length), copied)
            pages.markDirty(inode: inode, page: index, block: blocks[position].block, fresh: blocks[position].isNew)
            copied += length
        }
    }
}
