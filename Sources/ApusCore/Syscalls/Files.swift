/// The file calls, as concepts: `open`, `read`, `write`, `seek`, `tell`, `close` and `fsync`
/// on a process's descriptors (ABI.md §2, §5, §6).
///
/// A descriptor is a small number that stands for an open file in the process's
/// ``FileTable``: standard input, output or error (the ``Console``), a regular file or a
/// directory of the disk's ``FileSystem`` (through an ``InodeHandle``), or one end of a pipe
/// (``PipeBuffer``). `read` and `write` move bytes between that file and the program's
/// memory straight through its pages (no bounce buffer: a regular file's bytes go between
/// the page cache's frames and the program's), and every user range is checked with
/// `accessOK` once, before anything moves or waits. The program's pages are made ready
/// before a byte of a file moves, so a call that fails has changed nothing.
///
/// Each function takes its arguments decoded (a descriptor, an address, a count); the
/// personality's layer (``KeOSSyscalls``) reads them from the registers and turns the result
/// or the error into what its programs expect.
extension UserProcess {
    /// The longest path `open` reads.
    public static var maximumPathLength: Int { 4096 }

    /// The path a program passed at `address`: a NUL-terminated string of UTF-8.
    /// ``KernelError/badAddress`` when a byte of it is not readable,
    /// ``KernelError/nameTooLong`` past ``maximumPathLength`` bytes,
    /// ``KernelError/invalidArgument`` when it is not UTF-8.
    public mutating func path(at address: VirtualAddress) throws(KernelError) -> [UInt8] {
        let name = try mm.copyInCString(at: address, maximumLength: Self.maximumPathLength)
        guard isValidUTF8(name) else { throw .invalidArgument }
        return name
    }

    /// `open`: opens the file or directory at `path` (from the current directory) for
    /// reading and/or writing at the lowest free descriptor, and returns it; a directory opens
    /// in any mode (ABI.md §6). ``KernelError/noSuchEntry`` when nothing has that name,
    /// ``KernelError/tooManyOpenFile`` when the table is full, and the path errors
    /// (``FileSystem/walk(_:from:)``).
    public mutating func open(_ path: [UInt8], readable: Bool, writable: Bool) throws(KernelError) -> Int32 {
        guard files.freeCount > 0 else { throw .tooManyOpenFile }
        let handle = try InodeHandle.open(path, from: currentDirectory.inode, in: fileSystem)
        let kind: OpenFile<RAM>.Kind = handle.type == .directory ? .directory(handle) : .file(handle, readable: readable, writable: writable)
        return try files.install(OpenFile(kind))
    }

    /// `read`: up to `count` bytes from `descriptor` into the program's memory at `buffer`.
    /// A regular file gives what it has from its position on; standard input and a pipe
    /// give what is pending, and *wait* when nothing is but more may come (ABI.md §5).
    /// ``KernelError/badFileDescriptor`` for a descriptor that is not open,
    /// ``KernelError/invalidArgument`` for one not open for reading,
    /// ``KernelError/badAddress`` when the buffer is not writable user memory,
    /// ``KernelError/brokenPipe`` for an empty pipe with no write end left.
    public mutating func read(_ descriptor: Int32, into buffer: VirtualAddress, count: UInt64) throws(KernelError) -> CallProgress<RAM> {
        try read(files.file(descriptor), into: buffer, count: count)
    }

    /// `read` of `file`, the open file the call started with (the descriptor is looked up
    /// once, at the call's start): a call that waits goes on with this same file
    /// (``WaitingCall``).
    public mutating func read(_ file: OpenFile<RAM>, into buffer: VirtualAddress, count: UInt64) throws(KernelError) -> CallProgress<RAM> {
        if case .directory = file.kind { throw .isDirectory }
        guard file.isReadable else { throw .invalidArgument }
        // Checked here, before anything can wait or be taken, and again when a call that
        // waited goes on (the program may have unmapped the buffer meanwhile); the copies
        // below go through the checked range without asking again.
        let range = try mm.checkedUserRange(buffer, count: count, for: .write)
        switch file.kind {
        case .file(let handle, _, _):
            let done = try readFile(handle, at: file.position, into: range)
            file.position += UInt64(done)
            return .finished(Int64(done))
        case .device(.null):
            return .finished(0)
        case .device(.zero):
            try mm.withWritableUserBytes(in: range) { piece in
                piece.initializeMemory(as: UInt8.self, repeating: 0)
                return true
            }
            return .finished(Int64(count))
        case .standardInput, .device(.terminal):
            // Nothing pending yet but more may come: wait for it, as a pipe reader waits
            // (ABI.md §5). Nothing asked, nothing to wait for (as for a pipe).
            if console.pendingInputCount == 0, count > 0, let arrival = console.inputArrival {
                return .waits(arrival, resume: .read(file, into: buffer, count: count), done: 0)
            }
            if console.pendingInputCount == 0, count > 0 {
                console.takeEndOfFile()
                return .finished(0)
            }
            // Straight into the program's pages, and only what is pending: the pages are made
            // ready before a byte is taken, so a failed call consumes nothing.
            var got = 0
            try mm.withWritableUserBytes(in: range.prefix(console.pendingInputCount)) { piece in
                let read = console.readInput(into: piece)
                got += read
                return read == piece.count
            }
            return .finished(Int64(got))
        case .pipeReader(let pipe):
            if pipe.available == 0 {
                if pipe.writers == 0 { throw .brokenPipe }
                // Nothing asked, nothing to wait for (as on Linux): waiting here could only
                // end in a deadlock when no other process writes.
                if count == 0 { return .finished(0) }
                return .waits(pipe.readable, resume: .read(file, into: buffer, count: count), done: 0)
            }
            var got = 0
            try mm.withWritableUserBytes(in: range.prefix(pipe.available)) { piece in
                got += pipe.take(into: piece)
                return true
            }
            if got > 0 { pipeChanged(pipe) }
            return .finished(Int64(got))
        case .standardOutput, .standardError, .pipeWriter, .directory:
            throw .invalidArgument
        }
    }

    /// The bytes of the regular file `handle` from `position` on, up to the end of the file or
    /// of `range`, copied into the program's memory at `range`; returns how many. The
    /// program's pages are made ready first (``MmStruct/withWritableUserBytes(in:_:)``), then
    /// each piece is filled from the page cache. A disk failure part way returns what was
    /// read before it, ``KernelError/ioError`` when nothing was.
    private mutating func readFile(_ handle: InodeHandle<RAM>, at position: UInt64, into range: UserRange) throws(KernelError) -> Int {
        let fileSystem = self.fileSystem
        let file = try fileSystem.regularFile(handle.inode)
        guard position < file.size else { return 0 }
        var done = 0
        var failure: KernelError?
        try mm.withWritableUserBytes(in: range.prefix(Int(min(UInt64(range.count), file.size - position)))) { piece in
            do throws(KernelError) {
                let got = try fileSystem.read(file, at: position + UInt64(done), into: piece)
                done += got
                return got == piece.count
            } catch {
                failure = error
                return false
            }
        }
        if done == 0, let failure { throw failure }
        return done
    }

    /// `count` bytes from the program's memory at `range` written into the regular file
    /// `handle` at `position` (which grows the file); returns how many (fewer when the disk
    /// filled up). The program's pages are made ready first, so once the file system has
    /// taken the blocks, copying the bytes into its pages cannot fail.
    private mutating func writeFile(_ handle: InodeHandle<RAM>, at position: UInt64, from range: UserRange) throws(KernelError) -> Int {
        guard range.count > 0 else { return 0 }
        try mm.withUserBytes(in: range) { _ in true }
        let fileSystem = self.fileSystem
        return try fileSystem.write(handle.inode, at: position, count: range.count) { destination, offset in
            do throws(KernelError) {
                try mm.copyIn(from: VirtualAddress(range.start.raw + UInt64(offset)), into: destination)
            } catch {
                preconditionFailure("a page made ready for a write went away")
            }
        }
    }

    /// `write`: `count` bytes from the program's memory at `buffer` to `descriptor`. The
    /// console takes them all; a regular file takes them at its position, growing as needed,
    /// all of them unless the disk fills up (then what fits: ABI.md §6). A pipe takes a write
    /// of at most ``PipeBuffer/atomicWriteLimit`` bytes in one piece, never interleaved with
    /// another write: it *waits* until the pipe has room for all of it. A larger write takes
    /// what fits, and the rest waits for room.
    /// ``KernelError/badFileDescriptor``, ``KernelError/invalidArgument`` (not open for
    /// writing), ``KernelError/isDirectory``, ``KernelError/badAddress`` (the buffer is not
    /// readable user memory), ``KernelError/brokenPipe`` (a pipe with no read end left),
    /// ``KernelError/noSpace`` (not one byte fits on the disk).
    public mutating func write(_ descriptor: Int32, from buffer: VirtualAddress, count: UInt64) throws(KernelError) -> CallProgress<RAM> {
        try write(files.file(descriptor), from: buffer, count: count, whole: count <= UInt64(PipeBuffer.atomicWriteLimit))
    }

    /// `write` to `file`, the open file the call started with: a call that waits goes on
    /// with this same file (``WaitingCall``). `whole`: the bytes go into a pipe in one piece,
    /// or wait until they can.
    public mutating func write(_ file: OpenFile<RAM>, from buffer: VirtualAddress, count: UInt64, whole: Bool) throws(KernelError) -> CallProgress<RAM> {
        if case .directory = file.kind { throw .isDirectory }
        guard file.isWritable else { throw .invalidArgument }
        let range = try mm.checkedUserRange(buffer, count: count, for: .read)
        if case .file(let handle, _, _) = file.kind {
            let done = try writeFile(handle, at: file.position, from: range)
            file.position += UInt64(done)
            return .finished(Int64(done))
        }
        // What this call moves now: all of it, except into a pipe, which takes at most its
        // free space; the rest waits. Only that part's pages are made ready, so a large write
        // that waits thousands of times costs each time what the pipe took, not the whole
        // rest of the buffer again (which made it quadratic in its size).
        var portion = count
        if case .pipeWriter(let pipe) = file.kind {
            if pipe.readers == 0 { throw .brokenPipe }
            // A whole write never goes in part: it waits until all of it fits, so no other
            // writer's bytes can come between its own.
            if whole, count > UInt64(pipe.freeSpace) {
                return .waits(pipe.writable, resume: .write(file, from: buffer, count: count, whole: true), done: 0)
            }
            portion = min(count, UInt64(pipe.freeSpace))
        }
        var written = 0
        try mm.withUserBytes(in: range.prefix(Int(portion))) { piece in
            let taken: Int
            switch file.kind {
            case .standardOutput, .device(.terminal):
                console.write(piece, to: .output)
                taken = piece.count
            case .device(.null), .device(.zero):
                taken = piece.count
            case .standardError:
                console.write(piece, to: .error)
                taken = piece.count
            case .pipeWriter(let pipe):
                taken = pipe.put(piece)
            case .standardInput, .pipeReader, .file, .directory:
                taken = 0
            }
            written += taken
            return taken == piece.count
        }
        if case .pipeWriter(let pipe) = file.kind {
            if written > 0 { pipeChanged(pipe) }
            // A full pipe: the rest waits for room (or for the last reader to go).
            let moved = UInt64(written)
            if moved < count {
                return .waits(pipe.writable, resume: .write(file, from: VirtualAddress(buffer.raw + moved), count: count - moved, whole: false), done: Int64(written))
            }
        }
        return .finished(Int64(written))
    }

    /// The regular file open as `descriptor` and its handle: ``KernelError/badFileDescriptor``
    /// when nothing is open there, ``KernelError/invalidArgument`` when it is not a regular
    /// file (standard input, output and error, a pipe, a directory).
    func regularFile(_ descriptor: Int32) throws(KernelError) -> (file: OpenFile<RAM>, handle: InodeHandle<RAM>) {
        let file = try files.file(descriptor)
        guard case .file(let handle, _, _) = file.kind else { throw .invalidArgument }
        return (file, handle)
    }

    /// `seek`: moves the position of the regular file open as `descriptor` to `offset` from
    /// where `whence` says (0, the start; 1, the position; 2, the end: `SEEK_SET`,
    /// `SEEK_CUR`, `SEEK_END`), and returns it. ``KernelError/invalidArgument`` for another
    /// `whence` or a position before the start or past the largest offset.
    public func seek(_ descriptor: Int32, offset: Int64, whence: UInt64) throws(KernelError) -> Int64 {
        let (file, handle) = try regularFile(descriptor)
        let base: Int64
        switch whence {
        case 0: base = 0
        case 1: base = Int64(bitPattern: file.position)
        case 2: base = Int64(try fileSystem.size(of: handle.inode))
        default: throw .invalidArgument
        }
        let (target, overflow) = base.addingReportingOverflow(offset)
        guard !overflow, target >= 0 else { throw .invalidArgument }
        file.position = UInt64(target)
        return target
    }

    /// `tell`: the position of the regular file open as `descriptor`.
    public func tell(_ descriptor: Int32) throws(KernelError) -> Int64 {
        Int64(try regularFile(descriptor).file.position)
    }

    /// `close`: `descriptor` is free again. Its open file goes unless a call still waits on
    /// it; a pipe end that closes with it wakes the waiters of the other side (a reader may
    /// now see the end of its input). The last descriptor of a file unlinked while open lets
    /// it go (its blocks are freed when the kernel settles the release:
    /// ``FileSystem/settleReleases()``). Allocates nothing.
    public mutating func close(_ descriptor: Int32) throws(KernelError) {
        try files.close(descriptor)
    }

    /// `fsync`: returns once the bytes of the file open as `descriptor` and the metadata that
    /// reach them are on the disk (``FileSystem/synchronize(_:)``); for a directory, once its
    /// entries are. ``KernelError/badFileDescriptor``; ``KernelError/invalidArgument`` for
    /// standard input, output or error and pipes (as Linux); ``KernelError/ioError`` when
    /// the disk fails.
    public func fsync(_ descriptor: Int32) throws(KernelError) {
        switch try files.file(descriptor).kind {
        case .file(let handle, _, _), .directory(let handle):
            try fileSystem.synchronize(handle.inode)
        case .standardInput, .standardOutput, .standardError, .pipeReader, .pipeWriter, .device:
            throw .invalidArgument
        }
    }
}
