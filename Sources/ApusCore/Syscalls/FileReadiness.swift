/// What an open file is ready for now: whether a `read` or a `write` of it would go on at
/// once rather than wait, and whether its other side has gone. `poll` asks it of every file
/// it watches, again each time one of them may have changed.
///
/// A file on the disk, a directory, `/dev/null` and `/dev/zero` never make a call wait: they
/// are always readable and writable (a read at the end of a file returns 0 at once). A pipe
/// and the console are where calls wait (ABI.md §5), so their readiness follows their state:
///
/// | file                 | readable                           | writable   | hung up       | error        |
/// |----------------------|------------------------------------|------------|---------------|--------------|
/// | pipe read end        | bytes buffered                     |            | no write end  |              |
/// | pipe write end       |                                    | room       |               | no read end  |
/// | standard input       | input pending, or the input ended  |            |               |              |
/// | standard output, error |                                  | always     |               |              |
/// | `/dev/tty`           | as standard input                  | always     |               |              |
///
/// A pipe read end with no writer left and nothing buffered is not readable but hung up: a
/// read returns 0 at once (the end of the input), which is what "hung up" tells the caller.
public struct FileReadiness: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// A read would not wait.
    public static let readable = FileReadiness(rawValue: 1 << 0)
    /// A write would not wait.
    public static let writable = FileReadiness(rawValue: 1 << 1)
    /// The other side of a pipe read end has gone: no writer is left.
    public static let hungUp = FileReadiness(rawValue: 1 << 2)
    /// The other side of a pipe write end has gone: a write would fail (`EPIPE`).
    public static let failed = FileReadiness(rawValue: 1 << 3)

    /// Whether a read of `console`'s input would not wait: input is pending, or it has ended
    /// (then the read returns 0 at once). (A function of the existential rather than an
    /// extension of the protocol: the kernel's Embedded Swift calls only its requirements.)
    public static func consoleInputIsReady(_ console: any Console) -> Bool {
        console.pendingInputCount > 0 || console.inputArrival == nil
    }
}

extension UserProcess {
    /// What `file` is ready for now (see ``FileReadiness``).
    public func readiness(of file: OpenFile<RAM>) -> FileReadiness {
        switch file.kind {
        case .file, .directory, .device(.null), .device(.zero):
            return [.readable, .writable]
        case .pipeReader(let pipe):
            var ready: FileReadiness = pipe.available > 0 ? .readable : []
            if pipe.writers == 0 { ready.insert(.hungUp) }
            return ready
        case .pipeWriter(let pipe):
            var ready: FileReadiness = pipe.freeSpace > 0 ? .writable : []
            if pipe.readers == 0 { ready.insert(.failed) }
            return ready
        case .standardInput:
            return FileReadiness.consoleInputIsReady(console) ? .readable : []
        case .standardOutput, .standardError:
            return .writable
        case .device(.terminal):
            return FileReadiness.consoleInputIsReady(console) ? [.readable, .writable] : .writable
        }
    }

    /// Whether `file` can become ready only when the console's input arrives (rather than
    /// by another thread's call): a waiting `poll` watches the console for it.
    public func waitsForConsole(_ file: OpenFile<RAM>) -> Bool {
        switch file.kind {
        case .standardInput, .device(.terminal): true
        default: false
        }
    }
}
