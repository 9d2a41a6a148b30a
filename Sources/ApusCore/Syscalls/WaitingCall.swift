/// A call that waits, and all it needs to go on: what it acts on and what is left of its
/// work (ABI.md §5).
///
/// A call that waits keeps the open file it started with. While a thread waits in `read` on
/// a pipe, another thread may close that descriptor and open a file that gets the same
/// number; when the pipe becomes ready, the read must take the pipe's bytes, not the file's.
/// So a waiting call is not "the same system call again, with the same registers": it is
/// this value, which holds the ``OpenFile`` itself (and so keeps it, and its pipe end, open
/// until the call returns), the part of the buffer still to fill or send, and what kind of
/// write it is. Closing the descriptor number affects only later calls, as on Linux.
///
/// The value says nothing of registers or error codes: it is the concepts' own, and each
/// personality (KeOS's today, Linux's later) decodes its registers into a call once and
/// resumes the waiting call it gets back (``KeOSSyscalls/resume(_:by:in:)``), for any kind of
/// file the call started on.
public enum WaitingCall<RAM: PhysicalMemory>: Equatable {
    /// `read` of `file` into the `count` bytes at `buffer` (what is left of the buffer).
    case read(OpenFile<RAM>, into: VirtualAddress, count: UInt64)
    /// `write` to `file` of the `count` bytes at `buffer` (what is left of it); `whole`: the
    /// call wrote at most ``PipeBuffer/atomicWriteLimit`` bytes and goes into a pipe in one
    /// piece or not at all.
    case write(OpenFile<RAM>, from: VirtualAddress, count: UInt64, whole: Bool)
    /// `thread_join` of `target`, storing its status at `status` (0: nowhere).
    case join(ThreadID, status: VirtualAddress)

    public static func == (a: WaitingCall, b: WaitingCall) -> Bool {
        switch (a, b) {
        case let (.read(file, buffer, count), .read(otherFile, otherBuffer, otherCount)):
            file === otherFile && buffer == otherBuffer && count == otherCount
        case let (.write(file, buffer, count, whole), .write(otherFile, otherBuffer, otherCount, otherWhole)):
            file === otherFile && buffer == otherBuffer && count == otherCount && whole == otherWhole
        case let (.join(target, status), .join(otherTarget, otherStatus)):
            target == otherTarget && status == otherStatus
        default:
            false
        }
    }
}

extension UserProcess {
    /// Goes on with `call`, which waited, for `thread`: the same concept function on the
    /// same open file (or thread), for what is left.
    public mutating func resume(_ call: WaitingCall<RAM>, by thread: ThreadID) throws(KernelError) -> CallProgress<RAM> {
        switch call {
        case .read(let file, let buffer, let count):
            try read(file, into: buffer, count: count)
        case .write(let file, let buffer, let count, let whole):
            try write(file, from: buffer, count: count, whole: whole)
        case .join(let target, let status):
            try threadJoin(target, status: status, by: thread)
        }
    }
}
