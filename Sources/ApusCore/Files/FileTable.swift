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
        /// A device file of Linux programs (`/dev/null`, `/dev/zero`, `/dev/tty`).
        case device(DeviceFile)
    }

    public let kind: Kind
    /// Linux's file status flags given at `open` (`O_APPEND`, `O_NONBLOCK`…), which
    /// `fcntl(F_GETFL)` reports and `F_SETFL` changes; 0 for KeOS programs.
    public var statusFlags: UInt32 = 0
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
        case .standardInput, .pipeReader, .directory, .device: true
        case .file(_, let readable, _): readable
        case .standardOutput, .standardError, .pipeWriter: false
        }
    }

    public var isWritable: Bool {
        switch kind {
        case .standardOutput, .standardError, .pipeWriter, .directory, .device: true
        case .file(_, _, let writable): writable
        case .standardInput, .pipeReader: false
        }
    }
}

/// The device files Linux programs open by name (ABI.md §7).
public enum DeviceFile: Sendable, Equatable {
    /// `/dev/null`: reads end at once, writes vanish.
    case null
    /// `/dev/zero`: reads give zeros, writes vanish.
    case zero
    /// `/dev/tty`, `/dev/console`: the run's console, read as standard input and written as
    /// standard output.
    case terminal
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
    /// One bit per descriptor: closed by `execve` (Linux's `FD_CLOEXEC`).
    private var closeOnExecBits = [UInt64](repeating: 0, count: (fileDescriptorLimit + 63) / 64)

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
        if isCloseOnExec(descriptor) { setCloseOnExec(descriptor, false) }
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
    /// With `sharingPositions` (Linux's fork), the child's descriptors refer to the parent's
    /// open files themselves, so parent and child move one position, and the close-on-exec
    /// marks are copied too.
    public func forked(sharingPositions: Bool = false) -> FileTable<RAM> {
        var copies = ChunkedArray<OpenFile<RAM>?>()
        for slot in slots {
            guard let file = slot else {
                copies.append(nil)
                continue
            }
            if sharingPositions {
                copies.append(file)
                continue
            }
            let twin = OpenFile(file.kind)
            twin.position = file.position
            copies.append(twin)
        }
        var table = FileTable(slots: copies)
        if sharingPositions {
            for index in closeOnExecBits.indices where closeOnExecBits[index] != 0 { table.closeOnExecBits[index] = closeOnExecBits[index] }
        }
        return table
    }

    // MARK: - What Linux's calls add: descriptors chosen, duplicated, closed at exec

    /// Whether `descriptor` closes at `execve`.
    public func isCloseOnExec(_ descriptor: Int32) -> Bool {
        guard descriptor >= 0, Int(descriptor) < Self.limit else { return false }
        return closeOnExecBits[Int(descriptor) / 64] & (1 << UInt64(descriptor % 64)) != 0
    }

    /// Marks `descriptor` to close at `execve` (or not).
    public mutating func setCloseOnExec(_ descriptor: Int32, _ closes: Bool) {
        guard descriptor >= 0, Int(descriptor) < Self.limit else { return }
        let bit: UInt64 = 1 << UInt64(descriptor % 64)
        if closes { closeOnExecBits[Int(descriptor) / 64] |= bit } else { closeOnExecBits[Int(descriptor) / 64] &= ~bit }
    }

    /// Installs `file` at the lowest free descriptor not below `minimum` (`F_DUPFD`).
    /// ``KernelError/tooManyOpenFile`` when none is free below the limit,
    /// ``KernelError/invalidArgument`` when `minimum` is outside 0..<limit.
    public mutating func install(_ file: OpenFile<RAM>, atLeast minimum: Int32) throws(KernelError) -> Int32 {
        guard minimum >= 0, Int(minimum) < Self.limit else { throw .invalidArgument }
        var descriptor = Int(minimum)
        while descriptor < slots.count, slots[descriptor] != nil { descriptor += 1 }
        guard descriptor < Self.limit else { throw .tooManyOpenFile }
        try install(file, at: Int32(descriptor))
        return Int32(descriptor)
    }

    /// Installs `file` at `descriptor`, closing what was open there (`dup2`).
    /// ``KernelError/badFileDescriptor`` when `descriptor` is outside 0..<limit.
    public mutating func install(_ file: OpenFile<RAM>, at descriptor: Int32) throws(KernelError) {
        guard descriptor >= 0, Int(descriptor) < Self.limit else { throw .badFileDescriptor }
        while slots.count <= Int(descriptor) { slots.append(nil) }
        if isCloseOnExec(descriptor) { setCloseOnExec(descriptor, false) }
        slots[Int(descriptor)] = file
    }

    /// Closes every descriptor marked close-on-exec (`execve`).
    public mutating func closeOnExec() {
        for descriptor in 0..<Int32(slots.count) where isCloseOnExec(descriptor) { try? close(descriptor) }
    }
}
