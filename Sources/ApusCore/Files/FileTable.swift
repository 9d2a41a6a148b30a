/// An open file: what a descriptor refers to, and the position reads and writes move. The
/// files of the disk are reached through an ``InodeHandle`` in frames of `RAM`.
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

    public init(_ kind: Kind) { self.kind = kind }

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

/// A process's file descriptors (ABI.md §2): 0, 1 and 2 are standard input, output and
/// error; a new file takes the lowest free descriptor; at most 1024 are open at once.
public struct FileTable<RAM: PhysicalMemory> {
    /// Descriptors open at once, at most.
    public static var limit: Int { 1024 }

    private var slots: [OpenFile<RAM>?]

    /// A table with standard input, output and error open.
    public init() {
        slots = [OpenFile(.standardInput), OpenFile(.standardOutput), OpenFile(.standardError)]
    }

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
        switch file.kind {
        case .pipeReader(let pipe): pipe.readers += 1
        case .pipeWriter(let pipe): pipe.writers += 1
        default: break
        }
        if let free = slots.firstIndex(where: { $0 == nil }) {
            slots[free] = file
            return Int32(free)
        }
        slots.append(file)
        return Int32(slots.count - 1)
    }

    /// Closes `descriptor` and returns the pipe whose end it was, if any (its waiters must
    /// be woken); ``KernelError/badFileDescriptor`` when it is not open. A file of the disk
    /// lets go of its inode when its last descriptor (in any process) closes
    /// (``InodeHandle``).
    @discardableResult
    public mutating func close(_ descriptor: Int32) throws(KernelError) -> PipeBuffer? {
        let file = try file(descriptor)
        var pipe: PipeBuffer?
        switch file.kind {
        case .pipeReader(let end):
            end.readers -= 1
            pipe = end
        case .pipeWriter(let end):
            end.writers -= 1
            pipe = end
        default: break
        }
        slots[Int(descriptor)] = nil
        while let last = slots.last, last == nil { slots.removeLast() }
        return pipe
    }

    /// Closes every descriptor (at process exit) and returns the pipes whose ends closed.
    @discardableResult
    public mutating func closeAll() -> [PipeBuffer] {
        var pipes: [PipeBuffer] = []
        for descriptor in slots.indices where slots[descriptor] != nil {
            if let pipe = try? close(Int32(descriptor)) { pipes.append(pipe) }
        }
        return pipes
    }

    /// The file table of a forked child (ABI.md §5): the same files at the same
    /// descriptors, each descriptor with its own copy of the position as it is now (positions
    /// are not shared afterwards), and the same pipes, whose ends count the child's
    /// descriptors too.
    public func forked() -> FileTable<RAM> {
        var copy = self
        copy.slots = slots.map { slot in
            guard let file = slot else { return nil }
            let twin = OpenFile(file.kind)
            twin.position = file.position
            switch file.kind {
            case .pipeReader(let pipe): pipe.readers += 1
            case .pipeWriter(let pipe): pipe.writers += 1
            default: break
            }
            return twin
        }
        return copy
    }
}
