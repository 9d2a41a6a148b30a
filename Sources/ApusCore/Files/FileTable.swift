/// An open file: what a descriptor refers to, and the position reads and writes move. The
/// files of the disk are reached through an ``InodeHandle`` in frames of `RAM`.
///
/// Descriptors refer to open files, and so do calls in progress: a call that waits keeps
/// the open file it started with (ABI.md §5), whatever happens to its descriptor meanwhile.
/// So the end of a pipe counts as open while an open file of it exists, in a descriptor or
/// in a waiting call: an open file counts itself into its pipe's ends when it is made and out
/// when it goes (``PipeBuffer/endOpened(reading:)``).
public final class OpenFile<RAM: PhysicalMemory> {
    public enum Kind {
        case standardInput
        case standardOutput
        case standardError
        /// A regular file of the disk, open for reading, writing or both.
        case file(InodeHandle<RAM>, readable: Bool, writable: Bool)
        /// A directory of the disk (opened in any mode): `readdir` reads it, `read` and
        /// `write` refuse it (ABI.md §6).
        case directory(InodeHandle<RAM>)
        case pipeReader(PipeBuffer)
        case pipeWriter(PipeBuffer)
    }

    public let kind: Kind
    /// The offset of the next read or write of a regular file; for a directory, the slot
    /// the next `readdir` starts from.
    public var position: UInt64 = 0

    public init(_ kind: Kind) {
        self.kind = kind
        switch kind {
        case .pipeReader(let pipe): pipe.endOpened(reading: true)
        case .pipeWriter(let pipe): pipe.endOpened(reading: false)
        default: break
        }
    }

    deinit {
        switch kind {
        case .pipeReader(let pipe): pipe.endClosed(reading: true)
        case .pipeWriter(let pipe): pipe.endClosed(reading: false)
        default: break
        }
    }

    public var isReadable: Bool {
        switch kind {
        case .standardInput, .pipeReader, .directory: true
        case .file(_, let readable, _): readable
        case .standardOutput, .standardError, .pipeWriter: false
        }
    }

    public var isWritable: Bool {
        switch kind {
        case .standardOutput, .standardError, .pipeWriter, .directory: true
        case .file(_, _, let writable): writable
        case .standardInput, .pipeReader: false
        }
    }
}

/// Descriptors a process may have open at once (ABI.md §2).
public let fileDescriptorLimit = 1024

/// A process's file descriptors (ABI.md §2): 0, 1 and 2 are standard input, output and
/// error; a new file takes the lowest free descriptor; at most 1024 are open at once.
///
/// The slots live in a ``ChunkedArray``, so that the table never asks the kernel heap for
/// more than a page at a time, and closing a descriptor allocates nothing.
public struct FileTable<RAM: PhysicalMemory> {
    /// Descriptors open at once, at most.
    public static var limit: Int { fileDescriptorLimit }

    private var slots = ChunkedArray<OpenFile<RAM>?>()

    /// A table with standard input, output and error open.
    public init() {
        slots.append(OpenFile(.standardInput))
        slots.append(OpenFile(.standardOutput))
        slots.append(OpenFile(.standardError))
    }

    private init(slots: ChunkedArray<OpenFile<RAM>?>) { self.slots = slots }

    /// Descriptors in use.
    public var openCount: Int { slots.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }

    /// The file open as `descriptor`; ``KernelError/badFileDescriptor`` when none is.
    public func file(_ descriptor: Int32) throws(KernelError) -> OpenFile<RAM> {
        guard descriptor >= 0, Int(descriptor) < slots.count, let file = slots[Int(descriptor)] else { throw .badFileDescriptor }
        return file
    }

    /// The `count` descriptors that the next `count` installs would take, lowest first;
    /// fewer when the limit leaves fewer free.
    public func lowestFreeDescriptors(_ count: Int) -> [Int32] {
        var chosen: [Int32] = []
        var descriptor = 0
        while chosen.count < min(count, freeCount) {
            if descriptor >= slots.count || slots[descriptor] == nil { chosen.append(Int32(descriptor)) }
            descriptor += 1
        }
        return chosen
    }

    /// How many descriptors are free before the limit.
    public var freeCount: Int { Self.limit - openCount }

    /// Installs `file` at the lowest free descriptor; ``KernelError/tooManyOpenFile`` at the
    /// limit.
    public mutating func install(_ file: OpenFile<RAM>) throws(KernelError) -> Int32 {
        guard openCount < Self.limit else { throw .tooManyOpenFile }
        if let free = slots.firstIndex(where: { $0 == nil }) {
            slots[free] = file
            return Int32(free)
        }
        slots.append(file)
        return Int32(slots.count - 1)
    }

    /// Closes `descriptor`: the slot lets go of its open file, which goes with its last
    /// reference (a call waiting on it keeps it until it returns). Allocates nothing.
    /// ``KernelError/badFileDescriptor`` when it is not open.
    public mutating func close(_ descriptor: Int32) throws(KernelError) {
        _ = try file(descriptor)
        slots[Int(descriptor)] = nil
        while let last = slots.last, last == nil { slots.removeLast() }
    }

    /// Closes every descriptor (at process exit). Allocates nothing.
    public mutating func closeAll() {
        while !slots.isEmpty { slots.removeLast() }
    }

    /// The file table of a forked child (ABI.md §5): the same files at the same
    /// descriptors, each descriptor with its own copy of the position as it is now (positions
    /// are not shared afterwards), and the same pipes, whose ends count the child's
    /// descriptors too.
    public func forked() -> FileTable<RAM> {
        var copies = ChunkedArray<OpenFile<RAM>?>()
        for slot in slots {
            guard let file = slot else {
                copies.append(nil)
                continue
            }
            let twin = OpenFile(file.kind)
            twin.position = file.position
            copies.append(twin)
        }
        return FileTable(slots: copies)
    }
}
