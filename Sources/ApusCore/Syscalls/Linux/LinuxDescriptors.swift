/// The Linux calls on descriptors that are more than one concept call: `readv`/`writev`
/// (a read or write per piece) and `fcntl` (duplication and flags).
extension LinuxSyscalls {
    /// `fcntl` commands (`<asm-generic/fcntl.h>`).
    enum FileControl: UInt64 {
        case duplicate = 0, getDescriptorFlags = 1, setDescriptorFlags = 2, getStatusFlags = 3, setStatusFlags = 4
        case duplicateCloseOnExec = 1030
    }

    /// The status flags `F_SETFL` may change: O_APPEND, O_NONBLOCK.
    static let changeableStatusFlags: UInt32 = 0o2000 | 0o4000

    /// `fcntl(fd, cmd, arg)`.
    static func fileControl<RAM, P: Pager>(_ a: SyscallArguments, in process: inout UserProcess<RAM, P>) throws(KernelError) -> Int64 {
        let descriptor = a.fileDescriptor(0)
        let file = try process.files.file(descriptor)
        guard let command = FileControl(rawValue: a[1]) else { throw .invalidArgument }
        switch command {
        case .duplicate, .duplicateCloseOnExec:
            let new = try process.files.install(file, atLeast: Int32(truncatingIfNeeded: a[2]))
            process.files.setCloseOnExec(new, command == .duplicateCloseOnExec)
            return Int64(new)
        case .getDescriptorFlags:
            return process.files.isCloseOnExec(descriptor) ? 1 : 0
        case .setDescriptorFlags:
            process.files.setCloseOnExec(descriptor, a[2] & 1 != 0)
            return 0
        case .getStatusFlags:
            let access: UInt32 = file.isReadable && file.isWritable ? 2 : (file.isWritable ? 1 : 0)
            return Int64(file.statusFlags | access)
        case .setStatusFlags:
            file.statusFlags = file.statusFlags & ~changeableStatusFlags | UInt32(truncatingIfNeeded: a[2]) & changeableStatusFlags
            return 0
        }
    }

    /// `readv(fd, iov, n)` / `writev(fd, iov, n)`: the pieces in order, as one call; a piece
    /// that must wait waits when nothing moved yet, and otherwise the call returns what
    /// moved (a short count, as Linux may give).
    static func vectored<RAM, P: Pager>(_ writes: Bool, _ a: SyscallArguments, by thread: ThreadID, in process: inout UserProcess<RAM, P>,
                                        machine: LinuxMachine) throws(KernelError) -> SyscallOutcome<RAM> {
        let file = try process.files.file(a.fileDescriptor(0))
        let pieces = try process.ioVectors(at: a.address(1), count: a[2])
        if writes { try moveToEndIfAppending(file, in: process) }
        if !writes, let refused = LinuxTerminal.backgroundRead(of: file, by: thread, in: process, machine: machine) { return refused }
        var done: Int64 = 0
        for (address, length) in pieces {
            let progress: CallProgress<RAM>
            do throws(KernelError) {
                progress = writes ? try process.write(file, from: address, count: length, whole: length <= UInt64(PipeBuffer.atomicWriteLimit))
                                  : try process.read(file, into: address, count: length)
            } catch {
                if done > 0 || (!writes && error == .brokenPipe) { return .returns(done) }
                throw error
            }
            switch progress {
            case .finished(let count):
                done += count
                if UInt64(count) < length { return .returns(done) }
            case .waits(let condition, let rest, let partial):
                if done == 0 { return .waits(condition, resume: rest, done: partial) }
                return .returns(done + partial)
            }
        }
        return .returns(done)
    }
}
