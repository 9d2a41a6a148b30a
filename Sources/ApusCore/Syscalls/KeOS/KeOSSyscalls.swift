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
    /// Runs system call `number` with `arguments` for `thread`, a thread of `process`, then
    /// lets the file system free the inodes whose last handle the call dropped (a close, a
    /// chdir, an unmap: FileSystem.settleReleases). An unknown number is
    /// ``KernelError/noSuchSyscall``.
    public static func dispatch<RAM, P: Pager>(
        _ number: UInt64, _ arguments: SyscallArguments, by thread: ThreadID, in process: inout UserProcess<RAM, P>
    ) -> SyscallOutcome<RAM> {
        defer { process.fileSystem.settleReleases() }
        return serve(number, arguments, by: thread, in: &process)
    }

    /// ``dispatch(_:_:by:in:)`` without settling the releases: the kernel runs every call
    /// this way (those that only give back, ``onlyGivesBack(_:)``, where no allocation is
    /// allowed) and settles once, when it lets go of the file system lock.
    public static func serve<RAM, P: Pager>(
        _ number: UInt64, _ arguments: SyscallArguments, by thread: ThreadID, in process: inout UserProcess<RAM, P>
    ) -> SyscallOutcome<RAM> {
        guard let call = KeOSSyscallNumber(rawValue: number) else { return .returns(KernelError.noSuchSyscall.syscallReturnValue) }
        let a = arguments
        do throws(KernelError) {
            switch call {
            case .exit: // exit(status)
                return .exit(a.status(0))
            case .open: // open(path, mode): mode 0 read, 1 write, 2 both
                let path = try process.path(at: a.address(0))
                let (readable, writable) = try openMode(a[1])
                return .returns(Int64(try process.open(path, readable: readable, writable: writable)))
            case .read: // read(fd, buffer, count)
                return outcome(try process.read(a.fileDescriptor(0), into: a.address(1), count: a[2]))
            case .write: // write(fd, buffer, count)
                return outcome(try process.write(a.fileDescriptor(0), from: a.address(1), count: a[2]))
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
                return outcome(try process.threadJoin(a.threadID(0), status: a.address(1), by: thread))
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

    /// Whether call `number` only gives back (a mapping, a descriptor): such a call never
    /// needs memory, and the kernel checks that it asks for none.
    public static func onlyGivesBack(_ number: UInt64) -> Bool {
        number == KeOSSyscallNumber.munmap.rawValue || number == KeOSSyscallNumber.close.rawValue
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

    /// Goes on with `call`, which waited, for `thread` of `process`: KeOS's answer to the
    /// rest of the call (its error codes are the concepts' own), or another wait.
    public static func resume<RAM, P: Pager>(_ call: WaitingCall<RAM>, by thread: ThreadID, in process: inout UserProcess<RAM, P>) -> SyscallOutcome<RAM> {
        do throws(KernelError) {
            return outcome(try process.resume(call, by: thread))
        } catch {
            return .returns(error.syscallReturnValue)
        }
    }

    /// The outcome of a call that may wait: its result, or the wait with what is left of it.
    static func outcome<RAM>(_ progress: CallProgress<RAM>) -> SyscallOutcome<RAM> {
        switch progress {
        case .finished(let value): .returns(value)
        case .waits(let condition, let rest, let done): .waits(condition, resume: rest, done: done)
        }
    }
}
