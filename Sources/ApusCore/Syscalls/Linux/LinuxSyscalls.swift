/// The Linux personality: how a Linux program's system calls reach the concepts that serve
/// them (ABI.md §7).
///
/// Read it as ``KeOSSyscalls``: one line per call, its number (``LinuxSyscallNumber``),
/// the C call, how its registers decode, and the concept that does the work (the files,
/// memory, process and thread functions both personalities share, and the Linux additions
/// beside this file). Errors come back as −errno (``LinuxErrno``); an unknown number is
/// −ENOSYS, and the kernel logs its number (``unknownCall(_:)``).
public enum LinuxSyscalls {
    /// Runs Linux call `number` with `arguments` for `thread` of `process`, with `machine`
    /// for clocks and random bytes. The kernel settles the file system's releases itself.
    public static func serve<RAM, P: Pager>(
        _ number: UInt64, _ arguments: SyscallArguments, by thread: ThreadID, in process: inout UserProcess<RAM, P>,
        machine: LinuxMachine
    ) -> SyscallOutcome<RAM> {
        guard let call = LinuxSyscallNumber(rawValue: number) else { return .returns(LinuxErrno.noSuchCall.syscallReturnValue) }
        let a = arguments
        do throws(KernelError) {
            switch call {
            // Files (LinuxFiles.swift over Files.swift)
            case .read: // read(fd, buf, count)
                do throws(KernelError) {
                    let file = try process.files.file(a.fileDescriptor(0))
                    if let refused = LinuxTerminal.backgroundRead(of: file, by: thread, in: process, machine: machine) { return refused }
                    return outcome(try process.read(file, into: a.address(1), count: a[2]))
                } catch where error == .brokenPipe {
                    return .returns(0) // the end of a pipe: 0 bytes on Linux
                }
            case .write: // write(fd, buf, count)
                let file = try process.files.file(a.fileDescriptor(0))
                try moveToEndIfAppending(file, in: process)
                return outcome(try process.write(a.fileDescriptor(0), from: a.address(1), count: a[2]))
            case .pread64: // pread64(fd, buf, count, offset)
                let (file, _) = try process.regularFile(a.fileDescriptor(0))
                guard a.signed(3) >= 0 else { throw .invalidArgument }
                let saved = file.position
                file.position = a[3]
                defer { file.position = saved }
                return outcome(try process.read(file, into: a.address(1), count: a[2]))
            case .readv, .writev: // readv(fd, iov, iovcnt), writev(fd, iov, iovcnt)
                return try vectored(call == .writev, a, by: thread, in: &process, machine: machine)
            case .open: // open(path, flags, mode)
                return .returns(Int64(try process.linuxOpen(process.path(at: a.address(0)), from: LinuxPaths.currentDirectory, flags: a[1])))
            case .openat: // openat(dirfd, path, flags, mode)
                return .returns(Int64(try process.linuxOpen(process.path(at: a.address(1)), from: a.fileDescriptor(0), flags: a[2])))
            case .close: // close(fd)
                try process.close(a.fileDescriptor(0))
                return .returns(0)
            case .lseek: // lseek(fd, offset, whence): a directory or device only back to its start
                let file = try process.files.file(a.fileDescriptor(0))
                switch file.kind {
                case .pipeReader, .pipeWriter, .standardInput, .standardOutput, .standardError, .device(.terminal):
                    return .returns(LinuxErrno.illegalSeek.syscallReturnValue)
                case .directory, .device(.null), .device(.zero):
                    guard a[1] == 0, a[2] <= 1 else { throw .invalidArgument }
                    if a[2] == 0 { file.position = 0 }
                    return .returns(Int64(file.position))
                case .file:
                    return .returns(try process.seek(a.fileDescriptor(0), offset: a.signed(1), whence: a[2]))
                }
            case .dup: // dup(fd)
                return .returns(Int64(try process.files.install(process.files.file(a.fileDescriptor(0)))))
            case .dup2: // dup2(old, new): the same descriptor is no change
                _ = try process.files.file(a.fileDescriptor(0))
                if a.fileDescriptor(0) == a.fileDescriptor(1) { return .returns(Int64(a.fileDescriptor(1))) }
                return .returns(Int64(try process.duplicate(a.fileDescriptor(0), to: a.fileDescriptor(1), closeOnExec: false)))
            case .dup3: // dup3(old, new, flags): flags 0 or O_CLOEXEC, old ≠ new
                guard a[2] & ~LinuxOpenFlag.closeOnExec == 0, a.fileDescriptor(0) != a.fileDescriptor(1) else { throw .invalidArgument }
                return .returns(Int64(try process.duplicate(a.fileDescriptor(0), to: a.fileDescriptor(1), closeOnExec: a[2] != 0)))
            case .fcntl: // fcntl(fd, cmd, arg)
                return .returns(try fileControl(a, in: &process))
            case .pipe, .pipe2: // pipe(fds), pipe2(fds, flags): flags O_CLOEXEC (and O_NONBLOCK, kept)
                let flags = call == .pipe2 ? a[1] : 0
                try process.pipe(storingDescriptorsAt: a.address(0))
                if flags & LinuxOpenFlag.closeOnExec != 0 {
                    let pair = try process.mm.copyIn(count: 8, from: a.address(0))
                    process.files.setCloseOnExec(Int32(littleEndianBytes: pair, at: 0), true)
                    process.files.setCloseOnExec(Int32(littleEndianBytes: pair, at: 4), true)
                }
                return .returns(0)
            case .getdents64: // getdents64(fd, dirp, count)
                return .returns(try process.linuxReadDirectory(a.fileDescriptor(0), into: a.address(1), size: a[2]))
            case .fstat: // fstat(fd, statbuf)
                try store(LinuxStructures.stat(process.linuxFacts(of: a.fileDescriptor(0))), at: a.address(1), in: &process)
                return .returns(0)
            case .stat, .lstat: // stat(path, statbuf), lstat(path, statbuf): no links on the disk
                let facts = try process.linuxFacts(of: process.path(at: a.address(0)), from: LinuxPaths.currentDirectory)
                try store(LinuxStructures.stat(facts), at: a.address(1), in: &process)
                return .returns(0)
            case .newfstatat: // newfstatat(dirfd, path, statbuf, flags): AT_EMPTY_PATH 0x1000 names dirfd itself
                let path = try process.path(at: a.address(1))
                let facts = path.isEmpty && a[3] & 0x1000 != 0
                    ? try process.linuxFacts(of: a.fileDescriptor(0)) : try process.linuxFacts(of: path, from: a.fileDescriptor(0))
                try store(LinuxStructures.stat(facts), at: a.address(2), in: &process)
                return .returns(0)
            case .access, .faccessat, .faccessat2: // access(path, mode), faccessat(dirfd, path, mode): root may do all
                let (directory, pointer) = call == .access ? (LinuxPaths.currentDirectory, a.address(0)) : (a.fileDescriptor(0), a.address(1))
                _ = try process.linuxFacts(of: process.path(at: pointer), from: directory)
                return .returns(0)
            case .utimensat: // utimensat(dirfd, path, times, flags): the disk keeps no times; the file must exist
                if a[1] == 0 { _ = try process.linuxFacts(of: a.fileDescriptor(0)) }
                else { _ = try process.linuxFacts(of: process.path(at: a.address(1)), from: a.fileDescriptor(0)) }
                if a[2] != 0 { _ = try process.mm.checkedUserRange(a.address(2), count: 32, for: .read) }
                return .returns(0)
            case .mkdir: // mkdir(path, mode)
                try process.makeDirectory(process.path(at: a.address(0)))
                return .returns(0)
            case .mkdirat: // mkdirat(dirfd, path, mode)
                let path = try process.path(at: a.address(1))
                try process.fileSystem.makeDirectory(path, from: process.baseDirectory(a.fileDescriptor(0)))
                return .returns(0)
            case .unlink, .rmdir: // unlink(path), rmdir(path)
                return .returns(try remove(process.path(at: a.address(0)), from: LinuxPaths.currentDirectory, directory: call == .rmdir, in: &process))
            case .unlinkat: // unlinkat(dirfd, path, flags): AT_REMOVEDIR 0x200
                guard a[2] & ~0x200 == 0 else { throw .invalidArgument }
                return .returns(try remove(process.path(at: a.address(1)), from: a.fileDescriptor(0), directory: a[2] != 0, in: &process))
            case .rename: // rename(old, new)
                try process.rename(process.path(at: a.address(0)), process.path(at: a.address(1)))
                return .returns(0)
            case .renameat, .renameat2: // renameat(olddirfd, old, newdirfd, new), renameat2(…, flags): RENAME_NOREPLACE 1
                let flags = call == .renameat2 ? a[4] : 0
                guard flags & ~1 == 0 else { throw .invalidArgument }
                let (old, new) = (try process.path(at: a.address(1)), try process.path(at: a.address(3)))
                let (from, to) = (try process.baseDirectory(a.fileDescriptor(0)), try process.baseDirectory(a.fileDescriptor(2)))
                if flags & 1 != 0, (try? process.fileSystem.status(new, from: to)) != nil { throw .fileExist }
                try process.fileSystem.rename(old, to: new, from: from, destinationDirectory: to)
                return .returns(0)
            case .link: // link(existing, new)
                try process.link(process.path(at: a.address(0)), process.path(at: a.address(1)))
                return .returns(0)
            case .linkat: // linkat(olddirfd, existing, newdirfd, new, flags): AT_SYMLINK_FOLLOW 0x400 (there are no links to follow)
                guard a[4] & ~0x400 == 0 else { throw .invalidArgument }
                let (existing, new) = (try process.path(at: a.address(1)), try process.path(at: a.address(3)))
                let (from, to) = (try process.baseDirectory(a.fileDescriptor(0)), try process.baseDirectory(a.fileDescriptor(2)))
                try process.fileSystem.link(existing, to: new, from: from, destinationDirectory: to)
                return .returns(0)
            case .chmod, .fchmodat: // chmod(path, mode), fchmodat(dirfd, path, mode, flags): the disk keeps no modes
                let (directory, pointer, mode) = call == .chmod ? (LinuxPaths.currentDirectory, a.address(0), a[1]) : (a.fileDescriptor(0), a.address(1), a[2])
                return .returns(try LinuxStructures.unchangedMode(process.linuxFacts(of: process.path(at: pointer), from: directory), mode))
            case .fchmod: // fchmod(fd, mode)
                return .returns(try LinuxStructures.unchangedMode(process.linuxFacts(of: a.fileDescriptor(0)), a[1]))
            case .chown, .lchown, .fchownat: // chown(path, uid, gid), fchownat(dirfd, path, uid, gid, flags): everything is root's
                let (directory, pointer, owner) = call == .fchownat ? (a.fileDescriptor(0), a.address(1), 2) : (LinuxPaths.currentDirectory, a.address(0), 1)
                _ = try process.linuxFacts(of: process.path(at: pointer), from: directory)
                return .returns(try LinuxStructures.unchangedOwner(a[owner], a[owner + 1]))
            case .fchown: // fchown(fd, uid, gid)
                _ = try process.linuxFacts(of: a.fileDescriptor(0))
                return .returns(try LinuxStructures.unchangedOwner(a[1], a[2]))
            case .chdir: // chdir(path)
                try process.linuxChangeDirectory(process.path(at: a.address(0)))
                return .returns(0)
            case .fchdir: // fchdir(fd): LinuxDirectoryPath.swift finds the path getcwd reports
                try process.linuxChangeDirectory(toOpen: a.fileDescriptor(0))
                return .returns(0)
            case .getcwd: // getcwd(buf, size): the path and its NUL; ERANGE when it does not fit
                let path = process.linux.workingDirectory + [0]
                guard UInt64(path.count) <= a[1] else { return .returns(LinuxErrno.outOfRange.syscallReturnValue) }
                try store(path, at: a.address(0), in: &process)
                return .returns(Int64(path.count))
            case .readlink, .readlinkat: // readlink(path, buf, size): only /proc/self/exe is a link
                let path = try process.path(at: a.address(call == .readlink ? 0 : 1))
                let (buffer, size) = call == .readlink ? (a.address(1), a[2]) : (a.address(2), a[3])
                guard LinuxPaths.isSelfExecutable(path) else {
                    _ = try process.linuxFacts(of: path, from: call == .readlink ? LinuxPaths.currentDirectory : a.fileDescriptor(0))
                    throw .invalidArgument
                }
                let target = Array(process.linux.executablePath.prefix(Int(min(size, 4096))))
                try store(target, at: buffer, in: &process)
                return .returns(Int64(target.count))
            case .ioctl: // ioctl(fd, request, argp): the console's terminal requests
                return try LinuxTerminal.control(a, in: &process, terminals: machine.terminalStreams)
            case .fsync: // fsync(fd)
                try process.fsync(a.fileDescriptor(0))
                return .returns(0)
            case .umask: // umask(mask): the old mask
                let old = process.linux.fileModeMask
                process.linux.fileModeMask = UInt32(a[0] & 0o777)
                return .returns(Int64(old))
            // Memory (LinuxMemory.swift over Memory.swift and RegionRanges.swift)
            case .brk: // brk(addr): the break, moved when it can be
                return .returns(Int64(bitPattern: process.moveBreak(to: a.address(0)).raw))
            case .mmap: // mmap(addr, length, prot, flags, fd, offset)
                return .returns(try process.linuxMap(a))
            case .munmap: // munmap(addr, length)
                try process.mm.unmapRange(a.address(0), length: a[1])
                return .returns(0)
            case .mprotect: // mprotect(addr, length, prot)
                try process.mm.protect(a.address(0), length: a[1], protection: Permission(rawValue: a[2]))
                return .returns(0)
            // Processes and threads (LinuxSystem.swift)
            case .exit: // exit(status): this thread
                return .exit(a.status(0))
            case .exitGroup: // exit_group(status): the process
                return .exitGroup(a.status(0))
            case .archPrctl: // arch_prctl(code, addr): ARCH_SET_FS 0x1002 sets the thread pointer
                guard a[0] == 0x1002 else { throw .invalidArgument }
                guard a.address(1).isCanonical, a[1] < AddressSpaceLayout.userEnd.raw else { throw .operationNotPermitted }
                return .setsThreadPointer(a[1])
            case .fork, .vfork, .clone, .wait4, .execve:
                return try serveProcess(call, a, in: &process)
            case .rtSigaction, .rtSigprocmask, .rtSigsuspend, .rtSigreturn, .sigaltstack, .kill, .tgkill, .tkill:
                return try serveSignal(call, a, by: thread, in: &process)
            case .alarm: // alarm(seconds): LinuxAlarm.swift
                return serveAlarm(a, in: &process, machine: machine)
            case .nanosleep, .clockNanosleep:
                return try serveSleep(call, a, in: &process, machine: machine)
            case .poll, .ppoll: // poll(fds, nfds, timeout), ppoll(fds, nfds, tsp, sigmask, sigsetsize): LinuxPoll.swift
                return try servePoll(call, a, by: thread, in: &process, machine: machine)
            case .select, .pselect6: // select(nfds, r, w, e, tv), pselect6(nfds, r, w, e, ts, &{mask, size}): LinuxSelect.swift
                return try serveSelect(call, a, by: thread, in: &process, machine: machine)
            default:
                return LinuxSystem.serve(call, a, by: thread, in: &process, machine: machine)
            }
        } catch {
            if error == .brokenPipe, call == .write || call == .writev { brokenPipe(by: thread, in: &process) }
            return .returns(error.syscallReturnValue)
        }
    }

    /// A write to a pipe with no reader left: besides `EPIPE`, the writing thread gets
    /// `SIGPIPE`, which ends the process unless the program ignores or handles it.
    static func brokenPipe<RAM, P: Pager>(by thread: ThreadID, in process: inout UserProcess<RAM, P>) {
        _ = process.linux.signals.post(.fromKernel(.brokenPipe), toThread: thread)
    }

    /// The line the kernel logs for a call number no table knows.
    public static func unknownCall(_ number: UInt64) -> String {
        let name = LinuxSyscallNumber(rawValue: number).map { " (" + $0.name.withUTF8Buffer { String(decoding: $0, as: UTF8.self) } + ")" } ?? ""
        return "Linux system call \(number)\(name) is not implemented: -ENOSYS"
    }

    /// Goes on with `call`, which waited: the rest of a read or write.
    public static func resume<RAM, P: Pager>(_ call: WaitingCall<RAM>, by thread: ThreadID, in process: inout UserProcess<RAM, P>) -> SyscallOutcome<RAM> {
        do throws(KernelError) {
            return outcome(try process.resume(call, by: thread))
        } catch {
            if error == .brokenPipe && !isRead(call) { brokenPipe(by: thread, in: &process) }
            return .returns(error == .brokenPipe && isRead(call) ? 0 : error.syscallReturnValue)
        }
    }

    private static func isRead<RAM>(_ call: WaitingCall<RAM>) -> Bool {
        if case .read = call { true } else { false }
    }

    static func outcome<RAM>(_ progress: CallProgress<RAM>) -> SyscallOutcome<RAM> {
        KeOSSyscalls.outcome(progress)
    }

    /// `O_APPEND`: every write starts at the end of the file.
    static func moveToEndIfAppending<RAM, P: Pager>(_ file: OpenFile<RAM>, in process: borrowing UserProcess<RAM, P>) throws(KernelError) {
        guard UInt64(file.statusFlags) & LinuxOpenFlag.append != 0, case .file(let handle, _, _) = file.kind else { return }
        file.position = try handle.size()
    }

    static func store<RAM, P: Pager>(_ bytes: [UInt8], at address: VirtualAddress, in process: inout UserProcess<RAM, P>) throws(KernelError) {
        try process.mm.copyOut(bytes, to: address)
    }

    static func remove<RAM, P: Pager>(_ path: [UInt8], from directory: Int32, directory wanted: Bool, in process: inout UserProcess<RAM, P>) throws(KernelError) -> Int64 {
        let base = try process.baseDirectory(directory)
        let status = try process.fileSystem.status(path, from: base)
        if wanted, status.type != .directory { throw .notDirectory }
        if !wanted, status.type == .directory { throw .isDirectory }
        try process.fileSystem.unlink(path, from: base)
        return 0
    }
}
