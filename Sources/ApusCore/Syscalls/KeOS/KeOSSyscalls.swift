/// The KeOS personality: how a KeOS program's system calls reach the concepts that serve
/// them (ABI.md §1–§5).
///
/// This is the one place where registers become arguments. Each line of the table below
/// reads one call: its number, the C call a program makes, how its registers decode (a
/// descriptor is the low 32 bits, signed; a pointer is an address to check; a count is the
/// whole register), and the concept function that does the work (`Files.swift`,
/// `DirectoryCalls.swift`, `Pipes.swift`, `Memory.swift`, `Processes.swift`, `Threads.swift`). What comes back is
/// turned into KeOS's answer: a value in `rax`, or a negative ``KernelError`` code.
///
/// Another personality (Linux's) is another layer like this one, over the same concepts,
/// with its own numbers, registers and error codes.
public enum KeOSSyscalls {
    /// Runs system call `number` with `arguments` for `thread`, a thread of `process`.
    /// An unknown number is ``KernelError/noSuchSyscall``.
    public static func dispatch<RAM, P: Pager>(
        _ number: UInt64, _ arguments: SyscallArguments, by thread: ThreadID, in process: inout UserProcess<RAM, P>
    ) -> SyscallOutcome {
        guard let call = KeOSSyscallNumber(rawValue: number) else { return .returns(KernelError.noSuchSyscall.syscallReturnValue) }
        let a = arguments
        // A call that dropped the last handle of an inode (a close, a chdir, an unmap) lets
        // the file system free it now (FileSystem.settleReleases).
        defer { process.fileSystem.settleReleases() }
        do throws(KernelError) {
            switch call {
            case .exit: // exit(status)
                return .exit(a.status(0))
            case .open: // open(path, mode): mode 0 read, 1 write, 2 both
                let path = try process.path(at: a.address(0))
                let (readable, writable) = try openMode(a[1])
                return .returns(Int64(try process.open(path, readable: readable, writable: writable)))
            case .read: // read(fd, buffer, count)
                return resumable(try process.read(a.fileDescriptor(0), into: a.address(1), count: a[2]), a)
            case .write: // write(fd, buffer, count)
                return resumable(try process.write(a.fileDescriptor(0), from: a.address(1), count: a[2]), a)
            case .seek: // seek(fd, offset, whence)
                return .returns(try process.seek(a.fileDescriptor(0), offset: a.signed(1), whence: a[2]))
            case .tell: // tell(fd)
                return .returns(try process.tell(a.fileDescriptor(0)))
            case .close: // close(fd)
                try process.close(a.fileDescriptor(0))
                return .returns(0)
            case .pipe: // pipe(fds): fds[0] reads, fds[1] writes
                try process.pipe(storingDescriptorsAt: a.address(0))
                return .returns(0)
            case .mmap: // mmap(addr, len, prot, fd, off)
                return .returns(mmap(a, mm: &process.mm, files: process.files))
            case .munmap: // munmap(addr)
                return .returns(munmap(a, mm: &process.mm))
            case .fork: // fork()
                return .fork
            case .threadCreate: // thread_create(name, stack, fn, arg)
                return .threadCreate(try process.threadStart(name: a.address(0), stack: a[1], entry: a.address(2), argument: a[3]))
            case .threadJoin: // thread_join(tid, status)
                return resumable(try process.threadJoin(a.threadID(0), status: a.address(1), by: thread), a)
            case .exitGroup: // exit_group(status)
                return .exitGroup(a.status(0))
            case .create: // create(path)
                let path = try process.path(at: a.address(0))
                try process.create(path)
                return .returns(0)
            case .mkdir: // mkdir(path)
                let path = try process.path(at: a.address(0))
                try process.makeDirectory(path)
                return .returns(0)
            case .unlink: // unlink(path)
                let path = try process.path(at: a.address(0))
                try process.unlink(path)
                return .returns(0)
            case .chdir: // chdir(path)
                let path = try process.path(at: a.address(0))
                try process.changeDirectory(path)
                return .returns(0)
            case .readdir: // readdir(fd, entries, count): 264-byte entries
                return .returns(try process.readDirectory(a.fileDescriptor(0), into: a.address(1), count: a[2]))
            case .stat: // stat(path, st): a 32-byte record
                let path = try process.path(at: a.address(0))
                try process.status(path, storingAt: a.address(1))
                return .returns(0)
            case .fsync: // fsync(fd)
                try process.fsync(a.fileDescriptor(0))
                return .returns(0)
            case .getphys: // getphys(va, mode): mode 0 the physical address, else the entry's flags
                let entry = try process.userTranslation(of: a.address(0))
                return .returns(Int64(bitPattern: a[1] == 0 ? entry.frame.raw | a.address(0).pageOffset : entry.flags.rawValue))
            }
        } catch {
            return .returns(error.syscallReturnValue)
        }
    }

    /// `mmap(addr, len, prot, fd, off)` on `mm`, with `files` for `fd`: returns `addr`, or an
    /// error code (negative).
    public static func mmap<RAM, P: Pager, Files: MappableFileSource>(
        _ a: SyscallArguments, mm: inout MmStruct<RAM, P>, files: Files
    ) -> Int64 {
        do throws(KernelError) {
            let request = try MmapRequest(address: a.address(0), length: a[1], protection: Permission(rawValue: a[2]),
                                          descriptor: a.fileDescriptor(3), offset: a.signed(4))
            return Int64(bitPattern: try mm.mmap(request, files: files).raw)
        } catch {
            return error.syscallReturnValue
        }
    }

    /// `munmap(addr)` on `mm`: returns 0, or an error code (negative).
    public static func munmap<RAM, P: Pager>(_ a: SyscallArguments, mm: inout MmStruct<RAM, P>) -> Int64 {
        do throws(KernelError) {
            try mm.munmap(a.address(0))
            return 0
        } catch {
            return error.syscallReturnValue
        }
    }

    /// `open`'s mode: 0 reads, 1 writes, 2 does both; anything else is
    /// ``KernelError/invalidArgument``.
    static func openMode(_ mode: UInt64) throws(KernelError) -> (readable: Bool, writable: Bool) {
        switch mode {
        case 0: (true, false)
        case 1: (false, true)
        case 2: (true, true)
        default: throw .invalidArgument
        }
    }

    /// The outcome of a call that may wait. A call that waits is run again for the rest of
    /// its work: KeOS's `read(fd, buffer, count)` and `write` keep the buffer in argument 1
    /// and the count in 2, so the retry moves the buffer past what was done and shortens
    /// the count by it (a `thread_join` or a `read` that waits has done nothing yet, and is
    /// retried as it was).
    static func resumable(_ progress: CallProgress, _ a: SyscallArguments) -> SyscallOutcome {
        switch progress {
        case .finished(let value):
            return .returns(value)
        case .waits(let condition, let done):
            guard done > 0 else { return .waits(condition, retry: a, done: 0) }
            let moved = UInt64(done)
            return .waits(condition, retry: a.replacing(1, with: a[1] + moved).replacing(2, with: a[2] - moved), done: done)
        }
    }
}
