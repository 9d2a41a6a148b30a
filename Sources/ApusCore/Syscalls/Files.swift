/// The file system calls, as concepts: `open`, `read`, `write`, `seek`, `tell` and `close`
/// on a process's descriptors (ABI.md §2, §5).
///
/// A descriptor is a small number that stands for an open file in the process's
/// ``FileTable``: standard input, output or error (the ``Console``), a regular file of the
/// ``RootFileSystem``, or one end of a pipe (``PipeBuffer``). `read` and `write` move bytes
/// between that file and the program's memory straight through its pages (no bounce
/// buffer), and every user range is checked with `accessOK` once, before anything moves or
/// waits.
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

    /// `open`: opens the file at `path` for reading and/or writing at the lowest free
    /// descriptor, and returns it. ``KernelError/noSuchEntry`` when no file has that name,
    /// ``KernelError/tooManyOpenFile`` when the table is full.
    public mutating func open(_ path: [UInt8], readable: Bool, writable: Bool) throws(KernelError) -> Int32 {
        guard let file = fileSystem.file(at: path) else { throw .noSuchEntry }
        return try files.install(OpenFile(.regular(file, readable: readable, writable: writable)))
    }

    /// `read`: up to `count` bytes from `descriptor` into the program's memory at `buffer`.
    /// A regular file gives what it has from its position on; standard input and a pipe
    /// give what is pending, and *wait* when nothing is but more may come (ABI.md §5).
    /// ``KernelError/badFileDescriptor`` for a descriptor that is not open,
    /// ``KernelError/invalidArgument`` for one not open for reading,
    /// ``KernelError/badAddress`` when the buffer is not writable user memory,
    /// ``KernelError/brokenPipe`` for an empty pipe with no write end left.
    public mutating func read(_ descriptor: Int32, into buffer: VirtualAddress, count: UInt64) throws(KernelError) -> CallProgress {
        try read(files.file(descriptor), into: buffer, count: count)
    }

    /// `read` of `file`, the open file the call started with (the descriptor is looked up
    /// once, at the call's start): a call that waits goes on with this same file
    /// (``WaitingCall``).
    public mutating func read(_ file: OpenFile, into buffer: VirtualAddress, count: UInt64) throws(KernelError) -> CallProgress {
        guard file.isReadable else { throw .invalidArgument }
        // Checked here, before anything can wait or be taken, and again when a call that
        // waited goes on (the program may have unmapped the buffer meanwhile); the copies
        // below go through the checked range without asking again.
        let range = try mm.checkedUserRange(buffer, count: count, for: .write)
        switch file.kind {
        case .regular(let regular, _, _):
            let bytes = regular.bytes(from: file.position, count: Int(min(count, regular.size)))
            var done = 0
            try mm.withWritableUserBytes(in: range.prefix(bytes.count)) { piece in
                piece.baseAddress!.copyMemory(from: bytes.baseAddress! + done, byteCount: piece.count)
                done += piece.count
                return true
            }
            file.position += UInt64(bytes.count)
            return .finished(Int64(bytes.count))
        case .standardInput:
            // Nothing pending yet but more may come: wait for it, as a pipe reader waits
            // (ABI.md §5). Nothing asked, nothing to wait for (as for a pipe).
            if console.pendingInputCount == 0, count > 0, let arrival = console.inputArrival {
                return .waits(arrival, resume: .read(file, into: buffer, count: count), done: 0)
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
        case .standardOutput, .standardError, .pipeWriter:
            throw .invalidArgument
        }
    }

    /// `write`: `count` bytes from the program's memory at `buffer` to `descriptor`. The
    /// console and a regular file take them all (a file drops what falls past its end: files
    /// never grow). A pipe takes a write of at most ``PipeBuffer/atomicWriteLimit`` bytes in
    /// one piece, never interleaved with another write: it *waits* until the pipe has room
    /// for all of it. A larger write takes what fits, and the rest waits for room.
    /// ``KernelError/badFileDescriptor``, ``KernelError/invalidArgument`` (not open for
    /// writing), ``KernelError/badAddress`` (the buffer is not readable user memory),
    /// ``KernelError/brokenPipe`` (a pipe with no read end left).
    public mutating func write(_ descriptor: Int32, from buffer: VirtualAddress, count: UInt64) throws(KernelError) -> CallProgress {
        try write(files.file(descriptor), from: buffer, count: count, whole: count <= UInt64(PipeBuffer.atomicWriteLimit))
    }

    /// `write` to `file`, the open file the call started with: a call that waits goes on
    /// with this same file (``WaitingCall``). `whole`: the bytes go into a pipe in one piece,
    /// or wait until they can.
    public mutating func write(_ file: OpenFile, from buffer: VirtualAddress, count: UInt64, whole: Bool) throws(KernelError) -> CallProgress {
        guard file.isWritable else { throw .invalidArgument }
        let range = try mm.checkedUserRange(buffer, count: count, for: .read)
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
            case .standardOutput:
                console.write(piece, to: .output)
                taken = piece.count
            case .standardError:
                console.write(piece, to: .error)
                taken = piece.count
            case .regular(let regular, _, _):
                // Bytes past the end of the file are dropped: files never grow.
                let target = regular.writableBytes(from: file.position + UInt64(written), count: piece.count)
                if target.count > 0 { target.baseAddress!.copyMemory(from: piece.baseAddress!, byteCount: target.count) }
                taken = piece.count
            case .pipeWriter(let pipe):
                taken = pipe.put(piece)
            case .standardInput, .pipeReader:
                taken = 0
            }
            written += taken
            return taken == piece.count
        }
        // The position moves by n, as if the file had taken every byte; it stops at the
        // largest offset `tell` can report.
        if case .regular = file.kind { file.position = min(file.position + count, UInt64(Int64.max)) }
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

    /// The regular file open as `descriptor`: ``KernelError/badFileDescriptor`` when nothing
    /// is open there, ``KernelError/invalidArgument`` when it is not a regular file.
    func regularFile(_ descriptor: Int32) throws(KernelError) -> OpenFile {
        let file = try files.file(descriptor)
        guard case .regular = file.kind else { throw .invalidArgument }
        return file
    }

    /// `seek`: moves the position of the regular file open as `descriptor` to `offset` from
    /// where `whence` says (0, the start; 1, the position; 2, the end: `SEEK_SET`,
    /// `SEEK_CUR`, `SEEK_END`), and returns it. ``KernelError/invalidArgument`` for another
    /// `whence` or a position before the start or past the largest offset.
    public func seek(_ descriptor: Int32, offset: Int64, whence: UInt64) throws(KernelError) -> Int64 {
        let file = try regularFile(descriptor)
        guard case .regular(let regular, _, _) = file.kind else { throw .invalidArgument }
        let base: Int64
        switch whence {
        case 0: base = 0
        case 1: base = Int64(bitPattern: file.position)
        case 2: base = Int64(regular.size)
        default: throw .invalidArgument
        }
        let (target, overflow) = base.addingReportingOverflow(offset)
        guard !overflow, target >= 0 else { throw .invalidArgument }
        file.position = UInt64(target)
        return target
    }

    /// `tell`: the position of the regular file open as `descriptor`.
    public func tell(_ descriptor: Int32) throws(KernelError) -> Int64 {
        Int64(try regularFile(descriptor).position)
    }

    /// `close`: `descriptor` is free again. Its open file goes unless a call still waits on
    /// it; a pipe end that closes with it wakes the waiters of the other side (a reader may
    /// now see the end of its input). Allocates nothing.
    public mutating func close(_ descriptor: Int32) throws(KernelError) {
        try files.close(descriptor)
    }
}
