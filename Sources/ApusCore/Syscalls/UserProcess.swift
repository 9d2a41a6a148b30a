/// A process as the system calls see it: its memory, its files, its threads, and where its
/// console and root file system are.
///
/// Every system call that takes a user pointer checks it with `accessOK` before it touches
/// user memory (through the user copies of ``MmStruct``), including for empty ranges: so a
/// bad pointer is always ``KernelError/badAddress`` and never a kernel fault.
public struct UserProcess<RAM: PhysicalMemory, P: Pager>: ~Copyable {
    public var mm: MmStruct<RAM, P>
    public var files = FileTable()
    public let fileSystem: RootFileSystem
    public let console: any Console
    /// Its threads: which run, and the statuses of those that ended unjoined.
    public internal(set) var threads: ThreadGroup
    /// The conditions that the calls since the last ``takeWakeups()`` may have made true (a
    /// pipe that got bytes, room, or lost an end; a thread that ended): the kernel
    /// broadcasts them.
    public internal(set) var wakeups: [ConditionVariable] = []

    /// A process whose main thread has the id `mainThread`.
    public init(mm: consuming MmStruct<RAM, P>, fileSystem: RootFileSystem, console: any Console, mainThread: ThreadID = 1) {
        self.mm = mm
        self.fileSystem = fileSystem
        self.console = console
        threads = ThreadGroup(main: mainThread)
    }

    /// The conditions to broadcast, once; the list is empty afterwards.
    public mutating func takeWakeups() -> [ConditionVariable] {
        defer { wakeups.removeAll() }
        return wakeups
    }

    /// A pipe changed: whoever waits on either end must look again.
    mutating func pipeChanged(_ pipe: PipeBuffer) {
        wakeups.append(pipe.readable)
        wakeups.append(pipe.writable)
    }

    /// Closes every descriptor, as a process does when it ends; the pipes' waiters are woken.
    public mutating func closeAllFiles() {
        for pipe in files.closeAll() { pipeChanged(pipe) }
    }

    /// The child of `fork` (ABI.md §5): a copy-on-write copy of the address space and a copy
    /// of the file table (same files and pipes, positions copied), with one thread, whose id
    /// is `mainThread` (only the calling thread is copied). ``KernelError/noMemory`` when
    /// frames run out; nothing of the child remains then.
    public mutating func fork(mainThread: ThreadID = 1) throws(KernelError) -> UserProcess {
        var child = UserProcess(mm: try mm.fork(), fileSystem: fileSystem, console: console, mainThread: mainThread)
        child.files = files.forked()
        return child
    }
}

/// What a system call asks of the kernel after it ran.
public enum SyscallOutcome: Equatable {
    /// Return this value in `rax` and resume the program.
    case returns(Int64)
    /// The calling thread ends with `status` (`exit`); its process ends with it when it was
    /// the last one running (``UserProcess/threadEnded(_:status:)`` says).
    case exit(Int32)
    /// Every thread of the process ends, and the process with `status` (`exit_group`).
    case exitGroup(Int32)
    /// `thread_create`: the kernel starts a thread of the process there (with a kernel stack
    /// and an id of its own, added to ``UserProcess/threads``) and returns its id.
    case threadCreate(ThreadStart)
    /// The program called `fork()`: the kernel makes the child (``UserProcess/fork()``) and its
    /// thread, and returns the child's id (0 in the child).
    case fork
    /// The call cannot go on until `condition` holds (an empty pipe, a full one, a thread
    /// still running): the thread waits on it, then runs the call again with `retry` (the
    /// same call, its arguments moved past what was already done) and adds `done` to its
    /// result.
    case waits(ConditionVariable, retry: SyscallArguments, done: Int64)
}

/// System call numbers (ABI.md §1).
public enum SyscallNumber: UInt64, Sendable {
    case exit = 0, open, read, write, seek, tell, close, pipe, mmap, munmap, fork
    case threadCreate, threadJoin, exitGroup
    case getphys = 0x81
}

extension FileTable: MappableFileSource {
    /// The regular file open as `descriptor`; standard input, output, error and pipes
    /// cannot be mapped.
    public func mappableFile(_ descriptor: Int32) throws(KernelError) -> any MappableFile {
        guard case .regular(let file, _, _) = try file(descriptor).kind else { throw .invalidArgument }
        return file
    }
}

extension UserProcess {
    /// Runs system call `number` with `arguments` for the process's main thread.
    public mutating func dispatch(_ number: UInt64, _ arguments: SyscallArguments) -> SyscallOutcome {
        dispatch(number, arguments, by: threads.main)
    }

    /// Runs system call `number` with `arguments` for `thread`, a thread of this process.
    public mutating func dispatch(_ number: UInt64, _ arguments: SyscallArguments, by thread: ThreadID) -> SyscallOutcome {
        guard let call = SyscallNumber(rawValue: number) else { return .returns(KernelError.noSuchSyscall.syscallReturnValue) }
        do throws(KernelError) {
            switch call {
            case .exit: return .exit(Int32(truncatingIfNeeded: arguments[0]))
            case .open: return .returns(try open(arguments.address(0), mode: arguments[1]))
            case .read: return try read(arguments.fileDescriptor(0), arguments.address(1), count: arguments[2], arguments)
            case .write: return try write(arguments.fileDescriptor(0), arguments.address(1), count: arguments[2], arguments)
            case .seek: return .returns(try seek(arguments.fileDescriptor(0), offset: arguments.signed(1), whence: arguments[2]))
            case .tell: return .returns(try Int64(regularFile(arguments.fileDescriptor(0)).position))
            case .close:
                if let pipe = try files.close(arguments.fileDescriptor(0)) { pipeChanged(pipe) }
                return .returns(0)
            case .pipe: return .returns(try pipe(arguments.address(0)))
            case .mmap: return .returns(MemorySyscalls.mmap(arguments, memory: &mm, files: files))
            case .munmap: return .returns(MemorySyscalls.munmap(arguments, memory: &mm))
            case .getphys: return .returns(try physicalAddress(of: arguments.address(0), mode: arguments[1]))
            case .fork: return .fork
            case .threadCreate: return .threadCreate(try threadStart(arguments))
            case .threadJoin: return try threadJoin(arguments, by: thread)
            case .exitGroup: return .exitGroup(Int32(truncatingIfNeeded: arguments[0]))
            }
        } catch {
            return .returns(error.syscallReturnValue)
        }
    }

    /// The longest path `open` reads.
    public static var maximumPathLength: Int { 4096 }

    mutating func open(_ path: VirtualAddress, mode: UInt64) throws(KernelError) -> Int64 {
        let name = try mm.copyInCString(at: path, maximumLength: Self.maximumPathLength)
        guard validUTF8(name) else { throw .invalidArgument }
        let readable: Bool, writable: Bool
        switch mode {
        case 0: (readable, writable) = (true, false)
        case 1: (readable, writable) = (false, true)
        case 2: (readable, writable) = (true, true)
        default: throw .invalidArgument
        }
        guard let file = fileSystem.file(at: name) else { throw .noSuchEntry }
        return Int64(try files.install(OpenFile(.regular(file, readable: readable, writable: writable))))
    }

    mutating func read(_ descriptor: Int32, _ buffer: VirtualAddress, count: UInt64, _ arguments: SyscallArguments) throws(KernelError) -> SyscallOutcome {
        let file = try files.file(descriptor)
        guard file.isReadable else { throw .invalidArgument }
        // Checked once, here, before anything can wait or be taken; the copies below go
        // through the checked range without asking again.
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
            return .returns(Int64(bytes.count))
        case .standardInput:
            // Nothing pending yet but more may come: wait for it, as a pipe reader waits
            // (ABI.md §5). Nothing asked, nothing to wait for (as for a pipe).
            if console.pendingInputCount == 0, count > 0, let arrival = console.inputArrival {
                return .waits(arrival, retry: arguments, done: 0)
            }
            // Straight into the program's pages, and only what is pending: the pages are made
            // ready before a byte is taken, so a failed call consumes nothing.
            var got = 0
            try mm.withWritableUserBytes(in: range.prefix(console.pendingInputCount)) { piece in
                let read = console.readInput(into: piece)
                got += read
                return read == piece.count
            }
            return .returns(Int64(got))
        case .pipeReader(let pipe):
            if pipe.available == 0 {
                if pipe.writers == 0 { throw .brokenPipe }
                // Nothing asked, nothing to wait for (as on Linux): waiting here could only
                // end in a deadlock when no other process writes.
                if count == 0 { return .returns(0) }
                return .waits(pipe.readable, retry: arguments, done: 0)
            }
            var got = 0
            try mm.withWritableUserBytes(in: range.prefix(pipe.available)) { piece in
                got += pipe.take(into: piece)
                return true
            }
            if got > 0 { pipeChanged(pipe) }
            return .returns(Int64(got))
        case .standardOutput, .standardError, .pipeWriter:
            throw .invalidArgument
        }
    }

    mutating func write(_ descriptor: Int32, _ buffer: VirtualAddress, count: UInt64, _ arguments: SyscallArguments) throws(KernelError) -> SyscallOutcome {
        let file = try files.file(descriptor)
        guard file.isWritable else { throw .invalidArgument }
        let range = try mm.checkedUserRange(buffer, count: count, for: .read)
        // What this call moves now: all of it, except into a pipe, which takes at most its
        // free space; the rest waits. Only that part's pages are made ready, so a large write
        // that waits thousands of times costs each time what the pipe took, not the whole
        // rest of the buffer again (which made it quadratic in its size).
        var portion = count
        if case .pipeWriter(let pipe) = file.kind {
            if pipe.readers == 0 { throw .brokenPipe }
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
            if UInt64(written) < count {
                let retry = arguments.replacing(1, with: buffer.raw + UInt64(written)).replacing(2, with: count - UInt64(written))
                return .waits(pipe.writable, retry: retry, done: Int64(written))
            }
        }
        return .returns(Int64(written))
    }

    func regularFile(_ descriptor: Int32) throws(KernelError) -> OpenFile {
        let file = try files.file(descriptor)
        guard case .regular = file.kind else { throw .invalidArgument }
        return file
    }

    func seek(_ descriptor: Int32, offset: Int64, whence: UInt64) throws(KernelError) -> Int64 {
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

    /// `pipe(fds)`: the descriptors are chosen, written to the program, and only then
    /// installed, so a failed copy leaves the file table as it was.
    mutating func pipe(_ result: VirtualAddress) throws(KernelError) -> Int64 {
        guard mm.accessOK(result, length: 8, write: true) else { throw .badAddress }
        let descriptors = files.lowestFreeDescriptors(2)
        guard descriptors.count == 2 else { throw .tooManyOpenFile }
        let (reader, writer) = (descriptors[0], descriptors[1])
        // Every pipe of the run counts against one budget, like a system-wide file limit.
        guard mm.budget.takePipe() else { throw .tooManyOpenFile }
        do throws(KernelError) {
            try mm.copyOut(value: UInt64(UInt32(bitPattern: reader)) | UInt64(UInt32(bitPattern: writer)) << 32, to: result)
        } catch {
            mm.budget.returnPipe()
            throw error
        }
        let pipe = PipeBuffer(budget: mm.budget)
        let installedReader = try files.install(OpenFile(.pipeReader(pipe)))
        let installedWriter = try files.install(OpenFile(.pipeWriter(pipe)))
        precondition(installedReader == reader && installedWriter == writer, "pipe: the file table chose other descriptors")
        return 0
    }

    /// `getphys(va, mode)`: mode 0, the physical address behind `va`; otherwise the flag bits
    /// of its leaf entry; ``KernelError/invalidArgument`` when no entry maps it for the
    /// program (the kernel's own pages, which lack USER, are not the program's to look at).
    func physicalAddress(of address: VirtualAddress, mode: UInt64) throws(KernelError) -> Int64 {
        guard address.isCanonical, let entry = try? mm.pageTable.walk(address), entry.flags.contains(.user)
        else { throw .invalidArgument }
        if mode == 0 { return Int64(bitPattern: entry.frame.raw | address.pageOffset) }
        return Int64(bitPattern: entry.flags.rawValue)
    }

    func validUTF8(_ bytes: [UInt8]) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}
